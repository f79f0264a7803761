// Journeys through the API on the real servers: drafts, publishing into immutable versions,
// validation that names the step, status changes that move the catalog, and migration signals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { defaultPayloadConverter } from '@temporalio/common';
import { customerWorkflowId } from '../../workflows/customer-contract.js';
import { createJourneyActivities } from '../../activities/journeys.js';
import type { JourneyDraft } from '../../api/journeys/schema.js';
import { adminKey, startStack, writeKey, type Stack } from '../setup/stack.js';

let stack: Stack;
let activities: ReturnType<typeof createJourneyActivities>;
beforeAll(async () => {
  stack = await startStack({ worker: false });
  activities = createJourneyActivities({ models: stack.db.models });
  const now = new Date();
  const template = (_id: string, channel: string, body: string) => ({ _id, channel, body, locales: {}, variants: [], createdAt: now, updatedAt: now });
  await stack.db.models.templates.insertMany([
    template('welcome-email', 'email', 'Hello {{ profile.traits.name }}'),
    template('nudge-sms', 'sms', 'Still thinking about it?'),
    template('broken-email', 'email', 'Hello {{ profile.traits.name '),
  ]);
});
afterAll(async () => { await stack?.stop(); });

const as = (key: string) => ({
  get: (path: string) => request(stack.app).get(path).auth(key, ''),
  post: (path: string, body?: object) => request(stack.app).post(path).auth(key, '').send(body),
  put: (path: string, body: object) => request(stack.app).put(path).auth(key, '').send(body),
  delete: (path: string) => request(stack.app).delete(path).auth(key, ''),
});
const admin = as(adminKey);

const welcome: JourneyDraft = {
  name: 'Welcome',
  trigger: { type: 'event', event: 'Signed Up' },
  entry: 'hello',
  steps: {
    hello: { type: 'send', channel: 'email', template: 'welcome-email', next: 'pause' },
    pause: { type: 'wait', duration: '2 days', next: 'remind' },
    remind: { type: 'send', channel: 'sms', template: 'nudge-sms', onlyIfEngagedWith: 'hello', next: 'done' },
    done: { type: 'exit' },
  },
  reentry: { mode: 'never' },
  onPause: 'hold',
};
const changed = (change: (d: JourneyDraft & { steps: Record<string, any> }) => void): JourneyDraft => {
  const draft = structuredClone(welcome);
  change(draft);
  return draft;
};
const create = async (id: string, draft: JourneyDraft = welcome) => (await admin.post('/v1/journeys', { id, ...draft }).expect(201)).body;

describe('journey drafts', () => {
  it('creates, lists, reads, edits and deletes a draft', async () => {
    const created = await create('crud');
    expect(created).toMatchObject({ id: 'crud', name: 'Welcome', status: 'draft', latestVersion: 0, draft: welcome });
    expect((await admin.get('/v1/journeys?status=draft').expect(200)).body.items.map((j: { id: string }) => j.id)).toContain('crud');
    expect((await admin.get('/v1/journeys/crud').expect(200)).body).toMatchObject({ id: 'crud', status: 'draft', versions: [] });

    const edited = await admin.put('/v1/journeys/crud', { ...welcome, name: 'Welcome, edited' }).expect(200);
    expect(edited.body).toMatchObject({ name: 'Welcome, edited', draft: { name: 'Welcome, edited' } });

    expect((await admin.delete('/v1/journeys/crud').expect(200)).body).toEqual({ id: 'crud', deleted: true });
    expect((await admin.get('/v1/journeys/crud')).status).toBe(404);
  });

  it('rejects a duplicate id with 409 and a malformed draft with 400 naming the field', async () => {
    await create('dup');
    expect((await admin.post('/v1/journeys', { id: 'dup', ...welcome }).expect(409)).body.error.code).toBe('already_exists');
    const bad = await admin.post('/v1/journeys', changed((d) => { d.steps.hello.channel = 'fax'; d.steps.pause.duration = 'soon'; })).expect(400);
    expect(bad.body.error.details.map((d: { field: string }) => d.field)).toEqual(['steps.hello.channel', 'steps.pause.duration']);
  });

  it('answers 403 to a write key and 401 without a key', async () => {
    const write = as(writeKey);
    expect((await write.get('/v1/journeys')).status).toBe(403);
    expect((await write.post('/v1/journeys', { id: 'nope', ...welcome })).status).toBe(403);
    expect((await request(stack.app).get('/v1/journeys')).status).toBe(401);
  });
});

