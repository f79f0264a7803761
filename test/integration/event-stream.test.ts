// The outbound event stream on the real servers: endpoints registered through the API receive
// every event signed (Standard Webhooks), in order per customer, nothing missing after 30 s down,
// a healthy endpoint never held by a down one; dead letters and replay; bad registrations refused.
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { signToken } from '../../signing/tokens.js';
import { createEventStreamActivities } from '../../activities/event-stream/deliver.js';
import { eventEndpointRepository } from '../../store/event-endpoints.js';
import { outboundEventRepository } from '../../store/outbound-events.js';
import { eventStream } from '../../activities/event-stream/stream.js';
import { outboundEventTypes } from '../../activities/event-stream/types.js';
import { adminKey, eventually, startStack, writeKey, type Stack } from '../setup/stack.js';
import { startEventReceiver, type EventCall, type EventReceiver } from '../setup/event-receiver.js';

// Short backoff (200 ms, at most 1 s) so a lane catches up at once; attempts enough for 30 s down.
const env = {
  EVENT_STREAM_LANES: '2', EVENT_STREAM_RETRY_INITIAL: '200 ms', EVENT_STREAM_RETRY_MAX: '1 second', EVENT_STREAM_MAX_ATTEMPTS: '500',
  EVENT_STREAM_TIMEOUT: '2 seconds', EVENT_STREAM_POLL: '100 ms', EVENT_STREAM_REFRESH: '200 ms',
  // The welcome e-mail goes at once, whatever the hour.
  MESSAGING_POLICY: '{"quietHours":null}',
};
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env });
  const now = new Date();
  await stack.db.models.templates.insertOne({ _id: 'welcome-email', channel: 'email', body: 'Welcome! Shop now: https://shop.example/sale', locales: {}, variants: [], createdAt: now, updatedAt: now });
  await admin.post('/v1/journeys', {
    id: 'welcome', name: 'Welcome', trigger: { type: 'event', event: 'Signed Up' }, entry: 'hello',
    steps: { hello: { type: 'send', channel: 'email', template: 'welcome-email', next: 'done' }, done: { type: 'exit' } },
    reentry: { mode: 'never' }, onPause: 'hold',
  }).expect(201);
  await admin.post('/v1/journeys/welcome/publish').expect(200);
});
afterAll(async () => {
  // Deleted endpoints' lanes end by themselves: nothing is left running on the shared server.
  for (const e of (await admin.get('/v1/event-endpoints')).body.items ?? []) await admin.delete(`/v1/event-endpoints/${e.id}`);
  await stack?.stop();
});

