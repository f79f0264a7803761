// Stored day figures (store/report-days.ts) follow every write that changes what a report
// counts: a send, a receipt, a conversion, journey progress, a merge and an erasure each show in the
// next report, while records written past the repositories do not (the figures are read, not
// recounted). A write during a computation keeps the computed figures from being stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { adminKey, eventually, startStack, type Stack } from '../setup/stack.js';
import { sendLedger } from '../../store/send-ledger.js';
import { messageFeedbackRepository } from '../../store/message-feedback.js';
import { analyticsRepository } from '../../store/analytics.js';
import { customerRepository } from '../../store/customers.js';
import { dailyFigures, dayOf, type DailySource } from '../../store/report-days.js';
import type { SendRequest } from '../../workflows/messaging/types.js';
import { ensureReportDaysSchedule, reportDaysScheduleId } from '../../worker/schedules.js';

const D = 86_400_000;
let stack: Stack;
beforeAll(async () => { stack = await startStack({ worker: false }); });
afterAll(async () => { await stack?.stop(); });

// Today, as whole days: every write below happens now.
const today = () => { const from = Math.floor(Date.now() / D) * D; return { from: new Date(from).toISOString(), to: new Date(from + D).toISOString() }; };
const get = (path: string, query: Record<string, string> = {}) => request(stack.app).get(path).query({ ...today(), ...query }).auth(adminKey, '').expect(200);
const sms = async () => (await get('/v1/reports/channels')).body.channels.find((c: { channel: string }) => c.channel === 'sms');

