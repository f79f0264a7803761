// The CSV import benchmark (`npm run bench:import`): starts a Temporal dev server (with a
// --db-filename, as `npm start` runs it) and mongo-java-server (memory), the worker and the API as
// child processes, writes a customers CSV of BENCH_IMPORT_ROWS rows (default 1,000,000; each a new
// customer with a userId, an e-mail, a phone and two traits), uploads it to POST /v1/imports (a
// streamed body) unthrottled, and follows GET /v1/imports/:id until it is completed. Prints one
// JSON summary on stdout (progress on stderr): rows a second for the upload, the validation and the
// import, the API's and the worker's peak RSS, and the machine's load average; stops everything
// at the end, on failure and on Ctrl-C.
//   BENCH_IMPORT_ROWS    rows (default 1000000)
//   BENCH_IMPORT_RATE    the import's ratePerSecond (default 100000: as fast as it goes)
//   BENCH_IMPORT_ONLY=validate   upload and validate the whole file, then cancel (the API's memory
//                        and the validation rate at full size, without the hours of applying it)
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, rootDir, startMongo, startTemporal, stopProcess, type RunningServer } from './servers.js';

const env = process.env;
const rows = Number(env.BENCH_IMPORT_ROWS ?? 1_000_000);
const rate = Number(env.BENCH_IMPORT_RATE ?? 100_000);
const adminKey = 'bench-import-admin-key-0123456789';
const log = (msg: string): void => { process.stderr.write(`[bench:import ${new Date().toISOString().slice(11, 19)}] ${msg}\n`); };
const round = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;

const servers: RunningServer[] = [];
const children: ChildProcess[] = [];
let tempDir: string | undefined;
let cleanedUp = false;
async function cleanup(): Promise<void> {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const child of children.reverse()) await stopProcess(child).catch(() => undefined);
  await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { log(`${sig}: stopping`); void cleanup().finally(() => process.exit(130)); });

/** Resolves once the child prints `ready`, or at once without it. */
function runChild(name: string, script: string, childEnv: NodeJS.ProcessEnv, ready?: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: rootDir, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let seen = ready === undefined;
    if (seen) resolve(child);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      if (!seen && text.includes(ready!)) { seen = true; resolve(child); }
      for (const line of text.split('\n')) if (line.trim()) process.stderr.write(`  [${name}] ${line}\n`);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => { if (!seen) reject(new Error(`${name} exited (code ${code}) before it was ready`)); });
  });
}

/** VmRSS now and VmHWM (the peak since the process began), in MB. */
function memoryOf(pid: number): { rssMB: number; peakMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMB: round(kb('VmRSS') / 1024), peakMB: round(kb('VmHWM') / 1024) };
}

/** A customers CSV: one new customer a row, with a quoted name holding a comma and Chinese text. */
async function writeCsv(file: string, n: number): Promise<number> {
  const out = createWriteStream(file);
  const write = (s: string) => (out.write(s) ? undefined : once(out, 'drain'));
  await write('userId,email,phone,name,city\r\n');
  const cities = ['北京', '上海', '广州', '深圳', 'Hangzhou'];
  for (let i = 0; i < n; i++) {
    await write(`bench-${i},c${i}@example.com,1${String(3_000_000_000 + i).padStart(10, '0')},"Customer ${i}, 顾客",${cities[i % cities.length]}\r\n`);
  }
  out.end();
  await once(out, 'finish');
  return statSync(file).size;
}

