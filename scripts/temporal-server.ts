// The production Temporal topology, for the bench (BENCH_TEMPORAL=server): Temporal Server 1.32.2
// (frontend, history, matching and worker services, sharded history) on a throw-away PostgreSQL
// cluster in a temp dir, both on free ports. scripts/temporal-server/provision.sh builds the
// server once into .cache/temporal-server/; its config is scripts/temporal-server/*.yaml.
// Tests keep the dev server (scripts/servers.ts): building this one takes minutes.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cliTypeName, searchAttributeKeys } from '../workflows/search-attributes.js';
import { cacheDir, freePort, rootDir, stopProcess, temporalBinary, type RunningServer } from './servers.js';

const execFileAsync = promisify(execFile);
const serverDir = path.join(cacheDir, 'temporal-server');
const configDir = path.join(rootDir, 'scripts', 'temporal-server');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface TemporalServerCluster extends RunningServer {
  /** The Temporal Server process (for CPU and memory figures); changes on restart. */
  serverPid(): number | undefined;
  /** PostgreSQL's postmaster; its backends are its children. */
  postgresPid(): number | undefined;
  /** SIGKILL of the Temporal Server process (a crash), without a restart. */
  killServer(): Promise<void>;
  /** Starts the server again on the same ports and database. */
  startServer(): Promise<void>;
  /** `pg_ctl restart -m fast`: every connection dropped, the data kept. */
  restartPostgres(): Promise<void>;
}

/** Builds what is missing (once): the server, the schema tool, PostgreSQL from Debian. */
export async function provisionTemporalServer(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [path.join(configDir, 'provision.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`scripts/temporal-server/provision.sh failed (code ${code})`))));
  });
}

function postgresBin(name: string): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(path.join(base, v, 'bin', name))).sort((a, b) => Number(b) - Number(a)) : [];
  return versions[0] ? path.join(base, versions[0], 'bin', name) : name; // else on PATH
}

/** initdb and the postmaster refuse root: run them as the `postgres` user then. */
const asPostgres = (file: string, args: string[]): [string, string[]] =>
  (process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args]);

async function run(file: string, args: string[], what: string): Promise<string> {
  try {
    // cwd: a directory the postgres user may enter.
    const { stdout } = await execFileAsync(file, args, { maxBuffer: 16 * 1024 * 1024, cwd: tmpdir() });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${what} failed: ${e.stderr || e.stdout || e.message}`);
  }
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number, alive: () => void = () => undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    alive();
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs} ms`);
    await sleep(300);
  }
}

