// Hostile and broken input through the real API, worker, Temporal and MongoDB: refused at once
// with the field named, or applied exactly once; one bad event never stops a customer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import fc from 'fast-check';
import { customerWorkflowId, eventsSignal, stateQuery } from '../../workflows/customer-contract.js';
import type { CustomerEvent } from '../../workflows/lifecycle/event.js';
import { adminKey, eventually, startStack, writeKey, type Stack } from '../setup/stack.js';

let stack: Stack;
beforeAll(async () => { stack = await startStack(); });
afterAll(async () => { await stack?.stop(); });

const post = (path: string, body: unknown) => request(stack.app).post(path).auth(writeKey, '').send(body as object);
const admin = (path: string) => request(stack.app).get(path).set('Authorization', `Bearer ${adminKey}`);
const customerOf = async (userId: string): Promise<string> =>
  (await eventually(async () => { const r = await admin(`/v1/customers?userId=${userId}`); return r.status === 200 ? r.body as { customerId: string } : undefined; })).customerId;

describe('input the API refuses before anything reads it deeply', () => {
  it('answers a body nested 200,000 levels with 400 naming where', async () => {
    const deep = `{"userId":"u-deep","event":"X","properties":{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`;
    const res = await request(stack.app).post('/v1/track').auth(writeKey, '').set('Content-Type', 'application/json').send(deep);
    expect(res.status).toBe(400);
    expect(res.body.error.details[0]).toEqual({ field: `properties.a${'.0'.repeat(18)}`, message: 'nested deeper than 20 levels' });
  });

  it('answers an admin body nested 20,000 levels (a segment rule) with 400, not a stack overflow', async () => {
    const leaf = JSON.stringify({ type: 'profile', field: 'stage', op: 'eq', value: 'loyal' });
    const body = `{"rule":${'{"type":"not","rule":'.repeat(20_000)}${leaf}${'}'.repeat(20_000)}}`;
    const res = await request(stack.app).post('/v1/segments/preview').set('Authorization', `Bearer ${adminKey}`).set('Content-Type', 'application/json').send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.details[0]).toEqual({ field: `rule${'.rule'.repeat(63)}`, message: 'nested deeper than 64 levels' });
  });

  it('names fields MongoDB would refuse, and traits past their size', async () => {
    const res = await post('/v1/batch', { batch: [
      { type: 'track', userId: 'u-shape', event: 'X', properties: { $where: 1, ok: { 'a.b': 2 } } },
      { type: 'identify', userId: 'u-shape', traits: { bio: 'x'.repeat(4000) } },
    ] });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual(expect.arrayContaining([
      { field: 'batch.0.properties.$where', message: 'a field name may not start with $' },
      { field: 'batch.0.properties.ok.a.b', message: 'a field name may not contain a dot' },
      { field: 'batch.1.traits.bio', message: 'a trait\'s value may be at most 2048 bytes' },
    ]));
    expect((await admin('/v1/customers?userId=u-shape')).status).toBe(404);
  });

  it('reads a 500 KB batch of hostile e-mail traits without stalling', async () => {
    const email = `a@${'.b'.repeat(7 * 1024)}@x`;
    const batch = Array.from({ length: 30 }, (_, i) => ({ type: 'identify', userId: `u-redos-${i}`, traits: { email } }));
    const started = Date.now();
    const res = await post('/v1/batch', { batch });
    // Before: ~0.2 s of event loop for each of these events (6 s in all).
    expect(Date.now() - started).toBeLessThan(1500);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toHaveLength(30);
    expect(res.body.error.details[7]).toEqual({ field: 'batch.7.traits.email', message: 'not a valid email' });
  });
});

