// Starts the real servers Closedloop runs on, from what scripts/provision.sh put in .cache/.
// Used by the run command (scripts/start.ts) and by the tests' global set-up.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { connect, createServer } from 'node:net';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { cliTypeName, searchAttributeKeys } from '../workflows/search-attributes.js';

const execFileAsync = promisify(execFile);

export const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cacheDir = path.join(rootDir, '.cache');
export const temporalBinary = path.join(cacheDir, 'temporal', 'bin', 'temporal');
export const timeSkippingServer = path.join(cacheDir, 'temporal-test-server', 'run');

export interface RunningServer {
  /** mongodb://… or host:port */
  address: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

function requireFile(file: string): void {
  if (!existsSync(file)) throw new Error(`${file} is missing: run 'bash scripts/provision.sh' first`);
}

/** SIGTERM, then SIGKILL after the grace period; resolves once the process has exited. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Resolves once `isReady` sees the line it waits for; rejects if the process dies first. */
function waitForLine(child: ChildProcess, name: string, isReady: (line: string) => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.split('\n').some(isReady)) { cleanup(); resolve(); }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`${name} exited (code ${code}) before it was ready:\n${output.trim()}`));
    };
    const timer = setTimeout(() => { cleanup(); reject(new Error(`${name} not ready after ${timeoutMs} ms:\n${output}`)); }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', onExit);
  });
}

/** mongo-java-server: `memory` for tests, `h2:<file>` where data must outlive a restart. */
export async function startMongo(options: { storage: 'memory' | `h2:${string}`; port?: number; heap?: string }): Promise<RunningServer> {
  const lib = path.join(cacheDir, 'mongo-java-server');
  requireFile(path.join(lib, 'classes', 'MongoLauncher.class'));
  const port = options.port ?? (await freePort());
  const child = spawn('java', [`-Xmx${options.heap ?? '2g'}`, '-cp', `${lib}/lib/*:${lib}/classes`, 'MongoLauncher', String(port), options.storage], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await waitForLine(child, 'mongo-java-server', (line) => line.startsWith('ready '), 30_000);
  child.stdout?.resume();
  child.stderr?.resume();
  return { address: `mongodb://127.0.0.1:${port}`, stop: () => stopProcess(child) };
}

/** Resolves once something listens on 127.0.0.1:`port`; rejects if `child` dies first or `timeoutMs` passes. */
async function waitForPort(child: ChildProcess, name: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (code ${child.exitCode}) before it listened on ${port}`);
    const listening = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (listening) return;
    if (Date.now() > deadline) { await stopProcess(child); throw new Error(`${name} not listening on ${port} after ${timeoutMs} ms`); }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The Java time-skipping test server. Started here rather than by the SDK, which gives the JVM
 * 5 s to listen: on a loaded machine (two test files at once beside the shared servers) it can
 * take longer, and CI failed a whole file on it.
 */
export async function startTimeSkippingServer(): Promise<RunningServer> {
  requireFile(timeSkippingServer);
  const port = await freePort();
  const child = spawn(timeSkippingServer, [String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.resume();
  child.stderr?.resume();
  await waitForPort(child, 'temporal-test-server', port, 60_000);
  return { address: `127.0.0.1:${port}`, stop: () => stopProcess(child) };
}

/** The Temporal CLI dev server, with the Web UI unless `uiPort` is omitted, and our search attributes. */
export async function startTemporal(options: { port?: number; uiPort?: number; dbFile?: string }): Promise<RunningServer> {
  requireFile(temporalBinary);
  const port = options.port ?? (await freePort());
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'];
  if (options.uiPort) args.push('--ui-port', String(options.uiPort), '--ui-disable-news-fetch'); else args.push('--headless');
  // WAL with synchronous=normal: 2.6× the signal rate of SQLite's default journal here. A crash of
  // the process loses nothing (the log is in the OS's hands); a power loss can lose the last moments.
  if (options.dbFile) args.push('--db-filename', options.dbFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  for (const key of searchAttributeKeys) args.push('--search-attribute', `${key.name}=${cliTypeName(key.type)}`);
  const child = spawn(temporalBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.resume();
  child.stderr?.resume();
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`temporal dev server exited with code ${child.exitCode} (is port ${port} taken?)`);
    const health = spawn(temporalBinary, ['operator', 'cluster', 'health', '--address', address], { stdio: 'ignore' });
    const [code] = (await once(health, 'exit')) as [number | null];
    if (code === 0) break;
    if (Date.now() > deadline) { await stopProcess(child); throw new Error(`temporal dev server not healthy on ${address} after 30 s`); }
    await new Promise((r) => setTimeout(r, 200));
  }
  try {
    await registerSearchAttributes(address);
  } catch (err) {
    await stopProcess(child);
    throw err;
  }
  return { address, stop: () => stopProcess(child) };
}

/**
 * `--search-attribute` registers attributes only when the dev server creates its database: a
 * data file from an earlier version lacks those added since, and every workflow task that sets
 * one would fail. Adds whichever are missing.
 */
async function registerSearchAttributes(address: string): Promise<void> {
  const cli = (args: string[]) => execFileAsync(temporalBinary, [...args, '--address', address]);
  const { stdout } = await cli(['operator', 'search-attribute', 'list', '-o', 'json']);
  const existing = Object.keys((JSON.parse(stdout) as { customAttributes?: Record<string, string> }).customAttributes ?? {});
  for (const key of searchAttributeKeys.filter((k) => !existing.includes(k.name))) {
    await cli(['operator', 'search-attribute', 'create', '--name', key.name, '--type', cliTypeName(key.type)]);
  }
}