describe('publishing and status', () => {
  it('goes draft → active → paused → active → archived, moving the catalog revision at each change', async () => {
    await create('lifecycle');
    const revisions = [(await activities.loadJourneyCatalog()).revision];
    const step = async (path: string, body?: object) => {
      const res = await admin.post(`/v1/journeys/lifecycle/${path}`, body).expect(200);
      const catalog = await activities.loadJourneyCatalog();
      expect(catalog.revision).toBeGreaterThan(revisions.at(-1)!);
      revisions.push(catalog.revision);
      return { body: res.body, entry: catalog.journeys.find((j) => j.definition.id === 'lifecycle') };
    };

    const published = await step('publish');
    expect(published.body).toMatchObject({ version: 1, created: true, definition: { id: 'lifecycle', version: 1, ...welcome } });
    expect(published.entry).toMatchObject({ status: 'active', definition: { version: 1, onPause: 'hold' } });
    expect((await admin.get('/v1/journeys/lifecycle').expect(200)).body.status).toBe('active');

    const paused = await step('pause', { onPause: 'exit' });
    expect(paused.body).toMatchObject({ status: 'paused', onPause: 'exit' });
    expect(paused.entry).toMatchObject({ status: 'paused', definition: { onPause: 'exit' } });

    expect((await step('resume')).entry).toMatchObject({ status: 'active' });
    const archived = await step('archive');
    expect(archived.body.status).toBe('archived');
    expect(archived.entry).toBeUndefined();
    expect((await admin.get('/v1/journeys/lifecycle').expect(200)).body.status).toBe('archived');
    await admin.get('/v1/journeys/no-such-journey').expect(404);
  });

  it('makes each publish a new immutable version: v1 stays as published after the draft changes and v2 is published', async () => {
    await create('versions');
    const { created, ...v1 } = (await admin.post('/v1/journeys/versions/publish').expect(200)).body;
    expect(created).toBe(true);
    const draft2 = changed((d) => { d.steps.pause.duration = '3 days'; });
    await admin.put('/v1/journeys/versions', draft2).expect(200);
    expect((await admin.get('/v1/journeys/versions/versions/1').expect(200)).body).toEqual(v1);

    const v2 = (await admin.post('/v1/journeys/versions/publish').expect(200)).body;
    expect(v2).toMatchObject({ version: 2, created: true, definition: { version: 2, steps: { pause: { duration: '3 days' } } } });
    expect((await admin.get('/v1/journeys/versions/versions/1').expect(200)).body).toEqual(v1);
    expect(v1.definition.steps.pause.duration).toBe('2 days');
    // Publishing an unchanged draft again makes no new version.
    expect((await admin.post('/v1/journeys/versions/publish').expect(200)).body).toMatchObject({ version: 2, created: false });

    const journey = (await admin.get('/v1/journeys/versions').expect(200)).body;
    expect(journey).toMatchObject({ status: 'active', latestVersion: 2 });
    expect(journey.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    expect((await activities.loadJourneyCatalog()).journeys.find((j) => j.definition.id === 'versions')?.definition.version).toBe(2);
    expect((await admin.get('/v1/journeys/versions/versions/3')).status).toBe(404);
  });

  it('makes one version of a double publish', async () => {
    await create('double');
    const both = await Promise.all([admin.post('/v1/journeys/double/publish'), admin.post('/v1/journeys/double/publish')]);
    expect(both.map((r) => [r.status, r.body.version])).toEqual([[200, 1], [200, 1]]);
    expect((await admin.get('/v1/journeys/double').expect(200)).body.versions.map((v: { version: number }) => v.version)).toEqual([1]);
  });

  it('refuses invalid transitions with 409 invalid_transition', async () => {
    await create('transitions');
    const refused = async (path: string, body?: object) =>
      expect((await admin.post(`/v1/journeys/transitions/${path}`, body).expect(409)).body.error.code).toBe('invalid_transition');
    await refused('resume');
    await refused('pause');
    await admin.post('/v1/journeys/transitions/archive').expect(200);
    await refused('publish');
    await refused('resume');
    expect((await admin.put('/v1/journeys/transitions', welcome).expect(409)).body.error.code).toBe('invalid_transition');
    // Deleting a journey that is not a never-published draft archives it instead.
    expect((await admin.delete('/v1/journeys/transitions').expect(200)).body).toMatchObject({ status: 'archived', deleted: false });
  });

  const brokenCases: [string, (d: JourneyDraft & { steps: Record<string, any> }) => void, { field: string; message: string }][] = [
    ['unknown step', (d) => { d.steps.remind.next = 'dne'; }, { field: 'steps.remind.next', message: 'unknown step "dne"' }],
    ['loop without a wait', (d) => { d.steps.hello.next = 'remind'; d.steps.remind.next = 'hello'; }, { field: 'steps.hello', message: 'loops without a wait: hello → remind → hello' }],
    ['unreachable step', (d) => { d.steps.orphan = { type: 'exit' }; }, { field: 'steps.orphan', message: 'unreachable: no path from the entry step leads here' }],
    ['missing template', (d) => { d.steps.hello.template = 'nope'; }, { field: 'steps.hello.template', message: 'no email template "nope"' }],
    ['template of another channel', (d) => { d.steps.remind.template = 'welcome-email'; }, { field: 'steps.remind.template', message: 'no sms template "welcome-email"' }],
    ['wait too long', (d) => { d.steps.pause.duration = '2 years'; }, { field: 'steps.pause.duration', message: '"2 years" is outside 1 minute to 400 days' }],
    ['no exit', (d) => { d.steps.done = { type: 'wait', duration: '1 day', next: 'done' }; }, { field: 'steps', message: 'no exit step is reachable from the entry step' }],
    ['cooldown missing', (d) => { d.reentry = { mode: 'cooldown' }; }, { field: 'reentry.cooldown', message: 'required when mode is "cooldown"' }],
  ];
  it.each(brokenCases)('answers 400 naming the step when publishing a journey with a %s, and publishes nothing', async (name, change, detail) => {
    const id = `broken-${name.replaceAll(' ', '-')}`;
    await create(id, changed(change));
    const res = await admin.post(`/v1/journeys/${id}/publish`).expect(400);
    expect(res.body.error.code).toBe('invalid_journey');
    expect(res.body.error.details).toContainEqual(detail);
    expect((await admin.get(`/v1/journeys/${id}`).expect(200)).body).toMatchObject({ status: 'draft', latestVersion: 0, versions: [] });
  });

  it('answers 400 naming the step whose template does not parse', async () => {
    await create('broken-template', changed((d) => { d.steps.hello.template = 'broken-email'; }));
    const res = await admin.post('/v1/journeys/broken-template/publish').expect(400);
    expect(res.body.error.details).toEqual([{ field: 'steps.hello.template', message: expect.stringMatching(/^template "broken-email" body: /) }]);
  });
});

describe('migration between versions', () => {
  const signalsOf = async (customerId: string) => {
    const history = await stack.temporal.workflow.getHandle(customerWorkflowId(customerId)).fetchHistory();
    return (history.events ?? []).flatMap((e) => {
      const s = e.workflowExecutionSignaledEventAttributes;
      return s ? [{ name: s.signalName, args: (s.input?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p)) }] : [];
    });
  };

  it('checks the step map against both versions, then signals exactly the running customers on the old version', async () => {
    await create('migrate');
    await admin.post('/v1/journeys/migrate/publish').expect(200);
    await admin.put('/v1/journeys/migrate', changed((d) => {
      d.steps.reminder = { ...d.steps.remind };
      delete d.steps.remind;
      d.steps.pause.next = 'reminder';
    })).expect(200);
    const v2 = (await admin.post('/v1/journeys/migrate/publish').expect(200)).body;

    const bad = await admin.post('/v1/journeys/migrate/migrate', { fromVersion: 1, toVersion: 2, steps: { pause: 'pause', remind: 'remnd', nowhere: 'done' } }).expect(400);
    expect(bad.body.error.details).toEqual([
      { field: 'steps.remind', message: 'unknown step "remnd" in version 2' },
      { field: 'steps.nowhere', message: 'no step "nowhere" in version 1' },
    ]);
    expect((await admin.post('/v1/journeys/migrate/migrate', { fromVersion: 1, toVersion: 5, steps: { pause: 'pause' } }).expect(400)).body.error.details)
      .toEqual([{ field: 'toVersion', message: 'no version 5 of this journey' }]);

    const enrolled = (journeyId: string, version: number) => ({ journeyId, version, stepId: 'pause', enteredAt: '2026-01-01T00:00:00.000Z' });
    await stack.db.connection.db!.collection<{ _id: string; journeys: object[] }>('customers').insertMany([
      { _id: 'cmig1', journeys: [enrolled('migrate', 1)] },
      { _id: 'cmig2', journeys: [enrolled('migrate', 1)] }, // no workflow: erased or merged away
      { _id: 'cmig3', journeys: [enrolled('migrate', 2)] },
      { _id: 'cmig4', journeys: [enrolled('migrate', 2), enrolled('other', 1)] },
    ]);
    // Workflows on this file's own task queue with no worker: signals are recorded, nothing runs.
    const started = await Promise.all(['cmig1', 'cmig3', 'cmig4'].map((id) =>
      stack.temporal.workflow.start('customerWorkflow', { workflowId: customerWorkflowId(id), taskQueue: stack.taskQueue, args: [{ customerId: id }] })));
    try {
      const steps = { pause: 'pause', remind: 'reminder' };
      expect((await admin.post('/v1/journeys/migrate/migrate', { fromVersion: 1, toVersion: 2, steps }).expect(200)).body).toEqual({ customers: 1 });
      expect(await signalsOf('cmig1')).toEqual([{ name: 'migrateJourney', args: [{ journeyId: 'migrate', fromVersion: 1, to: v2.definition, steps }] }]);
      expect(await signalsOf('cmig3')).toEqual([]);
      expect(await signalsOf('cmig4')).toEqual([]);
    } finally {
      await Promise.all(started.map((h) => h.terminate('test over')));
    }
  });
});

describe('events carry the catalog revision', () => {
  it('passes the current revision with each events signal', async () => {
    await create('revision');
    await admin.post('/v1/journeys/revision/publish').expect(200);
    const { revision } = await activities.loadJourneyCatalog();
    await request(stack.app).post('/v1/track').auth(writeKey, '').send({ userId: 'rev-1', event: 'Signed Up', messageId: 'rev-m1' }).expect(200);
    const identity = await stack.db.models.identities.findOne({ _id: 'userId:rev-1' });
    const handle = stack.temporal.workflow.getHandle(customerWorkflowId(identity!.customerId));
    try {
      const history = await handle.fetchHistory();
      const signal = history.events!.find((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'events')!;
      const [, context] = signal.workflowExecutionSignaledEventAttributes!.input!.payloads!.map((p) => defaultPayloadConverter.fromPayload(p));
      expect(context).toEqual({ catalogRevision: revision });
    } finally {
      await handle.terminate('test over');
    }
  });
});