async function main(): Promise<void> {
  const loadAtStart = loadavg().map((x) => round(x, 2));
  tempDir = mkdtempSync(path.join(tmpdir(), 'closedloop-bench-import-'));
  log(`load average at start: ${loadAtStart.join(' ')}; writing ${rows} rows`);
  const file = path.join(tempDir, 'customers.csv');
  const bytes = await writeCsv(file, rows);
  log(`${(bytes / 1e6).toFixed(1)} MB written; starting Temporal (dev server, --db-filename) and mongo-java-server (memory)`);
  const [temporal, mongo] = await Promise.all([startTemporal({ dbFile: path.join(tempDir, 'temporal.db') }), startMongo({ storage: 'memory', heap: env.BENCH_MONGO_HEAP ?? '6g' })]);
  servers.push(temporal, mongo);
  const apiPort = await freePort();
  const childEnv: NodeJS.ProcessEnv = {
    ...env, TEMPORAL_ADDRESS: temporal.address, MONGODB_URI: `${mongo.address}/bench_import`, TEMPORAL_TASK_QUEUE: 'closedloop-bench-import',
    API_PORT: String(apiPort), API_WRITE_KEYS: 'bench-import-write-key-0123456789', API_ADMIN_KEYS: adminKey, LOG_LEVEL: 'warn',
    IMPORT_DIR: path.join(tempDir, 'imports'), REPORTS_REFRESH_EVERY: 'off',
  };
  const [worker, apiChild] = await Promise.all([
    runChild('worker', 'worker/main.ts', childEnv, 'worker polling task queue'),
    runChild('api', 'api/main.ts', childEnv),
  ]);
  const api = `http://127.0.0.1:${apiPort}`;
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${api}/healthz`)).ok) break; } catch { /* not up yet */ }
    if (i > 240) throw new Error('the API is not healthy after 60 s');
    await sleep(250);
  }
  const auth = { authorization: `Bearer ${adminKey}` };
  const idle = { api: memoryOf(apiChild.pid!), worker: memoryOf(worker.pid!) };
  log(`RSS idle: API ${idle.api.rssMB} MB, worker ${idle.worker.rssMB} MB`);

  const began = Date.now();
  const res = await fetch(`${api}/v1/imports?kind=customers&ratePerSecond=${rate}`, {
    method: 'POST', headers: { ...auth, 'content-type': 'text/csv', 'content-length': String(bytes) },
    body: Readable.toWeb(createReadStream(file)) as ReadableStream, duplex: 'half',
  } as RequestInit);
  const created = await res.json() as { id: string; error?: unknown };
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${JSON.stringify(created)}`);
  const uploadedAt = Date.now();
  log(`uploaded in ${((uploadedAt - began) / 1000).toFixed(1)} s: import ${created.id}`);

  let validatedAt: number | undefined;
  let appliedAtValidation = 0;
  const loads: number[] = [];
  const peaks = { api: 0, worker: 0 };
  type View = { status: string; progress: { read: number; applied: number; invalid: number } };
  let view: View;
  for (let tick = 0; ; tick++) {
    await sleep(1000);
    view = await (await fetch(`${api}/v1/imports/${created.id}`, { headers: auth })).json() as View;
    loads.push(loadavg()[0]!);
    peaks.api = Math.max(peaks.api, memoryOf(apiChild.pid!).rssMB);
    peaks.worker = Math.max(peaks.worker, memoryOf(worker.pid!).rssMB);
    if (validatedAt === undefined && view.status !== 'validating') { validatedAt = Date.now(); appliedAtValidation = view.progress.applied; }
    if (tick % 15 === 0) log(`${view.status}: ${view.progress.read} read, ${view.progress.applied} applied; RSS API ${peaks.api} MB, worker ${peaks.worker} MB; load ${loads.at(-1)!.toFixed(2)}`);
    if (['completed', 'rejected', 'cancelled', 'failed'].includes(view.status)) break;
    if (validatedAt !== undefined && env.BENCH_IMPORT_ONLY === 'validate') {
      await fetch(`${api}/v1/imports/${created.id}/cancel`, { method: 'POST', headers: auth });
      const end = { api: memoryOf(apiChild.pid!), worker: memoryOf(worker.pid!) };
      console.log(JSON.stringify({
        machine: { cpus: cpus().length, node: process.version }, rows, bytes, only: 'validate',
        upload: { seconds: round((uploadedAt - began) / 1000), rowsPerSecond: Math.round(rows / ((uploadedAt - began) / 1000)), MBPerSecond: round(bytes / 1e6 / ((uploadedAt - began) / 1000)) },
        validate: { seconds: round((validatedAt - uploadedAt) / 1000), rowsPerSecond: Math.round(rows / ((validatedAt - uploadedAt) / 1000)) },
        rssMB: { api: { idle: idle.api.rssMB, sampledPeak: peaks.api, peak: end.api.peakMB }, worker: { idle: idle.worker.rssMB, sampledPeak: peaks.worker, peak: end.worker.peakMB } },
        loadAverage: { atStart: loadAtStart, max1m: round(Math.max(...loads), 2), atEnd: loadavg().map((x) => round(x, 2)) },
      }, null, 2));
      return;
    }
  }
  const doneAt = Date.now();
  if (view.status !== 'completed') throw new Error(`import ended ${view.status}: ${JSON.stringify(view)}`);
  const end = { api: memoryOf(apiChild.pid!), worker: memoryOf(worker.pid!) };
  const importSeconds = (doneAt - (validatedAt ?? uploadedAt)) / 1000;
  const applyRate = (view.progress.applied - appliedAtValidation) / importSeconds;
  const totalSeconds = (doneAt - began) / 1000;
  const summary = {
    machine: { cpus: cpus().length, node: process.version },
    rows, bytes, ratePerSecond: rate,
    upload: { seconds: round((uploadedAt - began) / 1000), rowsPerSecond: Math.round(rows / ((uploadedAt - began) / 1000)), MBPerSecond: round(bytes / 1e6 / ((uploadedAt - began) / 1000)) },
    validate: { seconds: round(((validatedAt ?? uploadedAt) - uploadedAt) / 1000), rowsPerSecond: Math.round(rows / Math.max(0.001, ((validatedAt ?? uploadedAt) - uploadedAt) / 1000)) },
    import: { seconds: round(importSeconds), rowsPerSecond: Math.round(applyRate), customersCreated: view.progress.applied },
    total: { seconds: round(totalSeconds), rowsPerSecond: Math.round(rows / totalSeconds) },
    rssMB: {
      api: { idle: idle.api.rssMB, sampledPeak: peaks.api, peak: end.api.peakMB, end: end.api.rssMB },
      worker: { idle: idle.worker.rssMB, sampledPeak: peaks.worker, peak: end.worker.peakMB, end: end.worker.rssMB },
    },
    loadAverage: { atStart: loadAtStart, max1m: round(Math.max(...loads), 2), mean1m: round(loads.reduce((a, b) => a + b, 0) / loads.length, 2), atEnd: loadavg().map((x) => round(x, 2)) },
    millionRowsEstimateSeconds: Math.round(((uploadedAt - began) / 1000 + ((validatedAt ?? uploadedAt) - uploadedAt) / 1000) * (1_000_000 / rows) + 1_000_000 / applyRate),
  };
  console.log(JSON.stringify(summary, null, 2));
}

main().then(cleanup, async (err: unknown) => {
  log(`failed: ${(err as Error).stack ?? String(err)}`);
  await cleanup();
  process.exit(1);
});
