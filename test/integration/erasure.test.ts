// Erasure on the real servers: a customer merged into one merged into another (A → B → C) is
// erased whole by DELETE of C, with every record, receipt, outbox row and workflow history.
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { pino } from 'pino';
import { createApp } from '../../api/app.js';
import { freePort } from '../../scripts/servers.js';
import { customerWorkflowId } from '../../workflows/customer-contract.js';
import type { Normalised } from '../../activities/routing.js';
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
  }, 30_000);
const gone = (workflowId: string) => eventually(async () => {
  try {
    await stack.temporal.workflow.getHandle(workflowId).describe();
    return undefined;
  } catch (err) {
    return err instanceof WorkflowNotFoundError ? true : undefined;
  }
}, 90_000, 500);

/** A provider's reply to a message, signed as providers sign their webhooks. */
function reply(messageId: string, text: string) {
  const body = JSON.stringify({ id: randomUUID(), type: 'reply', messageId, text });
  const at = Math.floor(Date.now() / 1000);
  const signature = `v1=${createHmac('sha256', stack.config.channels.signingSecret).update(`${at}.${body}`).digest('hex')}`;
  return request(stack.app).post('/v1/webhooks/sms').set('Content-Type', 'application/json')
    .set({ 'X-Closedloop-Timestamp': String(at), 'X-Closedloop-Signature': signature }).send(body);
}

