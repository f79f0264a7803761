// The single customer view on the real servers: merges, timelines, lifecycle by events, erasure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { pino } from 'pino';
import { createApp } from '../../api/app.js';
import { freePort } from '../../scripts/servers.js';
import request from 'supertest';
import { customerWorkflowId, stateQuery } from '../../workflows/customer-contract.js';
import { adminKey, eventually, startStack, writeKey, type Stack } from '../setup/stack.js';

let stack: Stack;
beforeAll(async () => { stack = await startStack(); });
afterAll(async () => { await stack?.stop(); });

const send = (batch: object[]) => request(stack.app).post('/v1/batch').auth(writeKey, '').send({ batch }).expect(200);
const admin = (path: string) => request(stack.app).get(path).auth(adminKey, '');
const customerOf = async (query: string): Promise<string | undefined> => {
  const res = await admin(`/v1/customers?${query}`);
  return res.status === 200 ? res.body.customerId : undefined;
};
const profileWhen = async (id: string, ok: (p: Record<string, any>) => boolean) =>
  eventually(async () => {
    const res = await admin(`/v1/customers/${id}`);
    return res.status === 200 && res.body.profile && ok(res.body.profile) ? res.body : undefined;
  });

describe('identity resolution', () => {
  it('makes concurrent first events of one new identity into one customer', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) =>
      request(stack.app).post('/v1/track').auth(writeKey, '').send({ anonymousId: 'anon-race', event: 'Page Viewed', messageId: `race-${i}` }).expect(200)));
    const id = await eventually(() => customerOf('anonymousId=anon-race'));
    await profileWhen(id, (p) => p.counters.events === 10);
    expect(await stack.db.models.customers.countDocuments()).toBe(1);
  });

  it('merges two channels\' customers into one, with one timeline, visible in both profiles', async () => {
    await send([
      { type: 'track', anonymousId: 'anon-web', event: 'Product Viewed', messageId: 'w1', properties: { sku: 'oil' } },
      { type: 'track', anonymousId: 'anon-web', event: 'Product Viewed', messageId: 'w2', properties: { sku: 'cream' } },
    ]);
    const web = await eventually(() => customerOf('anonymousId=anon-web'));
    await send([
      { type: 'identify', userId: 'member-88', messageId: 'p1', traits: { phone: '+86 139 0000 1111', name: 'Mei' }, context: { channel: 'pos' } },
      { type: 'track', userId: 'member-88', event: 'Order Completed', messageId: 'p2', properties: { total: 200 } },
    ]);
    const pos = await eventually(() => customerOf('userId=member-88'));
    expect(pos).not.toBe(web);
    await profileWhen(pos, (p) => p.counters.events === 2);

    // The anonymous browser buys with the known phone number.
    await send([{ type: 'track', anonymousId: 'anon-web', event: 'Order Completed', messageId: 'w3', properties: { total: 300 }, context: { traits: { phone: '13900001111' } } }]);

    const [survivor, merged] = [web, pos].sort();
    const view = await profileWhen(survivor!, (p) => p.counters.events === 5);
    expect(view.profile).toMatchObject({ counters: { orders: 2, spend: 500 }, mergedFrom: [merged], stage: 'customer', traits: { name: 'Mei' } });
    expect(view.identities.map((i: { type: string }) => i.type).sort()).toEqual(['anonymousId', 'phone', 'userId']);
    for (const q of ['anonymousId=anon-web', 'userId=member-88', 'phone=13900001111']) expect(await customerOf(q)).toBe(survivor);

    const other = await admin(`/v1/customers/${merged}`);
    expect(other.body.profile.mergedInto).toBe(survivor);
    expect(other.body.workflow.status).toBe('completed');
    expect(await stack.temporal.workflow.getHandle(customerWorkflowId(merged!)).result()).toEqual({ mergedInto: survivor });

    const live = await stack.temporal.workflow.getHandle(customerWorkflowId(survivor!)).query(stateQuery);
    expect(live.counters).toMatchObject({ events: 5, orders: 2, spend: 500 });

    const timeline = await admin(`/v1/customers/${survivor}/timeline?limit=10`);
    expect(timeline.body.items.map((e: { messageId: string }) => e.messageId).sort()).toEqual(['p1', 'p2', 'w1', 'w2', 'w3']);
  });

  it('still merges when the request that linked the two was refused with 503 and retried', async () => {
    await send([{ type: 'identify', userId: 'shop-1', messageId: 'r1', traits: { email: 'ren@example.com' } }]);
    const shop = await eventually(() => customerOf('userId=shop-1'));
    await send([{ type: 'identify', userId: 'app-1', messageId: 'r2', traits: { phone: '+8613900007777' } }]);
    const app = await eventually(() => customerOf('userId=app-1'));
    await Promise.all([profileWhen(shop, (p) => p.counters.events === 1), profileWhen(app, (p) => p.counters.events === 1)]);

    // Temporal is unreachable for this request: identities are resolved (and moved) before the signals fail.
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    const down = createApp({ config: { ...stack.config, api: { ...stack.config.api, temporalTimeoutMs: 1000 } }, db: stack.db, temporal: new Client({ connection }), logger: pino({ level: 'silent' }) });
    const linking = { type: 'track', userId: 'shop-1', event: 'Order Completed', messageId: 'r3', properties: { total: 5 }, context: { traits: { phone: '+8613900007777' } } };
    expect((await request(down).post('/v1/batch').auth(writeKey, '').send({ batch: [linking] })).status).toBe(503);
    await connection.close().catch(() => undefined);

    // The client retries the same request once Temporal answers: the merge happens after all.
    await send([linking]);
    const [survivor, merged] = [shop, app].sort();
    const view = await profileWhen(survivor!, (p) => p.counters.events === 3);
    expect(view.profile).toMatchObject({ mergedFrom: [merged], counters: { orders: 1 } });
    expect(await stack.temporal.workflow.getHandle(customerWorkflowId(merged!)).result()).toEqual({ mergedInto: survivor });
    // Handed over: the moved identities no longer point back at the merged customer.
    await eventually(async () => ((await stack.db.models.identities.countDocuments({ movedFrom: { $exists: true } })) === 0 ? true : undefined));
  });
});

