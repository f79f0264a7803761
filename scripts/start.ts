// The run command (`npm start`): local Temporal with its Web UI, a MongoDB-compatible server
// (or MONGODB_URI), the worker and the API; seeds a demo customer; Ctrl-C stops it all.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { rootDir, startMongo, startTemporal, type RunningServer } from './servers.js';
import { seedDemo } from './seed.js';

const dataDir = path.join(rootDir, '.data');
mkdirSync(dataDir, { recursive: true });
const env = process.env;
const ports = {
  temporal: Number(env.TEMPORAL_PORT ?? 7233),
  ui: Number(env.TEMPORAL_UI_PORT ?? 8233),
  mongo: Number(env.MONGO_PORT ?? 27017),
  api: Number(env.API_PORT ?? 3000),
};
// Demo keys for a local run only; set your own in production.
const writeKey = env.API_WRITE_KEYS?.split(',')[0] ?? 'demo-write-key-change-me';
const adminKey = env.API_ADMIN_KEYS?.split(',')[0] ?? 'demo-admin-key-change-me';

const servers: RunningServer[] = [];
const children: ChildProcess[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nstopping…');
    for (const child of children.reverse()) {
      if (child.exitCode === null) { child.kill('SIGTERM'); await once(child, 'exit'); }
    }
    for (const server of servers.reverse()) await server.stop();
  }
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

function run(name: string, script: string, childEnv: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: rootDir, env: childEnv, stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('exit', (code) => { if (!stopping) { console.error(`${name} exited with code ${code}`); void stopAll(1); } });
  children.push(child);
  return child;
}

async function waitForHealth(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try { if ((await fetch(url)).ok) return; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not become healthy in ${timeoutMs} ms`);
}

try {
  const [temporal, mongo] = await Promise.all([
    startTemporal({ port: ports.temporal, uiPort: ports.ui, dbFile: path.join(dataDir, 'temporal.db') }),
    env.MONGODB_URI ? undefined : startMongo({ storage: `h2:${path.join(dataDir, 'mongo.mv.db')}`, port: ports.mongo }),
  ]);
  servers.push(temporal);
  if (mongo) servers.push(mongo);
  const mongodbUri = env.MONGODB_URI ?? `${mongo!.address}/closedloop`;
  const childEnv = {
    ...env, TEMPORAL_ADDRESS: temporal.address, MONGODB_URI: mongodbUri, API_PORT: String(ports.api),
    API_WRITE_KEYS: env.API_WRITE_KEYS ?? writeKey, API_ADMIN_KEYS: env.API_ADMIN_KEYS ?? adminKey, LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
  };
  run('worker', 'worker/main.ts', childEnv);
  run('api', 'api/main.ts', childEnv);
  const api = `http://127.0.0.1:${ports.api}`;
  await waitForHealth(`${api}/healthz`, 60_000);
  const demo = await seedDemo(api, writeKey, adminKey);
  console.log(`
Closedloop is running.
  API          ${api}   (write key: ${writeKey}, admin key: ${adminKey})
  Console      ${api}/console   (sign in with the admin key)
  Temporal UI  http://127.0.0.1:${ports.ui}/namespaces/default/workflows
  MongoDB      ${mongodbUri}
  Demo customer ${demo.customerId}: stage ${demo.stage}, tier ${demo.tier ?? 'none'}
  Try: curl -u ${writeKey}: -H 'Content-Type: application/json' -d '{"userId":"u-1","event":"Order Completed","properties":{"total":99}}' ${api}/v1/track
Press Ctrl-C to stop.`);
} catch (err) {
  console.error(`start failed: ${(err as Error).message}`);
  await stopAll(1);
}