describe('erasure of merged customers', () => {
  it('erases a chain of merges (A into B, B into C) with DELETE of C: profiles, records, receipts, outbox, deferred ingests and histories', async () => {
    // Oldest first: C, then B, then A, so each merge keeps the older one (A into B, B into C).
    await send([{ type: 'identify', userId: 'chain-c', messageId: 'c1', traits: { email: 'chain-c@example.com' } }]);
    const c = await eventually(() => customerOf('userId=chain-c'));
    await profileWhen(c, (p) => p.counters.events === 1);
    await send([{ type: 'identify', userId: 'chain-b', messageId: 'b1', traits: { phone: '+8613900002222' } }]);
    const b = await eventually(() => customerOf('userId=chain-b'));
    await profileWhen(b, (p) => p.counters.events === 1);
    await send([
      { type: 'identify', userId: 'chain-a', messageId: 'a1', traits: { name: 'Lan' } },
      { type: 'track', userId: 'chain-a', messageId: 'a2', event: 'Order Completed', properties: { total: 30 } },
    ]);
    const a = await eventually(() => customerOf('userId=chain-a'));
    await profileWhen(a, (p) => p.counters.events === 2);
    expect([c, b, a]).toEqual([c, b, a].sort());
    expect(await stack.db.models.conversions.countDocuments({ customerId: a })).toBe(1);

    // A's message, the outbox row it left and the provider's reply (its text becomes a receipt and an event).
    const now = new Date();
    const sms = `${a}:sms-1`;
    await stack.db.models.messages.insertOne({ _id: sms, customerId: a, channel: 'sms', template: 't', priority: 'marketing', status: 'sent', links: [], attempts: 1, attemptsEnded: 1, createdAt: now, sentAt: now, updatedAt: now });
    await stack.db.models.outbox.insertOne({ _id: sms, customerId: a, channel: 'sms', template: 't', to: '+8613900003333', body: 'hi Lan', html: false, recordedAt: now });
    expect((await reply(sms, 'call me on 13900003333')).status).toBe(200);
    await profileWhen(a, (p) => p.counters.events === 3);

    // Events A sent while MongoDB was away, held and delivered by a deferred ingest.
    const deferredId = `deferred-ingest-${randomUUID()}`;
    const held: Normalised[] = [{
      event: { messageId: 'a3', kind: 'track', name: 'Page Viewed', properties: {}, traits: { phone: '+8613900003333' }, timestamp: new Date().toISOString() },
      identities: [{ type: 'userId', value: 'chain-a' }],
    }];
    expect(await stack.temporal.workflow.execute('deferredIngestWorkflow', { workflowId: deferredId, taskQueue: stack.taskQueue, args: [held] })).toEqual({ customers: 1 });
    await profileWhen(a, (p) => p.counters.events === 4);

    // A into B (A's user id buys with B's phone), then B into C (B's user id with C's e-mail).
    await send([{ type: 'track', userId: 'chain-a', messageId: 'a4', event: 'Page Viewed', context: { traits: { phone: '+8613900002222' } } }]);
    await profileWhen(a, (p) => p.mergedInto === b);
    await profileWhen(b, (p) => p.mergedFrom.includes(a));
    await send([{ type: 'track', userId: 'chain-b', messageId: 'b2', event: 'Page Viewed', context: { traits: { email: 'chain-c@example.com' } } }]);
    await profileWhen(b, (p) => p.mergedInto === c);
    await profileWhen(c, (p) => p.mergedFrom.includes(b));

    const res = await request(stack.app).delete(`/v1/customers/${c}`).auth(adminKey, '');
    expect(res.status).toBe(200);
    expect(res.body.deleted.customers).toBe(3);
    for (const id of [a, b, c]) expect((await admin(`/v1/customers/${id}`)).status).toBe(404);
    for (const q of ['userId=chain-a', 'userId=chain-b', 'userId=chain-c', 'phone=13900002222']) expect(await customerOf(q)).toBeUndefined();

    const collections = ['customers', 'events', 'messages', 'outbox', 'conversions', 'stage_changes', 'journey_events', 'identities', 'webhook_receipts', 'deferred_ingests', 'report_days'];
    for (const name of collections) {
      const stored = JSON.stringify(await stack.db.connection.db!.collection(name).find().toArray());
      for (const id of [a, b, c]) expect(stored, `${name} still holds ${id}`).not.toContain(id);
      expect(stored, name).not.toContain('13900003333');
    }
    // The histories held what the person sent: every customer's and the deferred ingest's.
    for (const workflowId of [...[a, b, c].map(customerWorkflowId), deferredId]) await gone(workflowId);
  }, 240_000);

  it('finishes an erasure that was stopped part-way when the request is retried', async () => {
    const ids: string[] = [];
    for (const [i, tag] of ['r-c', 'r-b', 'r-a'].entries()) {
      await send([{ type: 'track', userId: tag, messageId: `${tag}-1`, event: 'Order Completed', properties: { total: 10 }, context: { traits: { email: `${tag}@example.com` } } }]);
      ids.push(await eventually(() => customerOf(`userId=${tag}`)));
      await profileWhen(ids[i]!, (p) => p.counters.events === 1);
    }
    const [c, b, a] = ids as [string, string, string];
    await send([{ type: 'track', userId: 'r-a', messageId: 'r-a-2', event: 'Page Viewed', context: { traits: { email: 'r-b@example.com' } } }]);
    await profileWhen(a, (p) => p.mergedInto === b);
    await send([{ type: 'track', userId: 'r-b', messageId: 'r-b-2', event: 'Page Viewed', context: { traits: { email: 'r-c@example.com' } } }]);
    await profileWhen(b, (p) => p.mergedInto === c);

    // Temporal is unreachable: the workflows cannot be stopped, so nothing is erased.
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    const down = createApp({ config: stack.config, db: stack.db, temporal: new Client({ connection }), logger: pino({ level: 'silent' }) });
    const refused = await request(down).delete(`/v1/customers/${c}`).auth(adminKey, '');
    await connection.close().catch(() => undefined);
    expect([refused.status, refused.body.error.code]).toEqual([503, 'temporal_unavailable']);
    for (const id of [a, b, c]) expect((await admin(`/v1/customers/${id}`)).status).toBe(200);

    // A stop in MongoDB's part: the deepest profile went first, the rest of the erasure did not happen.
    await stack.db.models.customers.deleteOne({ _id: a });
    expect(await stack.db.models.conversions.countDocuments({ customerId: a })).toBe(1);

    const retried = await request(stack.app).delete(`/v1/customers/${c}`).auth(adminKey, '');
    expect(retried.status).toBe(200);
    for (const id of [a, b, c]) expect((await admin(`/v1/customers/${id}`)).status).toBe(404);
    for (const name of ['customers', 'events', 'conversions', 'stage_changes', 'identities']) {
      const stored = JSON.stringify(await stack.db.connection.db!.collection(name).find().toArray());
      for (const id of [a, b, c]) expect(stored, `${name} still holds ${id}`).not.toContain(id);
    }
    for (const id of [a, b, c]) await gone(customerWorkflowId(id));
  }, 240_000);
});