export async function startTemporalServer(options: { historyShards?: number; logLevel?: string } = {}): Promise<TemporalServerCluster> {
  await provisionTemporalServer();
  const dir = mkdtempSync(path.join(tmpdir(), 'closedloop-temporal-server-'));
  const pgData = path.join(dir, 'pgdata');
  if (process.getuid?.() === 0) {
    const { uid, gid } = await postgresIds();
    chownSync(dir, uid, gid);
  }
  let server: ChildProcess | undefined;
  let pgStarted = false;
  const pgPort = await freePort();
  const pgCtl = (args: string[]) => run(...asPostgres(postgresBin('pg_ctl'), ['-D', pgData, '-w', '-t', '60', ...args]), `pg_ctl ${args[0]}`);
  const pgOptions = ['-o', `-p ${pgPort} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on`, '-l', path.join(dir, 'postgres.log')];

  const postmasterPid = (): number | undefined => {
    try { return Number(readFileSync(path.join(pgData, 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined; } catch { return undefined; }
  };
  // pg_ctl detaches the postmaster: should this process exit before stop() is done (a second
  // Ctrl-C, process.exit), ask it to shut down fast (SIGINT) rather than leave it running.
  const onExit = (): void => {
    server?.kill('SIGKILL');
    const pid = postmasterPid();
    if (pid) try { process.kill(pid, 'SIGINT'); } catch { /* gone */ }
  };
  process.once('exit', onExit);
  const stop = async (): Promise<void> => {
    if (server) await stopProcess(server, 15_000);
    if (pgStarted) await pgCtl(['stop', '-m', 'fast']).catch(() => undefined);
    process.off('exit', onExit);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await run(...asPostgres(postgresBin('initdb'), ['-D', pgData, '-A', 'trust', '-U', 'temporal', '-E', 'UTF8', '--no-locale']), 'initdb');
    await pgCtl(['start', ...pgOptions]);
    pgStarted = true;

    // Both schemas, with the versioned migrations the server binary was built with.
    const sqlTool = path.join(serverDir, 'bin', 'sql');
    for (const [db, schema] of [['temporal', 'temporal'], ['temporal_visibility', 'visibility']] as const) {
      const base = ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(pgPort), '-u', 'temporal', '--db', db];
      await run(sqlTool, [...base, 'create-database'], `sql create-database ${db}`);
      await run(sqlTool, [...base, 'setup-schema', '-v', '0.0'], `sql setup-schema ${db}`);
      await run(sqlTool, [...base, 'update-schema', '-d', path.join(serverDir, 'schema', 'postgresql', 'v12', schema, 'versioned')], `sql update-schema ${db}`);
    }

    const ports = {
      TEMPORAL_FRONTEND_PORT: await freePort(), TEMPORAL_FRONTEND_HTTP_PORT: await freePort(), TEMPORAL_FRONTEND_MEMBERSHIP_PORT: await freeMembershipPort(),
      TEMPORAL_HISTORY_PORT: await freePort(), TEMPORAL_HISTORY_MEMBERSHIP_PORT: await freeMembershipPort(),
      TEMPORAL_MATCHING_PORT: await freePort(), TEMPORAL_MATCHING_MEMBERSHIP_PORT: await freeMembershipPort(),
      TEMPORAL_WORKER_PORT: await freePort(), TEMPORAL_WORKER_MEMBERSHIP_PORT: await freeMembershipPort(),
      TEMPORAL_METRICS_PORT: await freePort(),
    };
    const address = `127.0.0.1:${ports.TEMPORAL_FRONTEND_PORT}`;
    const serverEnv: NodeJS.ProcessEnv = {
      ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      TEMPORAL_PG_PORT: String(pgPort), TEMPORAL_DYNAMIC_CONFIG: path.join(configDir, 'dynamicconfig.yaml'),
      TEMPORAL_HISTORY_SHARDS: String(options.historyShards ?? 4), TEMPORAL_LOG_LEVEL: options.logLevel ?? 'warn',
    };
    const healthy = async () => (await execFileAsync(temporalBinary, ['operator', 'cluster', 'health', '--address', address])).stdout.includes('SERVING');

    const startServer = async (): Promise<void> => {
      const child = spawn(path.join(serverDir, 'bin', 'server'), ['--config-file', path.join(configDir, 'development-postgres.yaml'), '--allow-no-auth', 'start'], {
        env: serverEnv, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      const keep = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-8000); };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      server = child;
      await until(`Temporal Server on ${address}`, healthy, 90_000, () => {
        if (child.exitCode !== null) throw new Error(`Temporal Server exited (code ${child.exitCode}):\n${output}`);
      });
    };
    await startServer();

    const cli = (args: string[]) => execFileAsync(temporalBinary, [...args, '--address', address]);
    await until('namespace default', async () => {
      await cli(['operator', 'namespace', 'create', '--namespace', 'default', '--retention', '3d']).catch((err: { stderr?: string }) => {
        if (!/already/i.test(err.stderr ?? '')) throw err;
      });
      return true;
    }, 60_000);
    // The frontend learns of a new namespace within its cache refresh (~10 s): retry until it takes them.
    for (const key of searchAttributeKeys) {
      await until(`search attribute ${key.name}`, async () => {
        await cli(['operator', 'search-attribute', 'create', '--namespace', 'default', '--name', key.name, '--type', cliTypeName(key.type)])
          .catch((err: { stderr?: string }) => { if (!/already exists/i.test(err.stderr ?? '')) throw err; });
        return true;
      }, 60_000);
    }

    return {
      address,
      stop,
      serverPid: () => server?.pid,
      postgresPid: postmasterPid,
      killServer: async () => {
        const child = server;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      },
      startServer,
      restartPostgres: async () => { await pgCtl(['restart', '-m', 'fast', ...pgOptions]); },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The cluster_membership table stores ports as smallint: below 32768, where the OS hands out none of its ephemeral ports. */
async function freeMembershipPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise((r) => server.close(r));
      return port;
    }
  }
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres'], 'id -u postgres'), run('id', ['-g', 'postgres'], 'id -g postgres')]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

// `tsx scripts/temporal-server.ts`: the same cluster by hand, until Ctrl-C.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cluster = await startTemporalServer({ logLevel: process.env.TEMPORAL_LOG_LEVEL ?? 'warn' });
  console.log(`Temporal Server 1.32.2 on PostgreSQL: ${cluster.address} (namespace default). Ctrl-C stops it and deletes its data.`);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { void cluster.stop().finally(() => process.exit(0)); });
}
