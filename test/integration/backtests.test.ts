// A backtest stopped part-way (on the dev server: the time-skipping server cannot cancel an activity
// in flight, sdk-typescript#1058): the pages simulated are summed and the run is marked cancelled,
// through the API's cancel route as a marketer would stop it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { backtestRepository } from '../../store/backtests.js';
import { backtestWorkflow } from '../../workflows/backtest.js';
import { backtestProgressQuery, backtestWorkflowId } from '../../workflows/backtest-contract.js';
import { adminKey, eventually, startStack, writeKey, type Stack } from '../setup/stack.js';

let s: Stack;
const admin = () => ({ post: (path: string) => request(s.app).post(path).auth(adminKey, ''), get: (path: string) => request(s.app).get(path).auth(adminKey, '') });
const customers = 30;

beforeAll(async () => {
  s = await startStack();
  await admin().post('/v1/templates').send({ id: 'bc-nudge', channel: 'sms', body: 'Your cart misses you' }).expect(201);
  await admin().post('/v1/journeys').send({
    id: 'bc-cart', name: 'Cart', trigger: { type: 'event', event: 'Cart Abandoned' }, entry: 'nudge', reentry: { mode: 'never' }, onPause: 'hold',
    steps: { nudge: { type: 'send', channel: 'sms', template: 'bc-nudge', next: 'done' }, done: { type: 'exit' } },
  }).expect(201);
  const at = new Date(Date.now() - 3_600_000).toISOString();
  await request(s.app).post('/v1/batch').auth(writeKey, '').send({
    batch: Array.from({ length: customers }, (_, i) => [
      { type: 'identify', userId: `bc-${i}`, timestamp: at, traits: { phone: `1380013${8100 + i}` } },
      { type: 'track', userId: `bc-${i}`, event: 'Cart Abandoned', timestamp: at },
    ]).flat(),
  }).expect(200);
  await eventually(async () => ((await s.db.models.events.countDocuments({ name: 'Cart Abandoned' })) === customers ? true : undefined), 60_000);
}, 120_000);
afterAll(async () => { await s?.stop(); });

describe('a backtest cancelled part-way', () => {
  it('sums the pages simulated and is marked cancelled', async () => {
    const range = { from: new Date(Date.now() - 2 * 3_600_000).toISOString(), to: new Date().toISOString() };
    const whole = await admin().post('/v1/journeys/bc-cart/backtest').send(range).expect(202);
    const result = await eventually(async () => {
      const r = await admin().get(`/v1/journeys/bc-cart/backtests/${whole.body.id}`).expect(200);
      return r.body.status === 'completed' ? r.body.result : undefined;
    }, 60_000);
    expect(result.customers).toEqual({ sampled: customers, entered: customers });

    // The same run, one customer a page, stopped after its first pages.
    const id = 'bt00000000000000c1';
    const original = (await s.db.models.backtests.findOne({ _id: whole.body.id }))!;
    await backtestRepository(s.db.models).create(id, original.request, original.plan);
    const handle = await s.temporal.workflow.start(backtestWorkflow, { workflowId: backtestWorkflowId(id), taskQueue: s.taskQueue, args: [{ backtestId: id, pageSize: 1 }] });
    await eventually(async () => ((await handle.query(backtestProgressQuery)).pages >= 2 ? true : undefined), 60_000, 10);
    const stopped = await admin().post(`/v1/journeys/bc-cart/backtests/${id}/cancel`).expect(200);
    expect(stopped.body.id).toBe(id);
    const cancelled = await eventually(async () => {
      const r = await admin().get(`/v1/journeys/bc-cart/backtests/${id}`).expect(200);
      return r.body.status === 'running' ? undefined : r.body;
    }, 60_000);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.result.customers.sampled).toBeGreaterThanOrEqual(2);
    expect(cancelled.result.customers.sampled).toBeLessThan(customers);
    expect(cancelled.result.customers.entered).toBe(cancelled.result.customers.sampled);
  }, 180_000);
});
