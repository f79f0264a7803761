// Broadcast campaigns on the real servers, through the API: each customer in the segment gets the
// message once unless their own caps say no; a campaign at a time or on a cron is a Temporal
// Schedule; cancel stops it; and a scheduled broadcast whose worker is SIGKILLed half way is
// finished by the next worker without sending anyone the message twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { ScheduleNotFoundError, WorkflowNotFoundError } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { rootDir } from '../../scripts/servers.js';
import { customerRepository } from '../../store/customers.js';
import type { Models } from '../../store/models.js';
import { initialState } from '../../workflows/lifecycle/state.js';
import { initialJourneys } from '../../workflows/journeys/state.js';
import { campaignSignal, customerWorkflowId } from '../../workflows/customer-contract.js';
import { campaignProgressQuery, campaignScheduleId, campaignWorkflowId } from '../../workflows/campaign-contract.js';
import { campaignBroadcast } from '../../workflows/campaigns/journey.js';
import { CampaignIdAttribute } from '../../workflows/search-attributes.js';
import { startCustomerOptions } from '../../activities/temporal.js';
import { Campaign, CampaignDetail, CampaignList } from '../../api/campaigns/schema.js';
import { adminKey, eventually, startStack, workerProcessEnv, writeKey, type Stack } from '../setup/stack.js';

const H = 3_600_000;
// Caps of 2 a day; no quiet hours, so the test behaves the same at any hour.
const policy = { caps: [{ window: '1 day', max: 2 }], quietHours: null, defaultTimeZone: 'UTC', maxConcurrentJourneys: 3 };
const env = { MESSAGING_POLICY: JSON.stringify(policy) };

const post = (s: Stack, path: string, body?: object) => request(s.app).post(path).auth(adminKey, '').send(body ?? {});
const get = (s: Stack, path: string) => request(s.app).get(path).auth(adminKey, '');
/** The answer is what the OpenAPI document (made from these schemas) promises. */
const conforms = (schema: typeof Campaign | typeof CampaignDetail | typeof CampaignList, body: unknown) => expect(schema.safeParse(body).error).toBeUndefined();

/**
 * Stores `n` customers of a cohort as their workflows would have (none is running yet: the
 * broadcast starts them), each with a phone; the first `atCap` were sent two messages in the last
 * two hours. One more, merged into another customer, must never be reached.
 */
let cohorts = 0;
async function seedCohort(models: Models, cohort: string, n: number, atCap: number): Promise<string[]> {
  const area = String(10 + (cohorts++));
  const customers = customerRepository(models);
  const ids = Array.from({ length: n }, (_, i) => `${cohort}-${String(i).padStart(2, '0')}`);
  const now = Date.now();
  await Promise.all(ids.map(async (id, i) => {
    const sendLog = i < atCap ? [{ at: now - 2 * H, channel: 'email' as const, priority: 'marketing' as const }, { at: now - H, channel: 'wechat' as const, priority: 'marketing' as const }] : [];
    await customers.save({ ...initialState(id), traits: { cohort, name: `Ana ${i}` }, journeys: { ...initialJourneys(), sendLog } }, []);
    await models.identities.insertOne({ _id: `phone:+86138${area}${String(i).padStart(6, '0')}`, type: 'phone', customerId: id, createdAt: new Date() });
  }));
  await customers.save({ ...initialState(`${cohort}-merged`), traits: { cohort }, mergedInto: ids[0]! }, []);
  return ids;
}

/** A segment of the cohort and an SMS template, through the API. */
async function audience(s: Stack, cohort: string): Promise<void> {
  await post(s, '/v1/segments', { id: cohort, name: cohort, rule: { type: 'profile', field: 'traits.cohort', op: 'eq', value: cohort } }).expect(201);
  await post(s, '/v1/templates', { id: `${cohort}-sale`, channel: 'sms', body: 'Spring sale for {{ profile.traits.name }}' }).expect(201);
}