describe('an event MongoDB refuses', () => {
  it('is set aside, visible in the timeline and the UI, and the customer\'s later events go on', async () => {
    await post('/v1/identify', { userId: 'u-poison', traits: { name: 'Pat' } }).expect(200);
    const customerId = await customerOf('u-poison');
    const handle = stack.temporal.workflow.getHandle(customerWorkflowId(customerId));
    await eventually(async () => ((await handle.query(stateQuery)).counters.events === 1 ? true : undefined));

    // As a path that skips the API's checks would deliver it (an event accepted before them):
    // a NUL in a field name, which no MongoDB stores.
    const at = new Date().toISOString();
    const event = (messageId: string, properties: Record<string, unknown>): CustomerEvent =>
      ({ messageId, kind: 'track', name: 'Product Viewed', properties, traits: {}, timestamp: at });
    await handle.signal(eventsSignal, [event('good-1', { sku: 'a' }), event('bad-1', { 'sku\0': 'b' }), event('good-2', { sku: 'c' })], {});
    await post('/v1/track', { userId: 'u-poison', event: 'Order Completed', messageId: 'good-3', properties: { total: 10 } }).expect(200);

    const state = await eventually(async () => { const s = await handle.query(stateQuery); return s.counters.events === 4 ? s : undefined; }, 60_000);
    expect(state.counters.orders).toBe(1);
    expect(state.setAside).toEqual([expect.objectContaining({ messageId: 'bad-1', name: 'Product Viewed', reason: expect.stringContaining('null bytes') })]);
    const stored = await eventually(async () => { const docs = await stack.db.models.events.find({ customerId }).toArray(); return docs.length === 5 ? docs : undefined; });
    expect(stored.map((e) => e.messageId)).toEqual(expect.arrayContaining(['bad-1', 'good-1', 'good-2', 'good-3']));
    const timeline = (await admin(`/v1/customers/${customerId}/timeline`).expect(200)).body.items as { messageId?: string; setAside?: { reason: string; content: string } }[];
    expect(timeline.find((e) => e.messageId === 'bad-1')?.setAside).toEqual({ reason: expect.stringContaining('null bytes'), content: JSON.stringify({ properties: { 'sku\0': 'b' }, traits: {} }) });
    expect(timeline.find((e) => e.messageId === 'good-2')?.setAside).toBeUndefined();
    // The Temporal UI shows it on the workflow's details line.
    const metadata = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toMatch(/^1 event set aside, MongoDB refused to store them; the last: Product Viewed/);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    // A retry of the refused event is dropped, not refused again.
    await handle.signal(eventsSignal, [event('bad-1', { 'sku\0': 'b' })], {});
    await post('/v1/track', { userId: 'u-poison', event: 'Page Viewed', messageId: 'good-4' }).expect(200);
    const after = await eventually(async () => { const s = await handle.query(stateQuery); return s.counters.events === 5 ? s : undefined; }, 30_000);
    expect(after.setAside).toHaveLength(1);
  });
});

