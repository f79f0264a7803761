// Segments through the admin API and in MongoDB: CRUD, previews, refusals naming each bad field,
// and the proof that a segment's MongoDB query selects exactly the customers inSegment selects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { adminKey, startStack, writeKey, type Stack } from '../setup/stack.js';
import { customers, events, random, rule as randomRule } from '../setup/segment-data.js';
import { segmentFilter } from '../../store/segment-query.js';
import type { CustomerDoc } from '../../store/models.js';
import type { CustomerState } from '../../workflows/lifecycle/state.js';
import type { CustomerEvent } from '../../workflows/lifecycle/event.js';
import type { SegmentRule } from '../../workflows/segments/types.js';
import { behaviourEventsOf, emptyBehaviourLog, inSegment, recordBehaviour } from '../../workflows/segments/evaluate.js';
import { PreviewRequest } from '../../api/segments/schema.js';

let stack: Stack;
beforeAll(async () => { stack = await startStack({ worker: false }); });
afterAll(async () => { await stack?.stop(); });

const api = () => request(stack.app);
const D = 86_400_000;
const searched: SegmentRule = { type: 'behaviour', event: 'Product Searched', within: '7 days', count: { gte: 1 } };
const cohort: SegmentRule = { type: 'profile', field: 'traits.cohort', op: 'eq', value: 'preview' };

