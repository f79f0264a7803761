// MongoDB goes away: ingestion keeps being accepted (Temporal holds the events), activities wait
// with backoff, and everything is applied once MongoDB is back. Its own MongoDB (H2 file), so
// stopping it touches no other test file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { freePort, startMongo, type RunningServer } from '../../scripts/servers.js';
import { customerWorkflowId, stateQuery } from '../../workflows/messages.js';
import { eventually, startStack, writeKey, type Stack } from '../setup/stack.js';

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
});
