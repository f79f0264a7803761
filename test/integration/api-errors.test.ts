// Bad input gets a clear error and changes nothing; unreachable servers get 503.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import { createApp } from '../../api/app.js';
import { ingestService, type IngestItem } from '../../api/ingest/service.js';
import { identityRepository } from '../../store/identities.js';
import { freePort } from '../../scripts/servers.js';
import { adminKey, startStack, writeKey, type Stack } from '../setup/stack.js';

let stack: Stack;
beforeAll(async () => { stack = await startStack({ worker: false }); });
afterAll(async () => { await stack?.stop(); });

const nothingStored = async () => {
  expect(await stack.db.models.identities.countDocuments()).toBe(0);
  expect(await stack.db.models.events.countDocuments()).toBe(0);
};

describe('authentication', () => {
  it('answers 401 without a key and for an unknown key, 403 for a write key on admin routes', async () => {
    const event = { userId: 'u1', event: 'X' };
    const none = await request(stack.app).post('/v1/track').send(event);
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthenticated');
    const unknown = await request(stack.app).post('/v1/track').auth('not-a-real-key-at-all', '').send(event);
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe('invalid_key');
    const scope = await request(stack.app).get('/v1/customers?userId=u1').auth(writeKey, '');
    expect(scope.status).toBe(403);
    await nothingStored();
  });
});

describe('validation', () => {
  it('answers 400 naming each bad field of a track call', async () => {
    const res = await request(stack.app).post('/v1/track').auth(writeKey, '').send({ event: '', properties: 'x', timestamp: 'yesterday' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    const fields = res.body.error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['event', 'properties', 'timestamp']));
    const anonymous = await request(stack.app).post('/v1/track').auth(writeKey, '').send({ event: 'X' });
    expect(anonymous.body.error.details).toEqual([{ field: 'userId', message: 'userId or anonymousId is required' }]);
    await nothingStored();
  });

  it('rejects a whole batch when one event is bad, naming its index, and applies none of it', async () => {
    const res = await request(stack.app).post('/v1/batch').auth(writeKey, '').send({ batch: [
      { type: 'track', userId: 'u1', event: 'Good' },
      { type: 'identify', userId: 'u2', traits: { phone: '123' } },
      { type: 'nope', userId: 'u3' },
    ] });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(['batch.2.type']);
    const phone = await request(stack.app).post('/v1/batch').auth(writeKey, '').send({ batch: [
      { type: 'track', userId: 'u1', event: 'Good' }, { type: 'identify', userId: 'u2', traits: { phone: '123' } },
    ] });
    expect(phone.status).toBe(400);
    expect(phone.body.error.details).toEqual([{ field: 'batch.1.traits.phone', message: expect.stringContaining('phone') }]);
    await nothingStored();
  });

  it('answers 400 for malformed JSON and 413 past Segment\'s size limits', async () => {
    const bad = await request(stack.app).post('/v1/track').auth(writeKey, '').set('Content-Type', 'application/json').send('{"userId":');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_json');
    const big = await request(stack.app).post('/v1/track').auth(writeKey, '').send({ userId: 'u1', event: 'X', properties: { blob: 'x'.repeat(33 * 1024) } });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('event_too_large');
    const huge = await request(stack.app).post('/v1/batch').auth(writeKey, '').send({ batch: Array.from({ length: 30 }, () => ({ type: 'track', userId: 'u1', event: 'X', properties: { blob: 'x'.repeat(20 * 1024) } })) });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
    await nothingStored();
  });

  it('answers 415 for an admin route\'s body that is not JSON (a cross-site form\'s), changing nothing; ingestion still reads text/plain', async () => {
    const segment = JSON.stringify({ id: 'form-made', name: 'Forged', rule: { type: 'profile', field: 'stage', op: 'eq', value: 'customer' } });
    const refused = [
      await request(stack.app).post('/v1/segments').auth(adminKey, '').set('Content-Type', 'text/plain').send(segment),
      await request(stack.app).put('/v1/segments/form-made').auth(adminKey, '').set('Content-Type', 'text/plain;charset=UTF-8').send(segment),
      await request(stack.app).post('/v1/templates').auth(adminKey, '').type('form').send('id=t&channel=sms&body=hi'),
      await request(stack.app).post('/v1/journeys').auth(adminKey, '').set('Content-Type', 'multipart/form-data; boundary=x').send('--x--'),
    ];
    for (const res of refused) {
      expect([res.status, res.body.error.code]).toEqual([415, 'unsupported_media_type']);
      expect(res.body.error.message).toContain('application/json');
    }
    expect(await stack.db.models.segments.countDocuments()).toBe(0);
    expect(await stack.db.models.templates.countDocuments()).toBe(0);
    // JSON under a +json type is JSON; a POST without a body needs no type.
    await request(stack.app).post('/v1/segments').auth(adminKey, '').set('Content-Type', 'application/vnd.closedloop+json').send(segment).expect(201);
    await request(stack.app).delete('/v1/segments/form-made').auth(adminKey, '').expect(200);
    expect((await request(stack.app).post('/v1/campaigns/none/cancel').auth(adminKey, '')).body.error.code).toBe('not_found');
    // Segment's analytics.js posts text/plain: still read as JSON (here, and refused for its bad field).
    const ingested = await request(stack.app).post('/v1/track').auth(writeKey, '').set('Content-Type', 'text/plain').send(JSON.stringify({ userId: 'u1', event: '' }));
    expect([ingested.status, ingested.body.error.details[0]?.field]).toEqual([400, 'event']);
    await nothingStored();
  });

  it('answers lookups with bad parameters with 400 and unknown customers with 404', async () => {
    const two = await request(stack.app).get('/v1/customers?phone=1&email=a@b.co').auth(adminKey, '');
    expect(two.status).toBe(400);
    const badPhone = await request(stack.app).get('/v1/customers?phone=12').auth(adminKey, '');
    expect(badPhone.body.error.details).toEqual([{ field: 'phone', message: 'not a valid phone' }]);
    const badId = await request(stack.app).get('/v1/customers/../etc').auth(adminKey, '');
    expect(badId.status).toBe(404);
    const unknown = await request(stack.app).get('/v1/customers/c000000000aaaaaaaaaa').auth(adminKey, '');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: { code: 'not_found', message: 'no such customer', details: [] } });
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After past the per-key limit, counting each key apart, and stores nothing more', async () => {
    const app = createApp({ config: { ...stack.config, api: { ...stack.config.api, rateLimitPerMinute: 3 } }, db: stack.db, temporal: stack.temporal, logger: pino({ level: 'silent' }) });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await request(app).post('/v1/track').auth(writeKey, '').send({ event: 'X' })).status);
    expect(statuses).toEqual([400, 400, 400, 429]);
    const limited = await request(app).post('/v1/track').auth(writeKey, '').send({ userId: 'u-rl', event: 'X' });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await request(app).get('/v1/customers?userId=nobody').auth(adminKey, '')).status).toBe(404);
    await nothingStored();
  });
});