describe('stored day figures follow every write a report counts', () => {
  const send = (customerId: string, n: number): SendRequest => ({
    key: `${customerId}:s${n}`, customerId, channel: 'sms', template: 't', priority: 'marketing', journeyId: 'trial', journeyVersion: 1, stepId: 'a-send', variables: {},
  } as SendRequest);
  const sendNow = async (req: SendRequest) => {
    const ledger = sendLedger(stack.db.models);
    await ledger.open(req);
    await ledger.claim(req.key, []);
    await ledger.sent(req.key, `p-${req.key}`);
  };

  it('a send, then a receipt, then a conversion', async () => {
    await sendNow(send('x', 1));
    expect(await sms()).toMatchObject({ reached: 1, sent: 1, delivered: 0, converted: 0 });
    const day = await stack.db.models.reportDays.findOne({ _id: `messages|${dayOf(Date.now())}` });
    expect(day?.seen).toBe(day?.writes);

    // Written past the repositories: not counted until the day is written through them.
    await stack.db.models.messages.insertOne({
      _id: 'y:raw', customerId: 'y', channel: 'sms', template: 't', priority: 'marketing', status: 'sent', links: [], attempts: 1, attemptsEnded: 0,
      createdAt: new Date(), updatedAt: new Date(), sentAt: new Date(),
    });
    expect(await sms()).toMatchObject({ reached: 1, sent: 1 });

    await messageFeedbackRepository(stack.db.models).record('x:s1', 'delivered', new Date());
    expect(await sms()).toMatchObject({ reached: 2, sent: 2, delivered: 1 });

    const at = Date.now();
    await analyticsRepository(stack.db.models).record({
      customerId: 'x', revision: 2,
      conversions: [{
        messageId: 'o1', event: 'Order Completed', revenue: 25, at, touches: [{ at, kind: 'sent', channel: 'sms', messageKey: 'x:s1' }],
        credits: [{ model: 'last_touch', touch: 0, amount: 25 }],
      } as never],
    });
    expect(await sms()).toMatchObject({ converted: 1, revenue: 25 });
  });

  it('a merge moves reach to the survivor; an erasure takes the customer out of every stored figure', async () => {
    await sendNow(send('z', 1));
    expect(await sms()).toMatchObject({ reached: 3, sent: 3 });
    const customers = customerRepository(stack.db.models);
    await customers.adoptTimelines('x', ['z']);
    // z's own report records stay under its id after the merge; its profile points at x.
    await stack.db.models.customers.insertOne({ _id: 'z', mergedInto: 'x' } as never);
    await analyticsRepository(stack.db.models).record({
      customerId: 'z', revision: 1, journeyProgress: [{ enrollmentId: 'j@1#1', journeyId: 'j', version: 1, type: 'entered', steps: 0, stepId: 's', at: Date.now() }],
    });
    expect(await sms()).toMatchObject({ reached: 2, sent: 3 });
    // A day the erased customer is not counted on keeps its stored figures.
    await get('/v1/reports/channels', { from: '2025-06-01', to: '2025-06-02' });
    const untouched = await stack.db.models.reportDays.findOne({ _id: 'messages|2025-06-01' });
    await customers.erase('x');
    const stored = await stack.db.models.reportDays.find({}).toArray();
    expect(JSON.stringify(stored)).not.toMatch(/"x"|"z"/);
    expect(stored.find((d) => d._id === 'messages|2025-06-01')).toEqual(untouched);
    expect(await sms()).toMatchObject({ reached: 1, sent: 1, delivered: 0, converted: 0 });
    expect(await stack.db.models.journeyEvents.countDocuments({ customerId: 'z' })).toBe(0);
  });

  it('an erasure retried after stopping part-way still forgets the days its first attempt held', async () => {
    await sendNow(send('r', 1));
    expect(await sms()).toMatchObject({ reached: 2, sent: 2 });
    const daily = dailyFigures(stack.db.models.reportDays);
    const today = daily.key('messages', dayOf(Date.now()));
    // The first attempt held the day and deleted the records, then stopped.
    await daily.hold('r', [today]);
    await stack.db.models.messages.deleteMany({ customerId: 'r' });
    expect(JSON.stringify(await stack.db.models.reportDays.findOne({ _id: today }))).toMatch(/"r"/);
    await customerRepository(stack.db.models).erase('r');
    expect(JSON.stringify(await stack.db.models.reportDays.find({}).toArray())).not.toMatch(/"r"/);
    expect(await sms()).toMatchObject({ reached: 1, sent: 1 });
  });

  it('journey progress, including a held-out customer who reached the goal', async () => {
    const m = stack.db.models;
    const definition = {
      id: 'trial', version: 1, name: 'Trial', trigger: { type: 'event', event: 'Signed Up' }, entry: 'split', reentry: { mode: 'never' }, onPause: 'hold',
      steps: { split: { type: 'split', variants: [{ name: 'a', weight: 80, next: 'done' }], holdout: 20 }, done: { type: 'exit' } }, goal: { event: 'Order Completed' },
    } as const;
    await m.journeys.insertOne({ _id: 'trial', name: 'Trial', status: 'active', draft: definition as never, latestVersion: 1, onPause: 'hold', createdAt: new Date(), updatedAt: new Date() });
    await m.journeyVersions.insertOne({ _id: 'trial@1', journeyId: 'trial', version: 1, definition: definition as never, publishedAt: new Date() });
    const journey = async () => (await get('/v1/reports/journeys/trial')).body;
    expect(await journey()).toMatchObject({ entered: 0, variants: [] });

    const analytics = analyticsRepository(m);
    const now = Date.now();
    const progress = (type: 'entered' | 'exited' | 'converted', steps: number, fields: object) => ({ enrollmentId: 'trial@1#1', journeyId: 'trial', version: 1, type, steps, at: now, ...fields });
    await analytics.record({ customerId: 'h', revision: 1, journeyProgress: [progress('entered', 0, { stepId: 'split' }), progress('exited', 0, { variant: 'holdout', reason: 'holdout' })] });
    expect(await journey()).toMatchObject({ entered: 1, variants: [{ variant: 'holdout', customers: 1, converted: 0 }] });
    await analytics.record({ customerId: 'h', revision: 2, journeyProgress: [progress('converted', 0, { variant: 'holdout' })] });
    expect(await journey()).toMatchObject({ entered: 1, variants: [{ variant: 'holdout', customers: 1, converted: 1 }] });
  });

  it('a stage move', async () => {
    const moves = async () => (await get('/v1/reports/lifecycle')).body.moves;
    expect(await moves()).toEqual([]);
    await analyticsRepository(stack.db.models).record({ customerId: 'm', revision: 3, stageChange: { from: 'fan', to: 'member', at: Date.now() } });
    expect(await moves()).toEqual([{ from: 'fan', to: 'member', moves: 1 }]);
  });

  it('counts days after today from the records without storing them', async () => {
    const from = Math.floor(Date.now() / D) * D;
    const tomorrow = dayOf(from + D);
    // A message stamped tomorrow (a provider's clock ahead) is counted, and tomorrow is not stored.
    await stack.db.models.messages.insertOne({
      _id: 'f:1', customerId: 'f', channel: 'push', template: 't', priority: 'marketing', status: 'sent', links: [], attempts: 1, attemptsEnded: 0,
      createdAt: new Date(), updatedAt: new Date(), sentAt: new Date(from + D + 60_000),
    });
    const res = await get('/v1/reports/channels', { from: new Date(from).toISOString(), to: new Date(from + 3 * D).toISOString() });
    expect(res.body.channels.find((c: { channel: string }) => c.channel === 'push')).toMatchObject({ sent: 1, reached: 1 });
    expect(await stack.db.models.reportDays.countDocuments({ _id: { $in: [`messages|${tomorrow}`, `messages|${dayOf(from + 2 * D)}`] } })).toBe(0);
  });

  it('figures computed while a write is counted are not stored', async () => {
    const daily = dailyFigures(stack.db.models.reportDays);
    let computed = 0;
    const range = { from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-01-03T00:00:00Z') };
    const source: DailySource<number> = {
      name: 'race', empty: 0,
      async compute() {
        computed += 1;
        // A writer counts its write on the first day while this computation runs.
        if (computed === 1) await daily.markStale([daily.key('race', '2025-01-01')]);
        return new Map([['2025-01-01', computed], ['2025-01-02', computed]]);
      },
    };
    expect(await daily.read(source, range)).toEqual([1, 1]);
    // The second day was stored; the first is computed again, and stored this time.
    expect(await daily.read(source, range)).toEqual([2, 1]);
    expect(await daily.read(source, range)).toEqual([2, 1]);
    expect(computed).toBe(2);
  });
});

describe('the report-days schedule counts written days again ahead of the next report', () => {
  let withWorker: Stack;
  beforeAll(async () => { withWorker = await startStack(); });
  afterAll(async () => {
    await withWorker?.temporal.schedule.getHandle(reportDaysScheduleId).delete().catch(() => undefined);
    await withWorker?.stop();
  });

  it('is made once, takes the latest interval, and each run refreshes every out-of-date day', async () => {
    const { temporal, taskQueue, db } = withWorker;
    await ensureReportDaysSchedule(temporal, taskQueue, '1 hour');
    await ensureReportDaysSchedule(temporal, taskQueue, '30 minutes');
    const handle = temporal.schedule.getHandle(reportDaysScheduleId);
    const described = await handle.describe();
    expect(described.spec.intervals?.map((i) => i.every)).toEqual([30 * 60_000]);
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reportDaysWorkflow', taskQueue });

    // Two days written: one never counted, one counted before its latest write.
    const daily = dailyFigures(db.models.reportDays);
    await sendLedger(db.models).open({ key: 'w:s1', customerId: 'w', channel: 'sms', template: 't', priority: 'marketing', variables: {} } as SendRequest);
    await sendLedger(db.models).claim('w:s1', []);
    await sendLedger(db.models).sent('w:s1', 'p-w');
    await daily.markStale([daily.key('journey|nobody', '2026-01-05')]);
    const stale = async () => (await db.models.reportDays.find({}).toArray()).filter((d) => d.seen !== d.writes).map((d) => d._id).sort();
    expect(await stale()).toEqual([`journey|nobody|2026-01-05`, `messages|${dayOf(Date.now())}`]);

    await handle.trigger();
    await eventually(async () => ((await stale()).length === 0 ? true : undefined), 30_000, 200);
    const today = await db.models.reportDays.findOne({ _id: `messages|${dayOf(Date.now())}` });
    expect(today?.figures).toEqual([{ channel: 'sms', reached: ['w'], sent: 1, transactional: 0, delivered: 0, opened: 0, clicked: 0 }]);
    // And the last 90 days of every source are stored, written or not.
    const ninetyDaysAgo = dayOf(Date.now() - 89 * 86_400_000);
    await eventually(async () => (await db.models.reportDays.countDocuments({ _id: { $in: ['messages', 'conversions', 'stages'].map((s) => `${s}|${ninetyDaysAgo}`) } }) === 3 ? true : undefined), 30_000, 200);
  });
});
