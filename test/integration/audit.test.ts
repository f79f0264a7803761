// The audit trail on the real servers: every admin route of the OpenAPI document that changes
// something leaves exactly one record (the key's label, the route, the entity, the document
// before and after) or says why it is not audited; refusals and repeats leave none; the trail
// pages newest first and filters by entity and time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { openApiDocument } from '../../api/openapi.js';
import { auditSpecs } from '../../api/audit/route-entities.js';
import type { JourneyDraft } from '../../api/journeys/schema.js';
import { newCustomerId } from '../../store/identities.js';
import { customers, random } from '../setup/segment-data.js';
import { adminKey, startStack, type Stack } from '../setup/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ worker: false });
  const now = new Date();
  await stack.db.models.templates.insertOne({ _id: 'nudge-sms', channel: 'sms', body: 'Still thinking about it?', locales: {}, variants: [], createdAt: now, updatedAt: now });
});
afterAll(async () => { await stack?.stop(); });

const admin = {
  get: (path: string) => request(stack.app).get(path).auth(adminKey, ''),
  post: (path: string, body?: object) => request(stack.app).post(path).auth(adminKey, '').send(body),
  put: (path: string, body: object) => request(stack.app).put(path).auth(adminKey, '').send(body),
  patch: (path: string, body: object) => request(stack.app).patch(path).auth(adminKey, '').send(body),
  delete: (path: string) => request(stack.app).delete(path).auth(adminKey, ''),
};
const records = () => stack.db.models.audit.countDocuments();

const welcome: JourneyDraft = {
  name: 'Welcome',
  trigger: { type: 'event', event: 'Signed Up' },
  entry: 'hello',
  steps: {
    hello: { type: 'send', channel: 'email', template: 'welcome-email', next: 'pause' },
    pause: { type: 'wait', duration: '2 days', next: 'remind' },
    remind: { type: 'send', channel: 'sms', template: 'nudge-sms', next: 'done' },
    done: { type: 'exit' },
  },
  reentry: { mode: 'never' },
  onPause: 'hold',
};
const vips = { type: 'profile', field: 'tags', op: 'contains', value: 'vip' };

