// MongoDB goes away: ingestion keeps being accepted (Temporal holds the events), activities wait
// with backoff, and everything is applied once MongoDB is back. Its own MongoDB (H2 file), so
// stopping it touches no other test file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { freePort, startMongo, type RunningServer } from '../../scripts/servers.js';
import { customerWorkflowId, stateQuery } from '../../workflows/customer-contract.js';
import { adminKey, eventually, startStack, writeKey, type Stack } from '../setup/stack.js';

const dir = mkdtempSync(path.join(tmpdir(), 'closedloop-outage-'));
const file = path.join(dir, 'mongo.mv.db');
let port: number;
let mongo: RunningServer | undefined;
let stack: Stack;

beforeAll(async () => {
  port = await freePort();
  mongo = await startMongo({ storage: `h2:${file}`, port, heap: '512m' });
  stack = await startStack({ env: { MONGODB_URI: `mongodb://127.0.0.1:${port}` } });
}, 120_000);
afterAll(async () => {
  await stack?.stop().catch(() => undefined);
  await mongo?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const track = (userId: string, messageId: string, event = 'Page Viewed') =>
  request(stack.app).post('/v1/batch').auth(writeKey, '').send({ batch: [{ type: 'track', userId, event, messageId, properties: { total: 10 } }] });
const counters = async (userId: string) => {
  const doc = await stack.db.models.identities.findOne({ _id: `userId:${userId}` });
  if (!doc) return undefined;
  return (await stack.db.models.customers.findOne({ _id: doc.customerId }))?.counters;
};

describe('a MongoDB outage', () => {
  it('accepts events while MongoDB is down and applies each of them once it is back', async () => {
    expect((await track('known', 'o-1')).status).toBe(200);
    await eventually(async () => ((await counters('known'))?.events === 1 ? true : undefined));
    const knownId = (await stack.db.models.identities.findOne({ _id: 'userId:known' }))!.customerId;

    await mongo!.stop();
    mongo = undefined;
    const during = await Promise.all([track('known', 'o-2', 'Order Completed'), track('new-during-outage', 'o-3')]);
    expect(during.map((r) => [r.status, r.body.deferred])).toEqual([[200, true], [200, true]]);
    // A client retrying the same request while MongoDB is still away is the same deferred work.
    expect((await track('known', 'o-2', 'Order Completed')).status).toBe(200);

    await new Promise((r) => setTimeout(r, 3000));
    mongo = await startMongo({ storage: `h2:${file}`, port, heap: '512m' });

    await eventually(async () => ((await counters('known'))?.orders === 1 ? true : undefined), 90_000, 500);
    await eventually(async () => ((await counters('new-during-outage'))?.events === 1 ? true : undefined), 90_000, 500);
    const live = await stack.temporal.workflow.getHandle(customerWorkflowId(knownId)).query(stateQuery);
    expect(live.counters).toMatchObject({ events: 2, orders: 1, spend: 10 });
    expect(await stack.db.models.events.countDocuments({ customerId: knownId })).toBe(2);
  }, 150_000);

  it('answers admin routes 503 mongodb_unavailable with Retry-After within seconds while MongoDB is down, and serves them again once it is back', async () => {
    expect((await track('admin-known', 'o-10')).status).toBe(200);
    const id = await eventually(async () => (await stack.db.models.identities.findOne({ _id: 'userId:admin-known' }))?.customerId);
    const segment = { name: 'Known', rule: { type: 'profile', field: 'stage', op: 'eq', value: 'customer' } };
    const calls = () => [
      request(stack.app).get(`/v1/customers/${id}`).auth(adminKey, ''),
      request(stack.app).get('/v1/journeys').auth(adminKey, ''),
      request(stack.app).post('/v1/segments').auth(adminKey, '').send(segment),
    ];

    await mongo!.stop();
    mongo = undefined;
    // Twice: at once (the driver's connections refused), and once it has given the server up (server selection times out).
    for (const pause of [0, 12_000]) {
      await new Promise((r) => setTimeout(r, pause));
      const started = Date.now();
      const answers = await Promise.all(calls().map(async (call) => { const res = await call; return { res, ms: Date.now() - started }; }));
      for (const { res, ms } of answers) {
        expect([res.status, res.body.error?.code, res.headers['retry-after']]).toEqual([503, 'mongodb_unavailable', '5']);
        expect(ms).toBeLessThan(8000);
      }
    }

    mongo = await startMongo({ storage: `h2:${file}`, port, heap: '512m' });
    await eventually(async () => ((await request(stack.app).get(`/v1/customers/${id}`).auth(adminKey, '')).status === 200 ? true : undefined), 60_000, 500);
    expect((await request(stack.app).get('/v1/journeys').auth(adminKey, '')).status).toBe(200);
    // 201, not 200: none of the refused creates was stored.
    expect((await request(stack.app).post('/v1/segments').auth(adminKey, '').send(segment)).status).toBe(201);
    expect(await stack.db.models.segments.countDocuments()).toBe(1);
  }, 150_000);
});
