// Months pass in seconds: a buyer who stops buying slips to at risk on the configured day.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { connectDatabase, type Database } from '../../store/connection.js';
import { createActivities } from '../../activities/index.js';
import { startCustomerOptions } from '../../activities/temporal.js';
import { defaultLifecycleRules } from '../../workflows/lifecycle/rules.js';
import { eventsSignal, stateQuery } from '../../workflows/customer-contract.js';
import { workflowsPath } from '../../worker/worker.js';
import { timeSkippingEnvironment } from '../setup/time-skipping.js';
import { testConfig } from '../setup/stack.js';
import { defaultMessagingPolicy } from '../../workflows/messaging/arbiter.js';

let env: TestWorkflowEnvironment;
let db: Database;
let worker: Worker;
let running: Promise<void>;
const config = testConfig({ TEMPORAL_TASK_QUEUE: 'at-risk' });
const taskQueue = config.temporal.taskQueue;

beforeAll(async () => {
  [env, db] = await Promise.all([timeSkippingEnvironment(), connectDatabase(inject('mongoUri'), { dbName: `t_${randomUUID().replaceAll('-', '')}` })]);
  worker = await Worker.create({
    connection: env.nativeConnection, taskQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') }),
    activities: createActivities({ models: db.models, temporal: env.client, config }),
  });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await db?.connection.dropDatabase();
  await db?.close();
  await env?.teardown();
});

describe('at risk', () => {
  it('marks a customer at risk 90 days after the last order, and a new order brings them back', async () => {
    const customerId = 'c0000000000000000001';
    const now = await env.currentTimeMs();
    const order = (id: string, at: number) => ({ messageId: id, kind: 'track' as const, name: 'Order Completed', properties: { total: 50 }, traits: {}, timestamp: new Date(at).toISOString() });
    const handle = await env.client.workflow.signalWithStart('customerWorkflow', {
      ...startCustomerOptions(customerId, { rules: defaultLifecycleRules, policy: defaultMessagingPolicy }, taskQueue), signal: eventsSignal, signalArgs: [[order('o1', now)]],
    });
    await env.sleep('1 hour');
    expect((await handle.query(stateQuery)).stage).toBe('customer');

    await env.sleep('89 days');
    expect((await handle.query(stateQuery)).stage).toBe('customer');
    await env.sleep('1 day');
    expect((await handle.query(stateQuery)).stage).toBe('at_risk');
    expect(await db.models.customers.findOne({ _id: customerId })).toMatchObject({ stage: 'at_risk' });

    await handle.signal(eventsSignal, [order('o2', await env.currentTimeMs())]);
    await env.sleep('1 hour');
    expect(await handle.query(stateQuery)).toMatchObject({ stage: 'customer', counters: { orders: 2 } });
  });
});
