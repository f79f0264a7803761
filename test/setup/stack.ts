// One test file's slice of the real stack: a fresh database, its own task queue on the shared
// Temporal server, a worker running the real workflows and activities, and the API app.
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { pino } from 'pino';
import type { Express } from 'express';
import { loadConfig, type Config } from '../../config.js';
import { connectDatabase, type Database } from '../../store/connection.js';
import { createWorker, workflowsPath, type WorkerGroup } from '../../worker/worker.js';
import { createApp } from '../../api/app.js';
import type { Channels } from '../../activities/channels/index.js';

export const writeKey = 'test-write-key-0123456789';
export const adminKey = 'test-admin-key-0123456789';

let runtimeInstalled = false;
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  try { Runtime.install({ logger: new DefaultLogger('WARN') }); } catch { /* already installed in this process */ }
  runtimeInstalled = true;
}

export interface Stack {
  config: Config;
  db: Database;
  temporal: Client;
  app: Express;
  taskQueue: string;
  stop(): Promise<void>;
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    MONGODB_URI: inject('mongoUri'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
    API_WRITE_KEYS: writeKey,
    API_ADMIN_KEYS: adminKey,
    LOG_LEVEL: 'error',
    // An in-process test worker stops at the end of its file: no need to wait for a drain.
    WORKER_SHUTDOWN_GRACE: '1 second',
    ...overrides,
  });
}

export async function startStack(options: { env?: Record<string, string>; worker?: boolean; channels?: Channels } = {}): Promise<Stack> {
  quietRuntime();
  const config = testConfig(options.env);
  const db = await connectDatabase(config.mongodbUri, { dbName: `t_${randomUUID().replaceAll('-', '')}` });
  const clientConnection = await Connection.connect({ address: config.temporal.address });
  const temporal = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  let worker: WorkerGroup | undefined;
  let running: Promise<void> | undefined;
  let native: NativeConnection | undefined;
  if (options.worker !== false) {
    native = await NativeConnection.connect({ address: config.temporal.address });
    worker = await createWorker({
      connection: native, config, models: db.models, temporal, channels: options.channels,
      workflowBundle: await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') }),
    });
    running = worker.run();
  }
  const app = createApp({ config, db, temporal, logger: pino({ level: 'silent' }) });
  return {
    config, db, temporal, app, taskQueue: config.temporal.taskQueue,
    async stop() {
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await native?.close();
      await clientConnection.close();
      await db.connection.dropDatabase().catch(() => undefined);
      await db.close();
    },
  };
}

/** The same server with a database name in the URI's path (the entry points connect with the URI alone). */
export function withDatabase(uri: string, dbName: string): string {
  const m = /^(mongodb(?:\+srv)?:\/\/[^/?]+)(?:\/[^?]*)?(\?.*)?$/.exec(uri);
  if (!m) throw new Error(`unexpected MongoDB URI ${uri}`);
  return `${m[1]}/${dbName}${m[2] ?? ''}`;
}

/** The environment of a worker process (`worker/main.ts`) on this stack's servers, database and task queue. */
export function workerProcessEnv(stack: Stack, env: Record<string, string> = {}): Record<string, string> {
  return {
    ...env,
    TEMPORAL_ADDRESS: stack.config.temporal.address,
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    MONGODB_URI: withDatabase(inject('mongoUri'), stack.db.connection.name),
    API_WRITE_KEYS: writeKey,
    API_ADMIN_KEYS: adminKey,
    LOG_LEVEL: 'warn',
  };
}

/** Polls until `check` returns a value other than undefined (real servers answer asynchronously). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) { lastError = err; }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
