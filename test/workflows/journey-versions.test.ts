// A journey edited while customers are mid-wait: they finish on the version they entered with,
// unless the marketer migrates them, step by step. Real worker, API and MongoDB; time skipped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { adminKey, eventually, writeKey } from '../setup/stack.js';
import { timeSkippingStack, type TimeSkippingStack } from '../setup/time-skipping.js';

const D = 86_400_000;
let s: TimeSkippingStack;
let start: number;
const admin = (method: 'post' | 'put', path: string, body?: object) => request(s.app)[method](path).auth(adminKey, '').send(body);

function twoStep(journey: string, first: string, duration: string, template: string) {
  return {
    name: 'Edited mid-wait', trigger: { type: 'event', event: 'Sample Booked', where: [{ field: 'journey', op: 'eq', value: journey }] }, entry: first,
    steps: { [first]: { type: 'wait', duration, next: 'send' }, send: { type: 'send', channel: 'sms', template, priority: 'transactional', next: 'done' }, done: { type: 'exit' } },
    reentry: { mode: 'never' }, onPause: 'hold',
  };
}

beforeAll(async () => {
  s = await timeSkippingStack();
  for (const id of ['old', 'new']) await admin('post', '/v1/templates', { id, channel: 'sms', body: `${id} version` }).expect(201);
  for (const id of ['pinned', 'moved']) {
    await admin('post', '/v1/journeys', { id, ...twoStep(id, 'wait', '10 days', 'old') }).expect(201);
    await admin('post', `/v1/journeys/${id}/publish`).expect(200);
  }
  start = await s.env.currentTimeMs();
}, 120_000);
afterAll(async () => { await s?.stop(); });

async function book(userId: string, phone: string, journey: string): Promise<void> {
  const timestamp = new Date(await s.env.currentTimeMs()).toISOString();
  await request(s.app).post('/v1/batch').auth(writeKey, '').send({ batch: [
    { type: 'identify', userId, timestamp, traits: { phone } },
    { type: 'track', userId, timestamp, event: 'Sample Booked', properties: { journey } },
  ] }).expect(200);
}

async function received(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const m of await s.db.models.messages.find({ status: 'sent' }).sort({ requestedAt: 1 }).toArray()) {
    const user = (await s.db.models.identities.findOne({ customerId: m.customerId, type: 'userId' }))!._id.slice('userId:'.length);
    (out[user] ??= []).push(`${m.journeyId}@v${m.journeyVersion}:${m.template}:day ${Math.round((m.requestedAt!.getTime() - start) / D)}`);
  }
  return out;
}

describe('a journey edited while customers wait', () => {
  it('lets customers finish on their version, and moves them when the marketer migrates them', async () => {
    await book('ana', '+8613900000001', 'pinned');
    await book('cai', '+8613900000003', 'moved');
    await s.env.sleep('1 day');

    // Day 1: both journeys get a v2; `moved` with a shorter first wait under a new step name.
    await admin('put', '/v1/journeys/pinned', twoStep('pinned', 'wait', '10 days', 'new')).expect(200);
    expect((await admin('post', '/v1/journeys/pinned/publish').expect(200)).body.version).toBe(2);
    await admin('put', '/v1/journeys/moved', twoStep('moved', 'pause', '5 days', 'new')).expect(200);
    await admin('post', '/v1/journeys/moved/publish').expect(200);
    await book('bo', '+8613900000002', 'pinned');

    // Day 2: the marketer moves the `moved` customers from v1's wait to v2's pause.
    await s.env.sleep('1 day');
    const bad = await admin('post', '/v1/journeys/moved/migrate', { fromVersion: 1, toVersion: 2, steps: { wait: 'nope' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toMatch(/steps\.wait/);
    expect((await admin('post', '/v1/journeys/moved/migrate', { fromVersion: 1, toVersion: 2, steps: { wait: 'pause' } }).expect(200)).body).toEqual({ customers: 1 });
    // The move reaches the stored profile at once (the journey report's customers now, the next migration's who).
    const cai = (await s.db.models.identities.findOne({ _id: 'userId:cai' }))!.customerId;
    const place = async () => (await s.db.models.customers.findOne({ _id: cai }))?.journeys?.filter((j) => j.journeyId === 'moved').map((j) => `v${j.version}:${j.stepId}`);
    await eventually(async () => ((await place())?.[0] === 'v2:pause' ? true : undefined), 30_000);
    expect(await place()).toEqual(['v2:pause']);

    // Operators see who is in which journey in the Temporal UI.
    const ana = (await s.db.models.identities.findOne({ _id: 'userId:ana' }))!.customerId;
    expect((await s.env.client.workflow.getHandle(`customer-${ana}`).describe()).searchAttributes.ActiveJourneys).toEqual(['pinned']);

    await s.env.sleep('12 days');
    expect(await received()).toEqual({
      ana: ['pinned@v1:old:day 10'],
      // Migrated customers keep their wait's deadline and continue on the new version.
      cai: ['moved@v2:new:day 10'],
      bo: ['pinned@v2:new:day 11'],
    });
    expect((await s.env.client.workflow.getHandle(`customer-${ana}`).describe()).searchAttributes.ActiveJourneys ?? []).toEqual([]);
  }, 180_000);
});