describe('availability', () => {
  it('reports both servers up on /healthz', async () => {
    const res = await request(stack.app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', temporal: 'up', mongodb: 'up' });
  });

  it('answers 503 when Temporal is unreachable, and /healthz says which server is down', async () => {
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    const temporal = new Client({ connection });
    const app = createApp({ config: { ...stack.config, api: { ...stack.config.api, temporalTimeoutMs: 1000 } }, db: stack.db, temporal, logger: pino({ level: 'silent' }) });
    const res = await request(app).post('/v1/track').auth(writeKey, '').send({ userId: 'u-503', event: 'X' });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('temporal_unavailable');
    const health = await request(app).get('/healthz');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ temporal: 'down', mongodb: 'up' });
    await connection.close().catch(() => undefined);
  }, 15_000);

  it('refuses a request at once with 503 overloaded while too many signals wait, and takes it when they have drained', async () => {
    const ingest = ingestService({
      temporal: stack.temporal, identities: identityRepository(stack.db.models), taskQueue: stack.config.temporal.taskQueue,
      settings: { rules: stack.config.lifecycleRules, policy: stack.config.messagingPolicy }, identity: stack.config.identity, maxBacklog: 60,
    });
    const items = (prefix: string, n: number): IngestItem[] =>
      Array.from({ length: n }, (_, i) => ({ event: { type: 'track', userId: `${prefix}-${i}`, event: 'Product Viewed', messageId: `${prefix}-m${i}` }, at: `batch.${i}` }) as IngestItem);
    const first = ingest.ingest(items('busy', 50));
    // Wait until the first request's signals are queued for Temporal.
    for (let i = 0; i < 200 && ingest.backlog() === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(ingest.backlog()).toBeGreaterThan(10);
    await expect(ingest.ingest(items('late', 20))).rejects.toMatchObject({ status: 503, code: 'overloaded', retryAfterSeconds: 2 });
    // Nothing of the refused request was stored: identities are resolved only after admission.
    expect(await stack.db.models.identities.countDocuments({ _id: /^userId:late-/ })).toBe(0);
    expect(await first).toEqual({ accepted: 50, customers: 50 });
    expect(ingest.backlog()).toBe(0);
    expect(await ingest.ingest(items('late', 20))).toEqual({ accepted: 20, customers: 20 });
  }, 60_000);
});