/** The changing admin routes of the OpenAPI document, as `METHOD /path/:param`. */
function documentedChanges(): string[] {
  const out: string[] = [];
  for (const [path, item] of Object.entries(openApiDocument().paths ?? {})) {
    for (const method of ['post', 'put', 'patch', 'delete'] as const) {
      const op = item[method];
      const scope = /Scope: (.+)\.$/m.exec(op?.description ?? '')?.[1];
      if (op && scope && scope !== '`events:write`') out.push(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
    }
  }
  return out.sort();
}

interface Step {
  route: string;
  /** Whatever the route needs first (through the API or MongoDB); its records are not counted. */
  setup?: () => Promise<unknown>;
  run: () => request.Test;
  entity: string;
  entityId: string | (() => string);
  /** What the record's before and after hold (null: none). */
  before: object | null;
  after: object | null;
  outcome?: object;
}

let endpointId = '';
let importId = '';
const customerId = newCustomerId();
const steps: Step[] = [
  {
    route: 'POST /v1/templates', run: () => admin.post('/v1/templates', { id: 'welcome-email', channel: 'email', subject: 'Welcome', body: 'Hello {{ profile.traits.name }}' }),
    entity: 'template', entityId: 'welcome-email', before: null, after: { _id: 'welcome-email', body: 'Hello {{ profile.traits.name }}' },
  },
  {
    route: 'PUT /v1/templates/:id', run: () => admin.put('/v1/templates/welcome-email', { channel: 'email', subject: 'Welcome', body: 'Hi' }),
    entity: 'template', entityId: 'welcome-email', before: { body: 'Hello {{ profile.traits.name }}' }, after: { body: 'Hi' },
  },
  {
    route: 'POST /v1/journeys', run: () => admin.post('/v1/journeys', { id: 'welcome', ...welcome }),
    entity: 'journey', entityId: 'welcome', before: null, after: { _id: 'welcome', status: 'draft', draft: { name: 'Welcome' } },
  },
  {
    route: 'PUT /v1/journeys/:id', run: () => admin.put('/v1/journeys/welcome', { ...welcome, name: 'Welcome aboard' }),
    entity: 'journey', entityId: 'welcome', before: { name: 'Welcome' }, after: { name: 'Welcome aboard' },
  },
  {
    route: 'POST /v1/journeys/:id/publish', run: () => admin.post('/v1/journeys/welcome/publish'),
    entity: 'journey', entityId: 'welcome', before: { status: 'draft', latestVersion: 0 }, after: { status: 'active', latestVersion: 1 },
  },
  {
    route: 'POST /v1/journeys/:id/pause', run: () => admin.post('/v1/journeys/welcome/pause', { onPause: 'exit' }),
    entity: 'journey', entityId: 'welcome', before: { status: 'active' }, after: { status: 'paused', onPause: 'exit' },
  },
  {
    route: 'POST /v1/journeys/:id/resume', run: () => admin.post('/v1/journeys/welcome/resume'),
    entity: 'journey', entityId: 'welcome', before: { status: 'paused' }, after: { status: 'active' },
  },
  {
    route: 'POST /v1/journeys/:id/migrate',
    setup: async () => {
      await admin.put('/v1/journeys/welcome', { ...welcome, steps: { ...welcome.steps, pause: { type: 'wait', duration: '3 days', next: 'remind' } } }).expect(200);
      await admin.post('/v1/journeys/welcome/publish').expect(200);
    },
    run: () => admin.post('/v1/journeys/welcome/migrate', { fromVersion: 1, toVersion: 2, steps: { pause: 'pause' } }),
    entity: 'journey', entityId: 'welcome', before: { latestVersion: 2 }, after: { latestVersion: 2 }, outcome: { customers: 0 },
  },
  {
    route: 'POST /v1/journeys/:id/archive', run: () => admin.post('/v1/journeys/welcome/archive'),
    entity: 'journey', entityId: 'welcome', before: { status: 'active' }, after: { status: 'archived' },
  },
  {
    route: 'DELETE /v1/journeys/:id', setup: () => admin.post('/v1/journeys', { id: 'never-published', ...welcome }).expect(201),
    run: () => admin.delete('/v1/journeys/never-published'), entity: 'journey', entityId: 'never-published', before: { status: 'draft' }, after: null,
  },
  {
    route: 'POST /v1/segments', run: () => admin.post('/v1/segments', { id: 'vips', name: 'VIPs', rule: vips }),
    entity: 'segment', entityId: 'vips', before: null, after: { _id: 'vips', name: 'VIPs', rule: vips },
  },
  {
    route: 'PUT /v1/segments/:id', run: () => admin.put('/v1/segments/vips', { name: 'Top VIPs', rule: vips }),
    entity: 'segment', entityId: 'vips', before: { name: 'VIPs' }, after: { name: 'Top VIPs' },
  },
  {
    route: 'POST /v1/campaigns', run: () => admin.post('/v1/campaigns', { id: 'spring', name: 'Spring', segmentId: 'vips', message: { channel: 'sms', template: 'nudge-sms' } }),
    entity: 'campaign', entityId: 'spring', before: null, after: { _id: 'spring', segmentId: 'vips' },
  },
  {
    route: 'POST /v1/campaigns/:id/cancel', run: () => admin.post('/v1/campaigns/spring/cancel'),
    entity: 'campaign', entityId: 'spring', before: { _id: 'spring' }, after: { status: 'cancelled' },
  },
  { route: 'DELETE /v1/segments/:id', run: () => admin.delete('/v1/segments/vips'), entity: 'segment', entityId: 'vips', before: { name: 'Top VIPs' }, after: null },
  {
    route: 'POST /v1/subscription-groups', run: () => admin.post('/v1/subscription-groups', { id: 'newsletter', name: 'Newsletter', channel: 'email', type: 'opt_in' }),
    entity: 'subscription_group', entityId: 'newsletter', before: null, after: { _id: 'newsletter', name: 'Newsletter' },
  },
  {
    route: 'PUT /v1/subscription-groups/:id', run: () => admin.put('/v1/subscription-groups/newsletter', { name: 'News' }),
    entity: 'subscription_group', entityId: 'newsletter', before: { name: 'Newsletter' }, after: { name: 'News' },
  },
  {
    route: 'PUT /v1/customers/:id/subscriptions',
    setup: () => {
      const { mergedInto: _merged, ...customer } = customers(random(3), 1, Date.now())[0]!;
      return stack.db.models.customers.insertOne({ ...customer, _id: customerId });
    },
    run: () => admin.put(`/v1/customers/${customerId}/subscriptions`, { subscriptions: { newsletter: true } }),
    // A customer's profile is never copied: the answer is.
    entity: 'customer', entityId: customerId, before: null, after: null, outcome: { accepted: true, subscriptions: [{ group: 'newsletter', chosen: true, subscribed: true }] },
  },
  {
    route: 'POST /v1/subscription-groups/:id/archive', run: () => admin.post('/v1/subscription-groups/newsletter/archive'),
    entity: 'subscription_group', entityId: 'newsletter', before: { archived: false }, after: { archived: true },
  },
  {
    route: 'DELETE /v1/customers/:id', run: () => admin.delete(`/v1/customers/${customerId}`),
    entity: 'customer', entityId: customerId, before: null, after: null, outcome: { deleted: { customers: 1 } },
  },
  {
    route: 'POST /v1/messages/:id/send-again',
    setup: () => {
      const now = new Date();
      return stack.db.models.messages.insertOne({
        _id: 'm-unknown', customerId: 'c-someone', channel: 'email', template: 'welcome-email', priority: 'marketing', status: 'unknown', reason: 'outcome_unknown',
        to: 'someone@example.com', variables: { profile: { traits: { name: 'Ana' } } }, links: [], attempts: 1, attemptsEnded: 0, pastNoReturn: 1, unknownAt: now, createdAt: now, updatedAt: now,
      });
    },
    // No worker here: the send does not settle within the request's wait, and is recorded all the same.
    run: () => admin.post('/v1/messages/m-unknown/send-again'),
    entity: 'message', entityId: 'm-unknown', before: { status: 'unknown' }, after: { status: 'unknown' }, outcome: { status: 'unknown', settled: false },
  },
  { route: 'DELETE /v1/templates/:id', run: () => admin.delete('/v1/templates/welcome-email'), entity: 'template', entityId: 'welcome-email', before: { _id: 'welcome-email' }, after: null },
  {
    route: 'POST /v1/event-endpoints', run: () => admin.post('/v1/event-endpoints', { url: 'https://hooks.example.com/in', events: ['conversion'] }),
    entity: 'event_endpoint', entityId: () => endpointId, before: null, after: { url: 'https://hooks.example.com/in' },
  },
  {
    route: 'PATCH /v1/event-endpoints/:id', run: () => admin.patch(`/v1/event-endpoints/${endpointId}`, { description: 'warehouse' }),
    entity: 'event_endpoint', entityId: () => endpointId, before: { url: 'https://hooks.example.com/in' }, after: { description: 'warehouse' },
  },
  {
    route: 'POST /v1/event-endpoints/:id/rotate-secret', run: () => admin.post(`/v1/event-endpoints/${endpointId}/rotate-secret`),
    entity: 'event_endpoint', entityId: () => endpointId, before: { description: 'warehouse' }, after: { previousSecretUntil: expect.any(Date) },
  },
  {
    route: 'POST /v1/event-endpoints/:id/replay', run: () => admin.post(`/v1/event-endpoints/${endpointId}/replay`, {}),
    entity: 'event_endpoint', entityId: () => endpointId, before: { description: 'warehouse' }, after: { description: 'warehouse' }, outcome: { replayed: 0 },
  },
  {
    route: 'DELETE /v1/event-endpoints/:id', run: () => admin.delete(`/v1/event-endpoints/${endpointId}`),
    entity: 'event_endpoint', entityId: () => endpointId, before: { description: 'warehouse' }, after: null,
  },
  {
    route: 'POST /v1/imports',
    run: () => request(stack.app).post('/v1/imports?kind=customers').auth(adminKey, '').set('Content-Type', 'text/csv').send('userId,email,name\nu-imported,someone@example.com,Ana\n'),
    entity: 'import', entityId: () => importId, before: null, after: null, outcome: { kind: 'customers', file: { bytes: 53 } },
  },
  {
    route: 'POST /v1/imports/:id/cancel', run: () => admin.post(`/v1/imports/${importId}/cancel`),
    entity: 'import', entityId: () => importId, before: null, after: null, outcome: { kind: 'customers' },
  },
];

describe('audit trail', () => {
  it('knows every changing admin route of the OpenAPI document: audited with a step below, or not audited for a stated reason', () => {
    const documented = documentedChanges();
    expect(documented.length).toBeGreaterThan(25);
    expect(documented.filter((r) => !auditSpecs[r]), 'routes without an audit declaration in api/audit/route-entities.ts').toEqual([]);
    const audited = documented.filter((r) => !('notAudited' in auditSpecs[r]!));
    expect(steps.map((s) => s.route).sort()).toEqual(audited);
    for (const r of documented.filter((x) => 'notAudited' in auditSpecs[x]!)) expect((auditSpecs[r] as { notAudited: string }).notAudited.length, r).toBeGreaterThan(20);
  });

  it('records each change once: the key\'s label, the route, the entity, the document before and after', async () => {
    for (const step of steps) {
      await step.setup?.();
      const count = await records();
      const res = await step.run();
      expect(res.status, `${step.route}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
      if (step.route === 'POST /v1/event-endpoints') endpointId = res.body.id;
      if (step.route === 'POST /v1/imports') importId = res.body.id;
      expect(await records(), step.route).toBe(count + 1);
      const [entry] = (await stack.db.models.audit.find({}).sort({ at: -1, _id: -1 }).limit(1).toArray());
      const entityId = typeof step.entityId === 'function' ? step.entityId() : step.entityId;
      expect(entry, step.route).toMatchObject({
        key: 'admin-1', route: step.route, entity: step.entity, entityId, action: expect.stringMatching(new RegExp(`^${step.entity}\\.`)), status: res.status,
        at: expect.any(Date),
        ...(step.outcome && { outcome: step.outcome }),
      });
      if (step.before === null) expect(entry!.before, step.route).toBeNull(); else expect(entry!.before, step.route).toMatchObject(step.before);
      if (step.after === null) expect(entry!.after, step.route).toBeNull(); else expect(entry!.after, step.route).toMatchObject(step.after);
      // Never a key, its hash, a signing secret or a customer's personal data.
      const text = JSON.stringify(entry);
      for (const secret of [adminKey, 'whsec_', 'someone@example.com', 'Ana']) expect(text, step.route).not.toContain(secret);
    }
  }, 180_000);

  it('records nothing for a refused change (400, 404, 409) or one that changed nothing (a repeated create)', async () => {
    await admin.post('/v1/segments', { id: 'again', name: 'Again', rule: vips }).expect(201);
    const count = await records();
    await admin.post('/v1/segments', { id: 'again', name: 'Again', rule: vips }).expect(200);
    await admin.post('/v1/segments', { id: 'again', name: 'Other', rule: vips }).expect(409);
    await admin.put('/v1/segments/missing', { name: 'x', rule: vips }).expect(404);
    await admin.post('/v1/templates', { id: 'bad', channel: 'fax', body: 'x' }).expect(400);
    await admin.post('/v1/journeys', { id: 'welcome', ...welcome }).expect(409);
    await admin.post('/v1/journeys/welcome/pause').expect(409);
    await admin.delete('/v1/templates/never-was').expect(404);
    // Body ids are only ever read as text: an operator object reaches no query.
    await admin.post('/v1/segments', { id: { $gt: '' }, name: 'x', rule: vips }).expect(400);
    // Not audited: changes nothing.
    await admin.post('/v1/segments/preview', { rule: vips }).expect(200);
    expect(await records()).toBe(count);
  });

  it('pages newest first, filtered by entity, id and time; refuses bad parameters naming the field', async () => {
    const all = (await admin.get('/v1/audit?limit=200').expect(200)).body;
    expect(all.nextCursor).toBeNull();
    expect(all.items.length).toBe(await records());
    const times = all.items.map((e: { at: string }) => e.at);
    expect([...times].sort().reverse()).toEqual(times);
    expect(all.items[0]).toMatchObject({ id: expect.stringMatching(/^a/), key: 'admin-1', entity: expect.any(String) });

    const journey = (await admin.get('/v1/audit?entity=journey&entityId=welcome').expect(200)).body.items;
    expect(journey.map((e: { action: string }) => e.action)).toEqual([
      'journey.archive', 'journey.migrate', 'journey.publish', 'journey.update', 'journey.resume', 'journey.pause', 'journey.publish', 'journey.update', 'journey.create',
    ]);
    expect(journey[journey.length - 1]).toMatchObject({ route: 'POST /v1/journeys', before: null, after: { _id: 'welcome', createdAt: expect.any(String) } });

    const pages: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: { items: { id: string }[]; nextCursor: string | null } = (await admin.get(`/v1/audit?limit=4${cursor ? `&cursor=${cursor}` : ''}`).expect(200)).body;
      expect(page.items.length).toBeLessThanOrEqual(4);
      pages.push(...page.items.map((e: { id: string }) => e.id));
      cursor = page.nextCursor;
    }
    expect(pages).toEqual(all.items.map((e: { id: string }) => e.id));

    const middle = all.items[Math.floor(all.items.length / 2)];
    const older = (await admin.get(`/v1/audit?to=${encodeURIComponent(middle.at)}&limit=200`).expect(200)).body.items;
    expect(older.every((e: { at: string }) => e.at < middle.at)).toBe(true);
    const newer = (await admin.get(`/v1/audit?from=${encodeURIComponent(middle.at)}&limit=200`).expect(200)).body.items;
    expect(older.length + newer.length).toBe(all.items.length);

    for (const [query, field] of [['from=yesterday', 'from'], ['from=2026-02-01&to=2026-01-01', 'to'], ['limit=0', 'limit'], ['cursor=nope', 'cursor'], ['entity=Journey!', 'entity']]) {
      const res = await admin.get(`/v1/audit?${query}`).expect(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.details.map((d: { field: string }) => d.field), query).toContain(field);
    }
  });
});
