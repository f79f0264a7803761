// A time-skipping Temporal server (the Java test server from Maven, via .cache/) for one test file,
// with the project's search attributes registered.
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { startTimeSkippingServer } from '../../scripts/servers.js';
import { searchAttributeKeys } from '../../workflows/search-attributes.js';
import { randomUUID } from 'node:crypto';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import type { Express } from 'express';
import { pino } from 'pino';
import type { Config } from '../../config.js';
import { connectDatabase, type Database } from '../../store/connection.js';
import { createActivities } from '../../activities/index.js';
import { createApp } from '../../api/app.js';
import { createSendWorkers, workflowsPath } from '../../worker/worker.js';
import { quietRuntime, testConfig } from './stack.js';

export async function timeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const server = await startTimeSkippingServer();
  // The SDK's `create` is what `createTimeSkipping` calls once its own server is up; it is not in
  // the typings, and `createFromExistingServer` would turn time skipping off.
  const create = (TestWorkflowEnvironment as unknown as { create(opts: object): Promise<TestWorkflowEnvironment> }).create.bind(TestWorkflowEnvironment);
  const env = await create({ server: { type: 'existing' }, address: server.address, namespace: 'default', supportsTimeSkipping: true })
    .catch(async (err: unknown) => { await server.stop(); throw err; });
  const teardown = env.teardown.bind(env);
  env.teardown = async () => { await teardown(); await server.stop(); };
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(searchAttributeKeys.map((k) => [k.name, k.type === 'KEYWORD_LIST' ? temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST : temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
  return env;
}

/** A fixed UTC offset where the local hour is `hour` now, so quiet hours shift a story the same way whenever CI runs. */
export function zoneWhereItIs(hour: number, now: number): string {
  const offset = ((hour - new Date(now).getUTCHours() + 36) % 24) - 12;
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

export const noonZone = (now: number): string => zoneWhereItIs(12, now);

export interface TimeSkippingStack {
  env: TestWorkflowEnvironment;
  db: Database;
  app: Express;
  config: Config;
  stop(): Promise<void>;
}

/** The real worker, activities (outbox channels) and API on a time-skipping server and a fresh database; `overrides` over the test configuration. */
export async function timeSkippingStack(overrides: Record<string, string> = {}): Promise<TimeSkippingStack> {
  const config = testConfig(overrides);
  const [env, db] = await Promise.all([timeSkippingEnvironment(), connectDatabase(config.mongodbUri, { dbName: `t_${randomUUID().replaceAll('-', '')}` })]);
  const activities = createActivities({ models: db.models, temporal: env.client, config });
  const workers = [
    await Worker.create({
      connection: env.nativeConnection, taskQueue: config.temporal.taskQueue,
      workflowBundle: await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') }),
      activities,
    }),
    ...await createSendWorkers({ connection: env.nativeConnection, taskQueue: config.temporal.taskQueue, activities, rates: {} }),
  ];
  const running = Promise.all(workers.map((w) => w.run()));
  const app = createApp({ config, db, temporal: env.client, logger: pino({ level: 'silent' }) });
  return {
    env, db, app, config,
    async stop() {
      for (const w of workers) w.shutdown();
      await running;
      await db.connection.dropDatabase();
      await db.close();
      await env.teardown();
    },
  };
}
