// Keys with labels and scopes on the real servers: each route needs its scope, a key without it
// gets 403 naming it, `<family>:write` includes reading, and the audit trail names the key's label.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { openApiDocument } from '../../api/openapi.js';
import { scopes } from '../../api/scopes.js';
import { adminKey, startStack, writeKey, type Stack } from '../setup/stack.js';

const analyst = 'analyst-key-0123456789';
const editor = 'journey-editor-key-0123456789';
const eraser = 'erasure-key-0123456789';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    worker: false,
    env: {
      API_KEYS: JSON.stringify([
        { label: 'analyst', key: analyst, scopes: ['reports:read', 'segments:read'] },
        { label: 'editor', key: editor, scopes: ['journeys:write'] },
        { label: 'dpo', key: eraser, scopes: ['customers:erase'] },
      ]),
    },
  });
});
afterAll(async () => { await stack?.stop(); });

const as = (key: string) => ({
  get: (path: string) => request(stack.app).get(path).auth(key, ''),
  post: (path: string, body?: object) => request(stack.app).post(path).auth(key, '').send(body),
  delete: (path: string) => request(stack.app).delete(path).auth(key, ''),
});
const lacks = async (res: request.Test, scope: string) => {
  const r = await res.expect(403);
  expect(r.body.error).toMatchObject({ code: 'forbidden', message: expect.stringContaining(scope), details: [{ field: 'scope', message: scope }] });
};
const draft = { id: 'labelled', name: 'Labelled', trigger: { type: 'event', event: 'Signed Up' }, entry: 'done', steps: { done: { type: 'exit' } }, reentry: { mode: 'never' }, onPause: 'hold' };
const range = 'from=2026-03-01&to=2026-03-02';

describe('API keys with labels and scopes', () => {
  it('lets a read-only analyst read reports and segments, and nothing else', async () => {
    await as(analyst).get(`/v1/reports/lifecycle?${range}`).expect(200);
    await as(analyst).get('/v1/segments').expect(200);
    await as(analyst).post('/v1/segments/preview', { rule: { type: 'profile', field: 'stage', op: 'eq', value: 'loyal' } }).expect(200);
    await lacks(as(analyst).post('/v1/segments', { name: 'x', rule: { type: 'profile', field: 'stage', op: 'eq', value: 'loyal' } }), 'segments:write');
    await lacks(as(analyst).get('/v1/journeys'), 'journeys:read');
    await lacks(as(analyst).get('/v1/customers?userId=u1'), 'customers:read');
    // Members with their identities are customers' personal data as well.
    await lacks(as(analyst).get('/v1/segments/any/export.csv'), 'customers:read');
    await lacks(as(analyst).get('/v1/audit'), 'audit:read');
    await lacks(as(analyst).post('/v1/track', { userId: 'u1', event: 'X' }), 'events:write');
    expect(await stack.db.models.segments.countDocuments()).toBe(0);
    expect(await stack.db.models.events.countDocuments()).toBe(0);
  });

  it('lets an editor change and read journeys; the audit trail names the key by its label, never the key', async () => {
    await as(editor).post('/v1/journeys', draft).expect(201);
    await as(editor).get('/v1/journeys/labelled').expect(200);
    await lacks(as(editor).get('/v1/templates'), 'templates:read');
    const trail = (await as(adminKey).get('/v1/audit?entity=journey&entityId=labelled').expect(200)).body.items;
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({ key: 'editor', action: 'journey.create', entityId: 'labelled' });
    expect(JSON.stringify(trail)).not.toContain(editor);
  });

  it('lets an erasure key erase and nothing more, and keeps today\'s write and admin keys as they were', async () => {
    await as(eraser).delete('/v1/customers/c0000000000000000000').expect(200);
    await lacks(as(eraser).get('/v1/customers/c0000000000000000000'), 'customers:read');
    expect((await as(adminKey).get('/v1/audit?entity=customer').expect(200)).body.items[0]).toMatchObject({ key: 'dpo', action: 'customer.erase' });

    const write = await as(writeKey).get('/v1/journeys').expect(403);
    expect(write.body.error.message).toContain('may only send events');
    await lacks(as(writeKey).get('/v1/audit'), 'audit:read');
    await as(adminKey).get('/v1/audit').expect(200);
    await as(adminKey).get(`/v1/reports/channels?${range}`).expect(200);
    await as('not-a-key-at-all-0123').get('/v1/audit').expect(401);
  });

  it('names in the OpenAPI document the scope every keyed operation needs, each a known scope', () => {
    for (const [path, item] of Object.entries(openApiDocument().paths ?? {})) {
      for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
        const op = item[method];
        if (!op || (op.security ?? []).length === 0) continue;
        const named = [...(/Scope: (.+)\.$/m.exec(op.description ?? '')?.[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]);
        expect(named.length, `${method} ${path}`).toBeGreaterThan(0);
        for (const s of named) expect(scopes, `${method} ${path}`).toContain(s);
      }
    }
  });
});