const admin = {
  get: (path: string) => request(stack.app).get(path).auth(adminKey, ''),
  post: (path: string, body?: object) => request(stack.app).post(path).auth(adminKey, '').send(body),
  patch: (path: string, body: object) => request(stack.app).patch(path).auth(adminKey, '').send(body),
  delete: (path: string) => request(stack.app).delete(path).auth(adminKey, ''),
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const track = (body: object) => request(stack.app).post('/v1/track').auth(writeKey, '').send(body).expect(200);
const customerOf = async (query: string): Promise<string | undefined> => {
  const res = await admin.get(`/v1/customers?${query}`);
  return res.status === 200 ? (res.body.customerId as string) : undefined;
};

interface Registered { id: string; secret: string; receiver: EventReceiver }
async function register(events: readonly string[], receiver?: EventReceiver): Promise<Registered> {
  const r = receiver ?? await startEventReceiver();
  const res = await admin.post('/v1/event-endpoints', { url: r.url, events, description: 'test' }).expect(201);
  expect(res.body.secret).toMatch(/^whsec_/);
  return { id: res.body.id, secret: res.body.secret, receiver: r };
}
/** Producers in the worker read the endpoint list every EVENT_STREAM_REFRESH (200 ms here). */
const endpointsSeen = () => sleep(500);

/** Every call the receiver got verifies with the secret, as a receiver would check it, and its body is the event. */
function expectSigned(calls: EventCall[], secret: string): void {
  const hook = new Webhook(secret);
  for (const c of calls) {
    const verified = hook.verify(c.rawBody, { 'webhook-id': c.id, 'webhook-timestamp': c.timestamp, 'webhook-signature': c.signature });
    expect(verified).toEqual(c.json);
  }
}

/** The events queued for an endpoint, in emission order. */
const queued = (endpointId: string) => stack.db.models.outboundEvents.find({ endpointId }).sort({ seq: 1 }).toArray();
const byCustomer = <T extends { customerId: string }>(items: T[]): Map<string, T[]> => {
  const out = new Map<string, T[]>();
  for (const i of items) out.set(i.customerId, [...(out.get(i.customerId) ?? []), i]);
  return out;
};
const customerOfCall = (c: EventCall) => String(c.json.data.customerId);

const receiptSignature = (body: string) => {
  const at = Math.floor(Date.now() / 1000);
  return { 'X-Closedloop-Timestamp': String(at), 'X-Closedloop-Signature': `v1=${createHmac('sha256', stack.config.channels.webhookSecrets.email).update(`${at}.${body}`).digest('hex')}` };
};
const receipt = (receiptBody: object) => {
  const body = JSON.stringify(receiptBody);
  return request(stack.app).post('/v1/webhooks/email').set('Content-Type', 'application/json').set(receiptSignature(body)).send(body).expect(200);
};

/**
 * A customer who signs up (a stage move, the welcome journey entered and left, its e-mail sent),
 * whose e-mail is delivered and then opened and clicked (or bounced), and who then buys.
 */
async function customerLife(bounces: boolean): Promise<string> {
  const userId = `es-${randomUUID()}`;
  await request(stack.app).post('/v1/identify').auth(writeKey, '').send({ userId, messageId: `id-${userId}`, traits: { email: `${userId}@example.com`, consent: { email: true } } }).expect(200);
  const customerId = await eventually(() => customerOf(`userId=${userId}`));
  await eventually(async () => ((await stack.db.models.customers.findOne({ _id: customerId })) ? true : undefined));
  await track({ userId, event: 'Signed Up', messageId: `su-${userId}`, properties: {} });
  const message = await eventually(async () => (await stack.db.models.messages.findOne({ customerId, status: 'sent' })) ?? undefined, 30_000);
  await receipt({ id: randomUUID(), type: 'delivered', messageId: message._id });
  if (bounces) {
    await receipt({ id: randomUUID(), type: 'bounced', messageId: message._id, reason: 'mailbox full' });
  } else {
    const claims = { m: message._id, c: customerId, ch: 'email' };
    await request(stack.app).get(`/t/o/${signToken({ ...claims, k: 'open' }, stack.config.tracking)}`).expect(200);
    await request(stack.app).get(`/t/c/${signToken({ ...claims, k: 'click', l: 0 }, stack.config.tracking)}`).expect(302);
  }
  await track({ userId, event: 'Order Completed', messageId: `oc-${userId}`, properties: { total: 50 } });
  // Its last write done: the order's conversion and stage move are queued by then.
  await eventually(async () => ((await stack.db.models.customers.findOne({ _id: customerId }))?.counters?.orders === 1 ? true : undefined));
  return customerId;
}

/** Two customers, one anonymous, found to be one person: the newer is merged into the older. */
async function merge(): Promise<string> {
  const anonymousId = `anon-${randomUUID()}`;
  const phone = `+86139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
  await track({ anonymousId, event: 'Product Viewed', messageId: `pv-${anonymousId}`, properties: {} });
  const web = await eventually(() => customerOf(`anonymousId=${anonymousId}`));
  await request(stack.app).post('/v1/identify').auth(writeKey, '').send({ userId: `pos-${anonymousId}`, messageId: `pos-${anonymousId}`, traits: { phone } }).expect(200);
  const pos = await eventually(() => customerOf(`userId=pos-${anonymousId}`));
  await eventually(async () => ((await stack.db.models.customers.findOne({ _id: pos })) ? true : undefined));
  await track({ anonymousId, event: 'Order Completed', messageId: `m-${anonymousId}`, properties: { total: 10 }, context: { traits: { phone } } });
  const merged = [web, pos].sort()[1]!;
  await eventually(async () => ((await stack.db.models.customers.findOne({ _id: merged }))?.mergedInto ? true : undefined), 30_000);
  return merged;
}

describe('registering endpoints', () => {
  it('queues nothing while no endpoint subscribes', async () => {
    await customerLife(false);
    expect(await stack.db.models.outboundEvents.countDocuments({})).toBe(0);
  });

  it('refuses a non-http url, an unknown event type and an empty list with 400 naming the field, storing nothing', async () => {
    const before = await stack.db.models.eventEndpoints.countDocuments({});
    const cases: [object, string][] = [
      [{ url: 'ftp://hooks.example.com/x', events: ['conversion'] }, 'url'],
      [{ url: 'javascript:alert(1)', events: ['conversion'] }, 'url'],
      [{ url: 'https://hooks.example.com/x', events: ['conversion', 'order.placed'] }, 'events.1'],
      [{ url: 'https://hooks.example.com/x', events: [] }, 'events'],
      [{ url: 'https://hooks.example.com/x' }, 'events'],
    ];
    for (const [body, field] of cases) {
      const res = await admin.post('/v1/event-endpoints', body).expect(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.details, JSON.stringify(body)).toEqual([expect.objectContaining({ field, message: expect.any(String) })]);
    }
    const created = await register(['conversion']);
    const patched = await admin.patch(`/v1/event-endpoints/${created.id}`, { events: ['nope'] }).expect(400);
    expect(patched.body.error.details[0].field).toBe('events.0');
    expect(await stack.db.models.eventEndpoints.countDocuments({})).toBe(before + 1);
    expect((await admin.get(`/v1/event-endpoints/${created.id}`).expect(200)).body).toMatchObject({ events: ['conversion'], enabled: true, lanes: 2 });
    expect((await admin.get(`/v1/event-endpoints/${created.id}`)).body.secret).toBeUndefined();
    await admin.delete(`/v1/event-endpoints/${created.id}`).expect(200);
    await created.receiver.stop();
  });
});

describe('delivery', () => {
  it('delivers every event signed and in order per customer, nothing missing after 30 s down, the healthy endpoint never held', async () => {
    const down = await register(outboundEventTypes);
    const up = await register(outboundEventTypes);
    await endpointsSeen();

    // Down for 30 s: answering 503 for the first half, refusing connections for the second.
    const downAt = Date.now();
    down.receiver.mode = 'unavailable';
    const closing = sleep(15_000).then(() => down.receiver.close());
    const customers = await Promise.all([customerLife(true), customerLife(false), customerLife(false)]);
    const merged = await merge();

    // The healthy endpoint has every event of every customer while the other is still down.
    const wanted = new Map<string, string[]>([
      [customers[0]!, ['stage.changed', 'journey.entered', 'journey.exited', 'message.sent', 'message.delivered', 'message.bounced', 'conversion']],
      [customers[1]!, ['stage.changed', 'journey.entered', 'journey.exited', 'message.sent', 'message.delivered', 'message.opened', 'message.clicked', 'conversion']],
      [customers[2]!, ['stage.changed', 'journey.entered', 'journey.exited', 'message.sent', 'message.delivered', 'message.opened', 'message.clicked', 'conversion']],
      [merged, ['customer.merged']],
    ]);
    const hasAll = (r: EventReceiver) => [...wanted].every(([customer, types]) => types.every((t) => r.accepted().some((c) => customerOfCall(c) === customer && c.json.type === t)));
    await eventually(async () => (hasAll(up.receiver) ? true : undefined), 25_000);
    await eventually(async () => (up.receiver.accepted().length === (await queued(up.id)).length ? true : undefined), 5000);
    expect(Date.now() - downAt).toBeLessThan(30_000);
    expect(down.receiver.accepted()).toEqual([]);
    expect(down.receiver.calls.some((c) => c.status === 503)).toBe(true);

    await closing;
    await sleep(Math.max(0, downAt + 30_000 - Date.now()));
    down.receiver.mode = 'up';
    await down.receiver.reopen();
    const backAt = Date.now();

    // Nothing missing: the endpoint that was down gets every event the other got, and the same as MongoDB queued.
    await eventually(async () => (down.receiver.accepted().length === (await queued(down.id)).length ? true : undefined), 15_000);
    const downQueued = await queued(down.id);
    console.log(`caught up ${Date.now() - backAt} ms after the endpoint came back (${downQueued.length} events)`);
    const upSet = new Set((await queued(up.id)).map((e) => e.eventId));
    expect(new Set(downQueued.map((e) => e.eventId))).toEqual(upSet);
    for (const { receiver, secret, id } of [down, up]) {
      const accepted = receiver.accepted();
      expect(new Set(accepted.map((c) => c.id))).toEqual(upSet);
      expectSigned(receiver.calls, secret);
      // In order per customer: each customer's events arrive in the order they were emitted.
      const emitted = byCustomer(await queued(id));
      const arrived = byCustomer(accepted.map((c) => ({ ...c, customerId: customerOfCall(c) })));
      for (const [customer, events] of emitted) expect(arrived.get(customer)?.map((c) => c.id), customer).toEqual(events.map((e) => e.eventId));
      expect(await stack.db.models.outboundEvents.countDocuments({ endpointId: id, status: { $ne: 'delivered' } })).toBe(0);
    }
    // What happened first arrives first: the send before its receipt, the click before the order it led to.
    const order = (customer: string) => down.receiver.accepted().filter((c) => customerOfCall(c) === customer).map((c) => c.json.type);
    for (const customer of customers) expect(order(customer).indexOf('message.sent')).toBeLessThan(order(customer).indexOf('message.delivered'));
    expect(order(customers[1]!).indexOf('message.clicked')).toBeLessThan(order(customers[1]!).indexOf('conversion'));
    expect(new Set(down.receiver.accepted().map((c) => c.json.type))).toEqual(new Set(outboundEventTypes));
    const conversion = down.receiver.accepted().find((c) => c.json.type === 'conversion' && customerOfCall(c) === customers[1]);
    expect(conversion?.json).toMatchObject({ type: 'conversion', data: { customerId: customers[1], event: 'Order Completed', revenue: 50 } });
    expect(down.receiver.accepted().find((c) => c.json.type === 'customer.merged')?.json.data).toEqual({ customerId: merged, mergedInto: expect.any(String) });
  }, 120_000);

  it('dead-letters an event the endpoint refuses, lists it, and replays it and a time range signed with a rotated secret', async () => {
    const refused = await register(['stage.changed']);
    refused.receiver.mode = 'refusing';
    await endpointsSeen();
    const from = new Date();
    const customerId = await customerLife(false);
    const letters = await eventually(async () => {
      const res = await admin.get(`/v1/event-endpoints/${refused.id}/dead-letters`).expect(200);
      return res.body.items.length >= 2 && res.body.items.length === (await queued(refused.id)).length ? res.body : undefined;
    });
    // Only what it subscribed to was queued for it.
    expect(new Set((await queued(refused.id)).map((e) => e.type))).toEqual(new Set(['stage.changed']));
    expect(letters.items[0]).toMatchObject({ type: 'stage.changed', customerId, attempts: 1, lastError: 'http_400', payload: { type: 'stage.changed', data: { customerId } } });
    expect(letters.nextCursor).toBeNull();
    const page = (await admin.get(`/v1/event-endpoints/${refused.id}/dead-letters?limit=1`).expect(200)).body;
    expect(page.items).toHaveLength(1);
    expect((await admin.get(`/v1/event-endpoints/${refused.id}/dead-letters?limit=1&cursor=${page.nextCursor}`).expect(200)).body.items[0].eventId).toBe(letters.items[1].eventId);

    const rotated = (await admin.post(`/v1/event-endpoints/${refused.id}/rotate-secret`).expect(200)).body;
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(refused.secret);
    refused.receiver.mode = 'up';
    expect((await admin.post(`/v1/event-endpoints/${refused.id}/replay`).expect(200)).body).toEqual({ replayed: letters.items.length });
    const ids = letters.items.map((l: { eventId: string }) => l.eventId);
    await eventually(async () => (refused.receiver.accepted().length === ids.length ? true : undefined));
    expect(refused.receiver.accepted().map((c) => c.id)).toEqual(ids);
    expect((await admin.get(`/v1/event-endpoints/${refused.id}/dead-letters`).expect(200)).body.items).toEqual([]);
    // Both secrets sign for a day after a rotation: a receiver still on the old one loses nothing.
    const replayed = refused.receiver.calls.filter((c) => c.status === 200);
    expectSigned(replayed, refused.secret);
    expectSigned(replayed, rotated.secret);

    // A time range sends again what was delivered in it, with the same webhook-id.
    await eventually(async () => ((await stack.db.models.outboundEvents.countDocuments({ endpointId: refused.id, status: 'delivered' })) === ids.length ? true : undefined));
    const range = { from: from.toISOString(), to: new Date().toISOString() };
    expect((await admin.post(`/v1/event-endpoints/${refused.id}/replay`, range).expect(200)).body).toEqual({ replayed: ids.length });
    await eventually(async () => (refused.receiver.calls.filter((c) => c.status === 200).length === 2 * ids.length ? true : undefined));
    expect(refused.receiver.calls.filter((c) => c.status === 200).map((c) => c.id)).toEqual([...ids, ...ids]);
    for (const [body, field] of [[{ from: range.from }, 'to'], [{ from: range.to, to: range.from }, 'to']] as const) {
      expect((await admin.post(`/v1/event-endpoints/${refused.id}/replay`, body).expect(400)).body.error.details[0].field).toBe(field);
    }
  }, 60_000);

  it('dead-letters an event after EVENT_STREAM_MAX_ATTEMPTS failed attempts, or past EVENT_STREAM_MAX_AGE at its next failure', async () => {
    // The delivery activity itself against an endpoint no lane workflow serves, with three attempts allowed.
    const receiver = await startEventReceiver();
    receiver.mode = 'unavailable';
    const { models } = stack.db;
    const endpointId = `ep_direct${Date.now()}`;
    const now = new Date();
    await eventEndpointRepository(models).create({ _id: endpointId, url: receiver.url, events: ['conversion'], enabled: true, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', lanes: 1, createdAt: now, updatedAt: now });
    const stream = eventStream({ endpoints: { subscribers: async () => [{ _id: endpointId, events: ['conversion'], lanes: 1 }] }, outbound: outboundEventRepository(models), refreshMs: 0 });
    await stream.emit([{ type: 'conversion', key: `conversion:test-${randomUUID()}`, customerId: 'c-direct', at: now, data: { customerId: 'c-direct' } }]);
    const activities = createEventStreamActivities({ models, config: { eventStream: { ...stack.config.eventStream, maxAttempts: 3 } }, run: { idleMs: 0 } });
    for (let attempt = 1; attempt <= 2; attempt++) {
      await expect(activities.deliverEventLane({ endpointId, lane: 0 })).rejects.toThrow(/http_503.*attempt \d of 3/);
    }
    // The third failure is the last: a dead letter, and the lane goes on (idle: the run ends by itself).
    const done = await activities.deliverEventLane({ endpointId, lane: 0 });
    expect(done).toMatchObject({ delivered: 0, dead: 1 });
    expect(await models.outboundEvents.findOne({ endpointId })).toMatchObject({ status: 'dead', attempts: 3, lastError: 'http_503' });
    expect(receiver.calls).toHaveLength(3);

    // An event older than the maximum age dies at its first failure.
    await stream.emit([{ type: 'conversion', key: `conversion:old-${randomUUID()}`, customerId: 'c-direct', at: now, data: {} }]);
    await models.outboundEvents.updateMany({ endpointId, status: 'pending' }, { $set: { createdAt: new Date(Date.now() - stack.config.eventStream.maxAgeMs - 1000) } });
    expect(await activities.deliverEventLane({ endpointId, lane: 0 })).toMatchObject({ dead: 1 });
    expect(await models.outboundEvents.countDocuments({ endpointId, status: 'dead' })).toBe(2);
    await models.eventEndpoints.deleteOne({ _id: endpointId });
    await receiver.stop();
  }, 60_000);
});
