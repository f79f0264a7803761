// A customer who sends events for years: history stays bounded (continueAsNew) and nothing is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import pLimit from 'p-limit';
import { customerWorkflowId, stateQuery } from '../../workflows/customer-contract.js';
import { adminKey, eventually, startStack, writeKey, type Stack } from '../setup/stack.js';

let stack: Stack;
beforeAll(async () => { stack = await startStack(); });
afterAll(async () => { await stack?.stop(); });

describe('a long-lived customer', () => {
  it('keeps exact counters over 5,000 events across continueAsNew, with duplicates dropped', async () => {
    const total = 5000;
    const perRequest = 10;
    const limit = pLimit(8);
    const requests = Array.from({ length: total / perRequest }, (_, r) => Array.from({ length: perRequest }, (_, k) => {
      const i = r * perRequest + k;
      return i % 10 === 0
        ? { type: 'track', userId: 'loyal-fan', event: 'Order Completed', messageId: `long-${i}`, properties: { total: 10 } }
        : { type: 'track', userId: 'loyal-fan', event: 'Page Viewed', messageId: `long-${i}` };
    }));
    // Every tenth request is sent twice, as a client retrying after a timeout would; a 503 is
    // retried, as Segment's libraries do (the API's contract: nothing was applied twice).
    const post = async (batch: unknown[]): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        const res = await request(stack.app).post('/v1/batch').auth(writeKey, '').send({ batch });
        if (res.status === 200) return;
        expect(res.status, JSON.stringify(res.body)).toBe(503);
        expect(attempt).toBeLessThan(6);
        await new Promise((r) => setTimeout(r, 1000 * attempt));
      }
    };
    await Promise.all(requests.flatMap((batch, r) => (r % 10 === 0 ? [batch, batch] : [batch])).map((batch) => limit(() => post(batch))));

    const id = (await request(stack.app).get('/v1/customers?userId=loyal-fan').auth(adminKey, '')).body.customerId as string;
    const handle = stack.temporal.workflow.getHandle(customerWorkflowId(id));
    const state = await eventually(async () => {
      const s = await handle.query(stateQuery);
      return s.counters.events === total ? s : undefined;
    }, 120_000, 500);
    expect(state.counters).toMatchObject({ events: total, orders: total / 10, spend: (total / 10) * 10 });
    expect(state).toMatchObject({ stage: 'loyal', points: (total / 10) * 10 });

    // The run that took the 500th signal continues as new once its last batch is stored.
    const description = await eventually(async () => {
      const d = await handle.describe();
      return d.runId !== d.raw.workflowExecutionInfo?.firstRunId ? d : undefined;
    });
    expect(Number(description.historyLength)).toBeLessThan(10_240);
    expect(await stack.db.models.events.countDocuments({ customerId: id })).toBe(total);
    const profile = await eventually(async () => {
      const doc = await stack.db.models.customers.findOne({ _id: id });
      return doc?.counters.events === total ? doc : undefined;
    });
    expect(profile.counters.orders).toBe(total / 10);
  }, 180_000);
});