/** Each customer's messages of the campaign, and what the (outbox) provider was handed. */
async function outcome(models: Models, campaignId: string) {
  const messages = await models.messages.find({ campaignId }).toArray();
  const delivered = await models.outbox.find({ _id: { $in: messages.map((m) => m._id) } }).toArray();
  const byCustomer = new Map<string, string[]>();
  for (const m of messages) byCustomer.set(m.customerId, [...(byCustomer.get(m.customerId) ?? []), m.status === 'suppressed' ? `suppressed:${m.reason}` : m.status]);
  return { messages, delivered, byCustomer: Object.fromEntries([...byCustomer].sort()) };
}

/** What each customer should have: one message, sent, or suppressed by the cap for those at it. */
const expected = (ids: string[], atCap: number) => Object.fromEntries(ids.map((id, i) => [id, [i < atCap ? 'suppressed:frequency_cap' : 'sent']]));

/** The campaign once it has `status` and all its customers' decisions are recorded. */
function settled(s: Stack, id: string, status: string, customers: number, timeoutMs = 30_000) {
  return eventually(async () => {
    const body = (await get(s, `/v1/campaigns/${id}`).expect(200)).body;
    const decided = body.messages.sent + body.messages.suppressed;
    return body.status === status && body.lastRun?.finishedAt && decided === customers ? body : undefined;
  }, timeoutMs, 250);
}