describe('segments API', () => {
  it('creates, lists, reads, replaces and deletes a segment; a retried create changes nothing', async () => {
    const body = { id: 'searchers', name: 'Searchers', rule: searched };
    const created = await api().post('/v1/segments').auth(adminKey, '').send(body).expect(201);
    expect(created.body).toMatchObject(body);
    const again = await api().post('/v1/segments').auth(adminKey, '').send(body).expect(200);
    expect(again.body).toEqual(created.body);
    const clash = await api().post('/v1/segments').auth(adminKey, '').send({ ...body, name: 'Other' }).expect(409);
    expect(clash.body.error.code).toBe('conflict');
    const unnamed = await api().post('/v1/segments').auth(adminKey, '').send({ name: 'VIPs', rule: { type: 'profile', field: 'tags', op: 'contains', value: 'vip' } }).expect(201);
    expect(unnamed.body.id).toMatch(/^s[0-9a-f]{16}$/);

    const list = await api().get('/v1/segments').auth(adminKey, '').expect(200);
    expect(list.body.items.map((s: { id: string }) => s.id).sort()).toEqual([unnamed.body.id, 'searchers'].sort());
    expect((await api().get('/v1/segments/searchers').auth(adminKey, '').expect(200)).body).toEqual(created.body);

    const rule = { type: 'not', rule: searched };
    const replaced = await api().put('/v1/segments/searchers').auth(adminKey, '').send({ name: 'Not searchers', rule }).expect(200);
    expect(replaced.body).toMatchObject({ id: 'searchers', name: 'Not searchers', rule, createdAt: created.body.createdAt });
    await api().put('/v1/segments/searchers').auth(adminKey, '').send({ id: 'other', name: 'x', rule }).expect(400);
    await api().put('/v1/segments/missing').auth(adminKey, '').send({ name: 'x', rule }).expect(404);

    await api().delete('/v1/segments/searchers').auth(adminKey, '').expect(200, { id: 'searchers', deleted: true });
    await api().delete('/v1/segments/searchers').auth(adminKey, '').expect(404);
    expect((await api().get('/v1/segments/searchers').auth(adminKey, '').expect(404)).body.error.code).toBe('not_found');
    await api().post('/v1/segments/searchers/preview').auth(adminKey, '').expect(404);
  });

  it('keeps a segment a live journey triggers on or a campaign still sends to (409 naming each), and publishes no journey on a missing segment', async () => {
    const admin = {
      post: (path: string, body?: object) => api().post(path).auth(adminKey, '').send(body),
      delete: (path: string) => api().delete(path).auth(adminKey, ''),
    };
    const now = new Date();
    await stack.db.models.templates.insertOne({ _id: 'shopper-sms', channel: 'sms', body: 'Hello again', locales: {}, variants: [], createdAt: now, updatedAt: now });
    await admin.post('/v1/segments', { id: 'shoppers', name: 'Shoppers', rule: cohort }).expect(201);
    const journey = (id: string, segment: string) => ({
      id, name: `Journey ${id}`, trigger: { type: 'segment', segment }, entry: 'hello',
      steps: { hello: { type: 'send', channel: 'sms', template: 'shopper-sms', next: 'done' }, done: { type: 'exit' } },
      reentry: { mode: 'never' }, onPause: 'hold',
    });

    await admin.post('/v1/journeys', journey('misspelt', 'shopers')).expect(201);
    const refused = await admin.post('/v1/journeys/misspelt/publish').expect(400);
    expect(refused.body.error).toMatchObject({ code: 'invalid_journey', details: [{ field: 'trigger.segment', message: 'no segment "shopers"' }] });
    expect((await api().get('/v1/journeys/misspelt').auth(adminKey, '').expect(200)).body).toMatchObject({ status: 'draft', latestVersion: 0 });

    // A draft that names the segment relies on nothing yet; a published (then paused) journey does.
    await admin.post('/v1/journeys', journey('draft-only', 'shoppers')).expect(201);
    await admin.post('/v1/journeys', journey('welcome-back', 'shoppers')).expect(201);
    await admin.post('/v1/journeys/welcome-back/publish').expect(200);
    await admin.post('/v1/journeys/welcome-back/pause').expect(200);
    const at = new Date(Date.now() + 7 * D).toISOString();
    await admin.post('/v1/campaigns', { id: 'next-week', name: 'Next week', segmentId: 'shoppers', message: { channel: 'sms', template: 'shopper-sms' }, at }).expect(201);

    const inUse = await admin.delete('/v1/segments/shoppers').expect(409);
    expect(inUse.body.error).toMatchObject({
      code: 'segment_in_use',
      details: [
        { field: 'id', message: 'journey "welcome-back" (paused) is triggered by it' },
        { field: 'id', message: 'campaign "next-week" (scheduled) sends to it' },
      ],
    });
    await api().get('/v1/segments/shoppers').auth(adminKey, '').expect(200);

    await admin.post('/v1/journeys/welcome-back/archive').expect(200);
    expect((await admin.delete('/v1/segments/shoppers').expect(409)).body.error.details).toEqual([{ field: 'id', message: 'campaign "next-week" (scheduled) sends to it' }]);
    await admin.post('/v1/campaigns/next-week/cancel').expect(200);
    await admin.delete('/v1/segments/shoppers').expect(200, { id: 'shoppers', deleted: true });
  });

  it('previews a rule, saved or not: the count and the first 20 customers by id', async () => {
    const now = Date.now();
    await stack.db.models.customers.insertMany(customers(random(7), 25, now).map(({ mergedInto: _merged, ...d }, i) => ({
      ...d, _id: `p${String(i).padStart(2, '0')}`, stage: i % 3 === 0 ? 'loyal' : 'customer', tier: i % 2 === 0 ? 'gold' : 'silver', traits: { cohort: 'preview' },
    })));
    await stack.db.models.events.insertMany(Array.from({ length: 10 }, (_, i) => ({
      _id: `pe${i}`, customerId: `p${String(i).padStart(2, '0')}`, kind: 'track', name: 'Product Searched', properties: {}, traits: {}, timestamp: new Date(now - 2 * D),
    })));
    const preview = async (rule: SegmentRule) => (await api().post('/v1/segments/preview').auth(adminKey, '').send({ rule }).expect(200)).body;

    const searchers = await preview({ type: 'and', rules: [cohort, searched] });
    expect(searchers.count).toBe(10);
    expect(searchers.sample).toEqual(Array.from({ length: 10 }, (_, i) => ({ id: `p0${i}`, stage: i % 3 === 0 ? 'loyal' : 'customer', tier: i % 2 === 0 ? 'gold' : 'silver' })));
    expect((await preview({ type: 'and', rules: [cohort, { type: 'not', rule: searched }] })).count).toBe(15);
    expect((await preview({ type: 'and', rules: [cohort, { type: 'profile', field: 'tier', op: 'eq', value: 'gold' }] })).count).toBe(13);
    const everyone = await preview(cohort);
    expect(everyone.count).toBe(25);
    expect(everyone.sample.map((s: { id: string }) => s.id)).toEqual(Array.from({ length: 20 }, (_, i) => `p${String(i).padStart(2, '0')}`));

    await api().post('/v1/segments').auth(adminKey, '').send({ id: 'lapsed-searchers', name: 'x', rule: { type: 'and', rules: [cohort, searched] } }).expect(201);
    expect((await api().post('/v1/segments/lapsed-searchers/preview').auth(adminKey, '').expect(200)).body).toEqual(searchers);
  });

  it('refuses a bad rule naming every bad field, stores nothing, and keeps segments to admin keys', async () => {
    const res = await api().post('/v1/segments').auth(adminKey, '').send({
      id: 'bad', name: '',
      rule: {
        type: 'and', rules: [
          { type: 'profile', field: 'traits.a.b', op: 'eq', value: 1 },
          { type: 'behaviour', event: 'Order Completed', within: '36h', count: {} },
          { type: 'profile', field: 'stage', op: 'in', value: ['custmer'] },
          { type: 'behaviour', event: 'Order Completed', where: [{ field: 'items.sku', op: 'gt', value: true }], within: '91 days', count: { gte: 3, lte: 1 } },
          { type: 'profile', field: 'counters.lastOrderAt', op: 'lt', value: 'last tuesday' },
          { type: 'xor', rules: [] },
        ],
      },
    }).expect(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'name', 'rule.rules.0.field', 'rule.rules.1.count', 'rule.rules.1.within', 'rule.rules.2.value', 'rule.rules.3.count.lte',
      'rule.rules.3.where.0.field', 'rule.rules.3.where.0.value', 'rule.rules.3.within', 'rule.rules.4.value', 'rule.rules.5.type',
    ]);
    await api().get('/v1/segments/bad').auth(adminKey, '').expect(404);

    let deep: SegmentRule = cohort;
    for (let i = 0; i < 11; i++) deep = { type: 'not', rule: deep };
    const tooDeep = await api().post('/v1/segments/preview').auth(adminKey, '').send({ rule: deep }).expect(400);
    expect(tooDeep.body.error.details).toEqual([{ field: `rule${'.rule'.repeat(10)}`, message: 'nested more than 10 deep' }]);
    await api().post('/v1/segments/preview').auth(adminKey, '').send({ rule: { type: 'or', rules: [] } }).expect(400);
    expect((await api().get('/v1/segments').auth(writeKey, '').expect(403)).body.error.code).toBe('forbidden');
  });
});