describe('lifecycle and timeline', () => {
  it('moves a customer stranger → fan → member → customer → loyal by events alone, visible in the Temporal search attributes', async () => {
    const steps: [string, string][] = [['Page Viewed', 'stranger'], ['Followed', 'fan'], ['Signed Up', 'member'], ['Order Completed', 'customer'], ['Order Completed', 'customer'], ['Order Completed', 'loyal']];
    let id: string | undefined;
    for (const [i, [event, stage]] of steps.entries()) {
      await send([{ type: 'track', userId: 'ladder', event, messageId: `ladder-${i}`, properties: { total: 100 } }]);
      id ??= await eventually(() => customerOf('userId=ladder'));
      await profileWhen(id, (p) => p.counters.events === i + 1 && p.stage === stage);
    }
    const handle = stack.temporal.workflow.getHandle(customerWorkflowId(id!));
    const attrs = await eventually(async () => {
      const sa = (await handle.describe()).searchAttributes;
      return sa.LifecycleStage?.[0] === 'loyal' ? sa : undefined;
    });
    expect(attrs).toMatchObject({ CustomerId: [id], Tier: ['bronze'] });
  });

  it('pages through a timeline newest first without gaps or repeats', async () => {
    const batch = Array.from({ length: 25 }, (_, i) => ({ type: 'track', userId: 'pager', event: 'Page Viewed', messageId: `pg-${String(i).padStart(2, '0')}`, timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, Math.floor(i / 2))).toISOString() }));
    await send(batch);
    const id = await eventually(() => customerOf('userId=pager'));
    await profileWhen(id, (p) => p.counters.events === 25);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await admin(`/v1/customers/${id}/timeline?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((e: { messageId: string }) => e.messageId));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(batch.map((e) => e.messageId).reverse());

    // Messages sent to the customer take their place among the events.
    const sentAt = new Date(Date.UTC(2026, 0, 1, 0, 0, 5, 500));
    await stack.db.models.messages.insertOne({ _id: 'pager-msg', customerId: id, channel: 'sms', template: 'promo', priority: 'marketing', status: 'suppressed', reason: 'frequency_cap', links: [], attempts: 0, attemptsEnded: 0, createdAt: sentAt, updatedAt: sentAt });
    const mixed = await admin(`/v1/customers/${id}/timeline?limit=30`);
    const ids = mixed.body.items.map((e: { id: string; messageId?: string }) => e.messageId ?? e.id);
    expect(ids.indexOf('pager-msg')).toBe(ids.indexOf('pg-12') + 1);
    expect(ids.indexOf('pg-11')).toBe(ids.indexOf('pager-msg') + 1);
    expect(mixed.body.items[ids.indexOf('pager-msg')]).toMatchObject({ type: 'message', channel: 'sms', template: 'promo', status: 'suppressed', reason: 'frequency_cap' });
    expect((await admin(`/v1/customers/${id}/timeline?cursor=garbage`)).status).toBe(400);
  });

  it('erases a customer on request: workflow ended, profile, timeline and identities gone', async () => {
    await send([
      { type: 'identify', userId: 'forget-me', messageId: 'f1', traits: { email: 'gone@example.com' } },
      { type: 'track', userId: 'forget-me', messageId: 'f2', event: 'Order Completed', properties: { total: 10 } },
    ]);
    const id = await eventually(() => customerOf('email=gone@example.com'));
    await profileWhen(id, (p) => p.counters.events === 2);
    // The report records of the person: a conversion and a stage move.
    expect(await stack.db.models.conversions.countDocuments({ customerId: id })).toBe(1);
    expect(await stack.db.models.stageChanges.countDocuments({ customerId: id })).toBe(1);
    const now = new Date();
    await stack.db.models.messages.insertOne({ _id: `${id}:m1`, customerId: id, channel: 'email', template: 't', priority: 'marketing', status: 'sent', links: [], attempts: 1, attemptsEnded: 1, createdAt: now, updatedAt: now });
    const res = await request(stack.app).delete(`/v1/customers/${id}`).auth(adminKey, '');
    expect(res.body).toEqual({ deleted: { customers: 1, events: 2, identities: 2, messages: 1 } });
    expect(await stack.db.models.conversions.countDocuments({ customerId: id })).toBe(0);
    expect(await stack.db.models.stageChanges.countDocuments({ customerId: id })).toBe(0);
    // The history held the traits it was signalled with: it is deleted too (the server does it
    // in the background, about 20 s here).
    await eventually(async () => {
      try { await stack.temporal.workflow.getHandle(customerWorkflowId(id)).describe(); return undefined; } catch (err) { return err instanceof WorkflowNotFoundError ? true : undefined; }
    }, 60_000, 500);
    expect((await admin(`/v1/customers/${id}`)).status).toBe(404);
    expect(await customerOf('email=gone@example.com')).toBeUndefined();
    expect(JSON.stringify(await stack.db.connection.db!.collection('customers').find().toArray())).not.toContain('gone@example.com');
  });
});
