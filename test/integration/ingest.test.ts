// Events from a real Segment client, through the API, into customer workflows and MongoDB.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { Analytics } from '@segment/analytics-node';
import { customerWorkflowId, stateQuery } from '../../workflows/customer-contract.js';
import { adminKey, eventually, startStack, writeKey, type Stack } from '../setup/stack.js';

let stack: Stack;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  stack = await startStack();
  server = stack.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  if (server) await new Promise((r) => server.close(r));
  await stack?.stop();
});

const admin = (path: string) => request(stack.app).get(path).set('Authorization', `Bearer ${adminKey}`);
const lookup = async (query: string) => {
  const res = await admin(`/v1/customers?${query}`);
  return res.status === 200 ? (res.body as { customerId: string }) : undefined;
};

describe('ingestion', () => {
  it('takes a Segment client\'s events to the right customer workflow and profile', async () => {
    const analytics = new Analytics({ writeKey, host: baseUrl, flushAt: 3, flushInterval: 200, maxRetries: 1 });
    analytics.identify({ userId: 'u-100', traits: { email: 'Ana@Example.com', phone: '138 0013 8000', name: 'Ana' } });
    analytics.track({ userId: 'u-100', event: 'Followed', properties: { channel: 'wechat' } });
    analytics.track({ userId: 'u-100', event: 'Order Completed', properties: { total: 320, orderId: 'o-1' } });
    await analytics.closeAndFlush({ timeout: 10_000 });

    const found = await eventually(() => lookup('phone=%2B8613800138000'));
    const id = found.customerId;
    expect(await lookup('email=ana@example.com')).toMatchObject({ customerId: id });
    expect(await lookup('userId=u-100')).toMatchObject({ customerId: id });

    const live = await stack.temporal.workflow.getHandle(customerWorkflowId(id)).query(stateQuery);
    await eventually(async () => ((await stack.temporal.workflow.getHandle(customerWorkflowId(id)).query(stateQuery)).counters.events === 3 ? true : undefined));
    expect(live.customerId).toBe(id);

    const profile = await eventually(async () => {
      const doc = await stack.db.models.customers.findOne({ _id: id });
      return doc?.counters.events === 3 ? doc : undefined;
    });
    expect(profile).toMatchObject({ stage: 'customer', tier: 'bronze', points: 320, counters: { orders: 1, spend: 320 }, traits: { name: 'Ana' } });
    expect(await stack.db.models.events.countDocuments({ customerId: id })).toBe(3);

    const description = await stack.temporal.workflow.getHandle(customerWorkflowId(id)).describe();
    expect(description.searchAttributes).toMatchObject({ CustomerId: [id], LifecycleStage: ['customer'], Tier: ['bronze'] });
    // No raw PII in the workflow id or search attributes.
    expect(JSON.stringify([description.workflowId, description.searchAttributes])).not.toMatch(/8613800138000|example\.com/);
  });

  it('applies an event sent twice with the same messageId once, in the workflow and in MongoDB', async () => {
    const event = { userId: 'u-dup', event: 'Order Completed', messageId: 'm-dup-1', properties: { total: 100 } };
    for (let i = 0; i < 3; i++) {
      const res = await request(stack.app).post('/v1/track').auth(writeKey, '').send(event);
      expect(res.status).toBe(200);
    }
    await request(stack.app).post('/v1/batch').auth(writeKey, '').send({ batch: [{ ...event, type: 'track' }, { type: 'track', userId: 'u-dup', event: 'Page Viewed', messageId: 'm-dup-2' }] }).expect(200);
    const { customerId } = await eventually(() => lookup('userId=u-dup'));
    const doc = await eventually(async () => {
      const d = await stack.db.models.customers.findOne({ _id: customerId });
      return d?.counters.events === 2 ? d : undefined;
    });
    expect(doc.counters).toMatchObject({ orders: 1, spend: 100 });
    expect(await stack.db.models.events.countDocuments({ customerId })).toBe(2);
  });

  it('keeps two identical calls without messageId as two orders, as Segment does', async () => {
    const order = { userId: 'u-twice', event: 'Order Completed', properties: { total: 50 } };
    await request(stack.app).post('/v1/track').auth(writeKey, '').send(order).expect(200);
    await request(stack.app).post('/v1/track').auth(writeKey, '').send(order).expect(200);
    const { customerId } = await eventually(() => lookup('userId=u-twice'));
    const doc = await eventually(async () => {
      const d = await stack.db.models.customers.findOne({ _id: customerId });
      return d?.counters.orders === 2 ? d : undefined;
    });
    expect(doc.counters).toMatchObject({ orders: 2, spend: 100 });
    expect(await stack.db.models.events.countDocuments({ customerId, name: 'Order Completed' })).toBe(2);
  });

  it('keeps both customers\' events when their clients chose the same messageId', async () => {
    for (const userId of ['u-same-id-1', 'u-same-id-2']) {
      await request(stack.app).post('/v1/track').auth(writeKey, '').send({ userId, event: 'Wishlist Viewed', messageId: 'shared-1', properties: { query: userId } }).expect(200);
    }
    for (const userId of ['u-same-id-1', 'u-same-id-2']) {
      const { customerId } = await eventually(() => lookup(`userId=${userId}`));
      const items = await eventually(async () => {
        const res = await admin(`/v1/customers/${customerId}/timeline`);
        return res.body.items?.length === 1 ? res.body.items : undefined;
      });
      expect(items[0]).toMatchObject({ type: 'event', messageId: 'shared-1', name: 'Wishlist Viewed', properties: { query: userId } });
    }
  });

  it('accepts a batch of 100 events for 100 customers in one request', async () => {
    const batch = Array.from({ length: 100 }, (_, i) => ({ type: 'track', userId: `u-batch-${i}`, event: 'Product Searched', messageId: `m-batch-${i}`, properties: { query: 'oil' } }));
    const res = await request(stack.app).post('/v1/batch').auth(writeKey, '').send({ batch });
    expect(res.body).toEqual({ success: true, accepted: 100, customers: 100 });
    // The event log and the profile are separate writes of the same activity: wait for both.
    await eventually(async () => ((await stack.db.models.events.countDocuments({ name: 'Product Searched' })) === 100 ? true : undefined));
    await eventually(async () => ((await stack.db.models.customers.countDocuments({ 'counters.events': 1 })) >= 100 ? true : undefined));
  });
});