// Both sides read the same stored documents (the previews' customers too): the query, and
// inSegment over each customer with the behaviour log its workflow would keep from its events.
describe('a segment in MongoDB selects exactly the customers inSegment selects', () => {
  const now = Date.parse('2026-03-10T15:00:00Z');
  const r = random(20260310);
  const docs = customers(r, 300, now);
  const evs = events(r, docs.map((d) => d._id), 4000, now);
  const fixed: SegmentRule[] = [
    { type: 'and', rules: [searched, { type: 'behaviour', event: 'Order Completed', within: '30 days', count: { lte: 0 } }] },
    {
      type: 'or', rules: [
        { type: 'and', rules: [{ type: 'profile', field: 'tier', op: 'in', value: ['gold', 'silver'] }, { type: 'not', rule: { type: 'profile', field: 'tags', op: 'contains', value: 'vip' } }] },
        { type: 'and', rules: [{ type: 'not', rule: { type: 'profile', field: 'consent.email', op: 'eq', value: false } }, { type: 'profile', field: 'traits.city', op: 'contains', value: 'hai' }] },
        { type: 'behaviour', event: 'Order Completed', where: [{ field: 'total', op: 'gte', value: 500 }], within: '30 days', count: { gte: 2 } },
      ],
    },
    { type: 'not', rule: { type: 'or', rules: [{ type: 'profile', field: 'stage', op: 'in', value: ['stranger', 'fan'] }, { type: 'behaviour', event: 'Product Viewed', where: [{ field: 'category', op: 'contains', value: 'skincare' }], within: '14 days', count: { gte: 1, lte: 3 } }] } },
    { type: 'and', rules: [{ type: 'profile', field: 'counters.lastOrderAt', op: 'lt', value: '30 days ago' }, { type: 'not', rule: { type: 'behaviour', event: 'Page Viewed', within: '1 week', count: { gte: 1 } } }, { type: 'profile', field: 'traits.age', op: 'gte', value: 30 }] },
    { type: 'not', rule: { type: 'not', rule: { type: 'and', rules: [{ type: 'profile', field: 'points', op: 'gt', value: 1000 }, { type: 'or', rules: [{ type: 'profile', field: 'traits.sizes', op: 'eq', value: 40 }, { type: 'profile', field: 'traits.city', op: 'exists', value: false }] }] } } },
    { type: 'behaviour', event: 'Product Searched', where: [{ field: 'query', op: 'contains', value: 'serum' }, { field: 'channel', op: 'neq', value: 'pos' }], within: '90 days', count: { gte: 0, lte: 2 } },
    { type: 'or', rules: [{ type: 'profile', field: 'traits.sizes', op: 'contains', value: 40 }, { type: 'profile', field: 'traits.sizes', op: 'exists', value: false }] },
  ];
  const generated = Array.from({ length: 100 }, () => randomRule(r, 4));

  let stored: CustomerDoc[];
  const eventsOf = new Map<string, CustomerEvent[]>();
  beforeAll(async () => {
    const db = stack.db.models;
    await db.customers.insertMany(docs);
    await db.events.insertMany(evs);
    stored = await db.customers.find({}).toArray();
    for (const e of await db.events.find({}).toArray()) {
      const list = eventsOf.get(e.customerId) ?? [];
      list.push({ messageId: e._id, kind: e.kind as CustomerEvent['kind'], ...(e.name !== undefined && { name: e.name }), properties: e.properties, traits: e.traits, timestamp: e.timestamp.toISOString() });
      eventsOf.set(e.customerId, list);
    }
  });

  function bruteForce(rule: SegmentRule): string[] {
    const tracked = behaviourEventsOf([rule]);
    return stored.filter(({ _id, ...profile }) => {
      const log = recordBehaviour(emptyBehaviourLog(), eventsOf.get(_id) ?? [], tracked, now);
      return inSegment(rule, { customerId: _id, ...profile } as unknown as CustomerState, log, now);
    }).map((d) => d._id).sort();
  }
  const viaMongo = async (rule: SegmentRule): Promise<string[]> =>
    (await stack.db.models.customers.find(await segmentFilter(stack.db.models.events, rule, now), { projection: { _id: 1 } }).toArray()).map((d) => d._id).sort();

  it('for hand-written nested rules, each selecting some customers but not all', async () => {
    const members = stored.filter((d) => d.mergedInto === undefined).length;
    for (const [i, rule] of fixed.entries()) {
      expect(PreviewRequest.safeParse({ rule }).success, `rule ${i} is valid`).toBe(true);
      const expected = bruteForce(rule);
      expect(await viaMongo(rule), `rule ${i}`).toEqual(expected);
      expect(expected.length, `rule ${i} selects someone`).toBeGreaterThan(0);
      expect(expected.length, `rule ${i} leaves someone out`).toBeLessThan(members);
    }
  });

  it('for 100 random rules nested up to four deep', async () => {
    let nonTrivial = 0;
    for (const [i, rule] of generated.entries()) {
      expect(PreviewRequest.safeParse({ rule }).success, `random rule ${i} is valid: ${JSON.stringify(rule)}`).toBe(true);
      const expected = bruteForce(rule);
      expect(await viaMongo(rule), `random rule ${i}: ${JSON.stringify(rule)}`).toEqual(expected);
      if (expected.length > 0 && expected.length < stored.length - 10) nonTrivial += 1;
    }
    expect(nonTrivial).toBeGreaterThan(50);
  });
});