describe('random Segment payloads, valid and broken', () => {
  // Each run's events carry a tag in their properties or traits, so that what was stored can be counted.
  const identity = fc.constantFrom('pbt-a', 'pbt-b', 'pbt-c', 'pbt-d');
  const nasty = fc.oneof(fc.string(), fc.constantFrom('$x', 'a.b', '', 'nul\0', '__proto__', 'constructor'));
  const value = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.string({ maxLength: 40 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
      fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(nasty, tie('value'), { maxKeys: 3 })),
  })).value;
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  // Mostly valid, so that both sides are well exercised: a broken field now and then.
  const often = (good: fc.Arbitrary<unknown>, ...bad: fc.Arbitrary<unknown>[]): fc.Arbitrary<unknown> => fc.oneof({ arbitrary: good, weight: 6 * bad.length }, ...bad.map((arbitrary) => ({ arbitrary, weight: 1 })));
  const payload = fc.record({
    type: often(fc.constantFrom('track', 'identify', 'page', 'screen', 'group', 'alias'), fc.constant('bogus')),
    userId: often(identity, fc.constant(''), fc.integer(), fc.constant(null), fc.object()),
    event: often(fc.constantFrom('Order Completed', 'Product Viewed'), fc.string({ maxLength: 300 }), fc.integer(), fc.constant(undefined)),
    withId: fc.boolean(),
    properties: maybe(often(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !/[.$\0]/.test(k) && k !== '__proto__'), value, { maxKeys: 4 }), fc.dictionary(nasty, value, { maxKeys: 4 }), fc.string())),
    traits: maybe(fc.oneof(fc.dictionary(fc.constantFrom('email', 'phone', 'name', 'plan', '$set', 'a.b'), fc.oneof(fc.string(), fc.emailAddress(), fc.integer()), { maxKeys: 3 }), fc.integer())),
    timestamp: maybe(often(fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString()), fc.string())),
    previousId: maybe(often(identity, fc.integer())),
    groupId: maybe(fc.constantFrom('g-1', 'g-2')),
  }, { requiredKeys: ['type', 'userId', 'withId', 'event'] });

  it('answers no 5xx, names a field in every refusal, and stores and applies every accepted event exactly once', async () => {
    let n = 0;
    const accepted: string[] = [];
    await fc.assert(fc.asyncProperty(fc.array(payload, { minLength: 1, maxLength: 4 }), fc.boolean(), async (items, asBatch) => {
      const events = items.map(({ withId, ...rest }) => {
        const tag = `pbt-${n++}`;
        const body: Record<string, unknown> = { ...rest, ...(withId && { messageId: tag }) };
        // The tag rides where the event keeps it, so that it is found again when no messageId was given.
        if (body.properties && typeof body.properties === 'object') (body.properties as Record<string, unknown>).pbtTag = tag;
        else if (rest.type !== 'identify') body.properties = { pbtTag: tag };
        return { tag, body };
      });
      const res = asBatch
        ? await post('/v1/batch', { batch: events.map((e) => e.body) })
        : await post(`/v1/${events[0]!.body.type === 'bogus' ? 'track' : String(events[0]!.body.type)}`, events[0]!.body);
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
      if (res.status === 200) {
        const findable = (e: (typeof events)[number]) => e.body.messageId !== undefined || ['track', 'page', 'screen'].includes(String(e.body.type));
        accepted.push(...(asBatch ? events : events.slice(0, 1)).filter(findable).map((e) => e.tag));
      } else {
        expect([400, 413]).toContain(res.status);
        expect(res.body.error.details.length).toBeGreaterThan(0);
        for (const d of res.body.error.details) expect(d.field).toEqual(expect.any(String));
      }
    }), { numRuns: 80, seed: 20261201 });
    expect(accepted.length).toBeGreaterThan(10);

    // Every accepted event is stored once (by its messageId, or by its tag when it had none) …
    await eventually(async () => {
      const stored = await stack.db.models.events.find({ $or: [{ messageId: { $in: accepted } }, { 'properties.pbtTag': { $in: accepted } }] }).toArray();
      return stored.length >= accepted.length ? stored : undefined;
    }, 60_000).then(async (stored) => {
      const tags = stored.map((e) => (e.messageId?.startsWith('pbt-') ? e.messageId : String(e.properties.pbtTag)));
      expect(new Set(tags).size).toBe(tags.length);
      expect(new Set(tags)).toEqual(new Set(accepted));
    });
    // … and applied once: each customer's count of events is what is stored for it.
    await eventually(async () => {
      const byCustomer = await stack.db.models.events.aggregate<{ _id: string; n: number }>([
        { $match: { setAside: { $exists: false } } }, { $group: { _id: '$customerId', n: { $sum: 1 } } },
      ]).toArray();
      const profiles = await stack.db.models.customers.find({ _id: { $in: byCustomer.map((c) => c._id) }, mergedInto: { $exists: false } }).toArray();
      const counted = new Map(byCustomer.map((c) => [c._id, c.n]));
      return profiles.length > 0 && profiles.every((p) => p.counters.events === counted.get(p._id)) ? true : undefined;
    }, 60_000);
  });
});