describe('campaigns on one worker', () => {
  let stack: Stack;
  beforeAll(async () => { stack = await startStack({ env }); });
  afterAll(async () => { await stack?.stop(); });

  it('sends a broadcast now to each customer in the segment once; customers at their cap are suppressed, merged-away ones never reached', async () => {
    const ids = await seedCohort(stack.db.models, 'spring', 20, 5);
    await audience(stack, 'spring');
    const body = { id: 'spring', name: 'Spring sale', segmentId: 'spring', message: { channel: 'sms', template: 'spring-sale' }, ratePerSecond: 10 };
    const created = await post(stack, '/v1/campaigns', body).expect(201);
    expect(created.body).toMatchObject({ ...body, status: 'running' });
    expect(created.body).not.toHaveProperty('schedule');
    conforms(Campaign, created.body);
    // A retried create changes nothing and starts nothing.
    expect((await post(stack, '/v1/campaigns', body).expect(200)).body).toMatchObject({ id: 'spring', createdAt: created.body.createdAt });

    const done = await settled(stack, 'spring', 'completed', 20);
    expect(done.lastRun).toMatchObject({
      workflowId: campaignWorkflowId('spring'),
      progress: { occurrence: created.body.createdAt, targeted: 20, signalled: 20, cursor: 'spring-19', done: true },
    });
    conforms(CampaignDetail, done);
    expect(done.messages).toEqual({ queued: 0, sent: 15, delivered: 0, opened: 0, clicked: 0, failed: 0, bounced: 0, suppressed: 5, unknown: 0 });
    const { byCustomer, delivered, messages } = await outcome(stack.db.models, 'spring');
    expect(byCustomer).toEqual(expected(ids, 5));
    expect(delivered.map((d) => d.customerId).sort()).toEqual(ids.slice(5));
    expect(delivered.find((d) => d.customerId === 'spring-07')?.body).toBe('Spring sale for Ana 7');
    expect(messages.every((m) => m.journeyId === undefined && m._id.startsWith(`${m.customerId}:campaign:spring@`))).toBe(true);
    await expect(stack.temporal.workflow.getHandle(customerWorkflowId('spring-merged')).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    // Progress as operators see it: the query, the workflow's details in the UI, and its search attribute.
    const run = stack.temporal.workflow.getHandle(campaignWorkflowId('spring'));
    expect(await run.query(campaignProgressQuery)).toEqual(done.lastRun.progress);
    const metadata = await run.query<temporal.api.sdk.v1.IWorkflowMetadata>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toBe('20 of 20 customers signalled (done)');
    expect((await run.describe()).typedSearchAttributes.get(CampaignIdAttribute)).toBe('spring');
    const list = (await get(stack, '/v1/campaigns').expect(200)).body;
    conforms(CampaignList, list);
    expect(list.items.map((c: { id: string }) => c.id)).toEqual(['spring']);
  });

  it('keeps a recurring campaign on a Temporal schedule whose runs broadcast, and cancels it', async () => {
    const ids = await seedCohort(stack.db.models, 'weekly', 6, 2);
    await audience(stack, 'weekly');
    const created = await post(stack, '/v1/campaigns', {
      id: 'weekly', name: 'Monday news', segmentId: 'weekly', message: { channel: 'sms', template: 'weekly-sale' }, cron: '0 10 * * 1', ratePerSecond: 20,
    }).expect(201);
    expect(created.body).toMatchObject({ status: 'scheduled', schedule: { cron: '0 10 * * 1', timeZone: 'UTC' } });
    conforms(Campaign, created.body);

    const schedule = stack.temporal.schedule.getHandle(campaignScheduleId('weekly'));
    const described = await schedule.describe();
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'campaignWorkflow', workflowId: 'campaign-weekly', taskQueue: stack.taskQueue });
    expect(described.policies.overlap).toBe('SKIP');
    expect(described.spec.timezone).toBe('UTC');
    const next = described.info.nextActionTimes[0]!;
    expect([next.getUTCDay(), next.getUTCHours(), next.getUTCMinutes()]).toEqual([1, 10, 0]);

    // Triggered now: a run like the Monday ones. Its occurrence is its scheduled time.
    await schedule.trigger();
    const ran = await settled(stack, 'weekly', 'scheduled', 6);
    expect(ran.lastRun.workflowId).toMatch(/^campaign-weekly-\d{4}-\d\d-\d\dT/);
    conforms(CampaignDetail, ran);
    expect(ran.lastRun.progress).toMatchObject({ targeted: 6, signalled: 6, done: true });
    expect(ran.lastRun.workflowId).toBe(`campaign-weekly-${ran.lastRun.progress.occurrence.replace('.000Z', 'Z')}`);
    expect((await outcome(stack.db.models, 'weekly')).byCustomer).toEqual(expected(ids, 2));

    expect((await post(stack, '/v1/campaigns/weekly/cancel').expect(200)).body).toMatchObject({ id: 'weekly', status: 'cancelled' });
    await expect(schedule.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect((await post(stack, '/v1/campaigns/weekly/cancel').expect(200)).body.status).toBe('cancelled');
    expect((await post(stack, '/v1/campaigns/spring/cancel').expect(409)).body.error.code).toBe('invalid_transition');
    expect((await post(stack, '/v1/campaigns/nobody/cancel').expect(404)).body.error.code).toBe('not_found');
  });

  it('sends a campaign once at a given time through a one-shot schedule, which cancel deletes', async () => {
    const at = new Date(Date.now() + 2 * H);
    const created = await post(stack, '/v1/campaigns', {
      id: 'later', name: 'Later', segmentId: 'spring', message: { channel: 'sms', template: 'spring-sale' }, at: at.toISOString(),
    }).expect(201);
    const whole = new Date(Math.ceil(at.getTime() / 1000) * 1000);
    expect(created.body).toMatchObject({ status: 'scheduled', schedule: { at: whole.toISOString() }, ratePerSecond: 50 });
    const described = await stack.temporal.schedule.getHandle(campaignScheduleId('later')).describe();
    expect(described.info.nextActionTimes).toEqual([whole]);
    expect(described.state.remainingActions).toBe(1);
    await post(stack, '/v1/campaigns/later/cancel').expect(200);
    await expect(stack.temporal.schedule.getHandle(campaignScheduleId('later')).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  it('cancels a broadcast under way: it stops, and keeps how far it got', async () => {
    await seedCohort(stack.db.models, 'slow', 8, 0);
    await audience(stack, 'slow');
    await post(stack, '/v1/campaigns', { id: 'slow', name: 'Slow', segmentId: 'slow', message: { channel: 'sms', template: 'slow-sale' }, ratePerSecond: 1 }).expect(201);
    await eventually(async () => ((await stack.db.models.messages.countDocuments({ campaignId: 'slow' })) >= 2 ? true : undefined));
    // The stored figures follow the run page by page (a page of one at 1/s): what the campaign
    // shows when the run is too busy to answer its query.
    const stored = await eventually(async () => {
      const doc = await stack.db.models.campaigns.findOne({ _id: 'slow' });
      return (doc?.lastRun?.progress.signalled ?? 0) >= 2 ? doc!.lastRun!.progress : undefined;
    });
    expect(stored).toMatchObject({ targeted: 8, done: false, cursor: `slow-${String(stored.signalled - 1).padStart(2, '0')}` });
    await post(stack, '/v1/campaigns/slow/cancel').expect(200);
    const run = stack.temporal.workflow.getHandle(campaignWorkflowId('slow'));
    await eventually(async () => ((await run.describe()).status.name === 'CANCELLED' ? true : undefined));
    const stopped = await eventually(async () => {
      const body = (await get(stack, '/v1/campaigns/slow').expect(200)).body;
      return body.lastRun?.finishedAt ? body : undefined;
    });
    conforms(CampaignDetail, stopped);
    expect(stopped.status).toBe('cancelled');
    expect(stopped.lastRun.progress.done).toBe(false);
    expect(stopped.lastRun.progress.signalled).toBeLessThan(8);
    // Every customer signalled before the cancel gets the message; nobody after.
    const count = () => stack.db.models.messages.countDocuments({ campaignId: 'slow' });
    await eventually(async () => ((await count()) === stopped.lastRun.progress.signalled ? true : undefined));
    await new Promise((r) => setTimeout(r, 1500));
    expect(await count()).toBe(stopped.lastRun.progress.signalled);
  });

  it('refuses a campaign naming every bad field, and keeps campaigns to admin keys', async () => {
    const bad = await post(stack, '/v1/campaigns', {
      name: 'x', segmentId: 'nope', message: { channel: 'sms', template: 'nothing' }, at: new Date(Date.now() - H).toISOString(),
    }).expect(400);
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['at', 'message.template', 'segmentId']);
    const wrong = await post(stack, '/v1/campaigns', {
      name: '', segmentId: 'spring', message: { channel: 'fax', template: 'spring-sale' }, cron: '61 * * * *', ratePerSecond: 0,
    }).expect(400);
    expect(wrong.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['cron', 'message.channel', 'name', 'ratePerSecond']);
    const both = await post(stack, '/v1/campaigns', {
      name: 'x', segmentId: 'spring', message: { channel: 'sms', template: 'spring-sale' }, cron: '@daily', at: new Date(Date.now() + H).toISOString(),
    }).expect(400);
    expect(both.body.error.details).toEqual([{ field: 'cron', message: 'give `at` or `cron`, not both' }]);
    for (const cron of ['* * * * *', '*/5 * * * *', '0,30 * * * *']) {
      const often = await post(stack, '/v1/campaigns', { name: 'x', segmentId: 'spring', message: { channel: 'sms', template: 'spring-sale' }, cron }).expect(400);
      expect(often.body.error.details).toEqual([{ field: 'cron', message: expect.stringContaining('at most once an hour') }]);
    }
    // The template exists, but for another channel.
    expect((await post(stack, '/v1/campaigns', { name: 'x', segmentId: 'spring', message: { channel: 'email', template: 'spring-sale' } }).expect(400))
      .body.error.details).toEqual([{ field: 'message.template', message: 'no email template "spring-sale"' }]);
    expect((await get(stack, '/v1/campaigns/nope').expect(404)).body.error.code).toBe('not_found');
    await get(stack, '/v1/campaigns/NOPE!').expect(400);
    expect((await request(stack.app).get('/v1/campaigns').auth(writeKey, '').expect(403)).body.error.code).toBe('forbidden');
  });
});

// ---------------------------------------------------------------------------------------------
// The worker as a separate OS process (worker/main.ts, as in production), SIGKILLed mid-broadcast.

const children = new Set<ChildProcess>();
const alive = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;
process.once('exit', () => { for (const child of children) if (alive(child)) child.kill('SIGKILL'); });

/** `node --import tsx worker/main.ts`, once it says it polls the task queue. */
async function startWorkerProcess(workerEnv: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], { cwd: rootDir, env: { ...process.env, ...workerEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => { output += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { output += c.toString(); });
  await eventually(async () => {
    if (!alive(child)) throw new Error(`worker exited before polling:\n${output}`);
    return /^worker polling /m.test(output) ? true : undefined;
  }, 150_000, 50).catch((err: unknown) => { child.kill('SIGKILL'); throw new Error(`${String(err)}\n${output}`); });
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** The same server with a database name in the URI's path (worker/main.ts connects with the URI alone). */

/** The customer's workflow has taken `signals` campaign signals and has nothing left to do about them. */
async function quiet(s: Stack, customerId: string, signals: number): Promise<true | undefined> {
  const handle = s.temporal.workflow.getHandle(customerWorkflowId(customerId));
  const [history, description] = await Promise.all([handle.fetchHistory(), handle.describe()]);
  const events = history.events ?? [];
  const received = events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'campaign').length;
  const idle = events.at(-1)?.workflowTaskCompletedEventAttributes && (description.raw.pendingActivities?.length ?? 0) === 0;
  return received >= signals && idle ? true : undefined;
}

describe('a scheduled broadcast whose worker is killed half way', () => {
  let stack: Stack;
  let workerEnv: Record<string, string>;
  beforeAll(async () => {
    stack = await startStack({ worker: false, env });
    workerEnv = workerProcessEnv(stack, env);
  });
  afterAll(async () => {
    await Promise.all([...children].filter(alive).map(kill));
    await stack?.stop();
  });

  it('is finished by the next worker: caps still apply and nobody gets the message twice, even when delivered again', async () => {
    const first = await startWorkerProcess(workerEnv);
    const ids = await seedCohort(stack.db.models, 'flash', 20, 4);
    await audience(stack, 'flash');
    await post(stack, '/v1/campaigns', {
      id: 'flash', name: 'Flash sale', segmentId: 'flash', message: { channel: 'sms', template: 'flash-sale' }, ratePerSecond: 2, at: new Date(Date.now() + 6000).toISOString(),
    }).expect(201);

    // Killed once a few customers have their message and most do not.
    await eventually(async () => ((await stack.db.models.messages.countDocuments({ campaignId: 'flash' })) >= 4 ? true : undefined), 30_000, 50);
    await kill(first);
    const beforeRestart = await stack.db.models.messages.countDocuments({ campaignId: 'flash' });
    expect(beforeRestart).toBeLessThan(16);

    await startWorkerProcess(workerEnv);
    const done = await settled(stack, 'flash', 'completed', 20, 60_000);
    expect(done.lastRun.workflowId).toMatch(/^campaign-flash-/);
    expect(done.lastRun.progress).toMatchObject({ targeted: 20, signalled: 20, done: true });
    const after = await outcome(stack.db.models, 'flash');
    expect(after.byCustomer).toEqual(expected(ids, 4));
    expect(after.delivered.map((d) => d.customerId).sort()).toEqual(ids.slice(4));

    // A page delivered again after a crash, to every customer: each already entered this occurrence.
    const delivery = campaignBroadcast({ campaignId: 'flash', occurrence: done.lastRun.progress.occurrence, segmentId: 'flash', message: { channel: 'sms', template: 'flash-sale' } });
    const signalsBefore = await Promise.all(ids.map(async (id) => {
      const { events } = await stack.temporal.workflow.getHandle(customerWorkflowId(id)).fetchHistory();
      return (events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'campaign').length;
    }));
    await Promise.all(ids.map((id) => stack.temporal.workflow.signalWithStart('customerWorkflow', {
      ...startCustomerOptions(id, { rules: stack.config.lifecycleRules, policy: stack.config.messagingPolicy }, stack.taskQueue),
      signal: campaignSignal, signalArgs: [delivery],
    })));
    await Promise.all(ids.map((id, i) => eventually(() => quiet(stack, id, signalsBefore[i]! + 1), 30_000, 250)));
    const again = await outcome(stack.db.models, 'flash');
    expect(again.byCustomer).toEqual(after.byCustomer);
    expect(again.delivered).toHaveLength(16);
  }, 300_000);
});
