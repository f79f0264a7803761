// Reports through the admin API: on seeded data every figure equals a plain recount over the raw
// documents; a small hand-built case has exact numbers worked out by hand; bad input is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { adminKey, startStack, writeKey, type Stack } from '../setup/stack.js';
import { generateAll, seedReports, seededJourneys, type SeedOptions } from '../../scripts/seed-reports.js';
import { attributionModels, type AttributionModel } from '../../workflows/attribution/types.js';
import { stages as ladder } from '../../workflows/lifecycle/rules.js';
import { erfc, twoProportionPValue } from '../../api/reports/significance.js';
import { loadConfig } from '../../config.js';
import type { MessageDoc } from '../../store/messages.js';

const D = 86_400_000;
const costs = { sms: 0.06, email: 0.002 };
let seeded: Stack;
let hand: Stack;
beforeAll(async () => {
  const start = () => startStack({ worker: false, env: { CHANNEL_COSTS: JSON.stringify(costs) } });
  [seeded, hand] = await Promise.all([start(), start()]);
});
afterAll(async () => { await Promise.all([seeded?.stop(), hand?.stop()]); });

const get = (stack: Stack, path: string, query: Record<string, string> = {}) => request(stack.app).get(path).query(query).auth(adminKey, '');
const cents = (amounts: number[]): number => amounts.reduce((s, a) => s + Math.round(a * 100), 0) / 100;
const tenThousandths = (amount: number): number => Math.round(amount * 10_000) / 10_000;
const rate = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);
const count = <K>(map: Map<K, Set<string>>, key: K): number => map.get(key)?.size ?? 0;
const add = <K>(map: Map<K, Set<string>>, key: K, id: string): void => { map.set(key, (map.get(key) ?? new Set()).add(id)); };

describe('reports on seeded data equal a recount of the raw documents', () => {
  const options: SeedOptions = { customers: 240, events: 2400, seed: 7 };
  const data = generateAll(options);
  const start = Date.parse('2026-01-01T00:00:00.000Z');
  const ranges = [
    { from: new Date(start - D), to: new Date(start + 130 * D) },
    // Across welcome's second version (day 60), with edges on midnights, where one in ten instants falls.
    { from: new Date(start + 40 * D), to: new Date(start + 75 * D) },
    { from: new Date(start + 90 * D), to: new Date(start + 91 * D) },
    // Edges inside days: whole days come from stored day figures, the edges' parts of a day are counted apart.
    { from: new Date(start + 10 * D + 7.5 * 3_600_000), to: new Date(start + 31 * D + 3 * 3_600_000) },
    { from: new Date(start + 50 * D + 3_600_000), to: new Date(start + 50 * D + 20 * 3_600_000) },
  ];
  const inRange = (t: Date | undefined, r: { from: Date; to: Date }): t is Date => t !== undefined && t >= r.from && t < r.to;
  const query = (r: { from: Date; to: Date }) => ({ from: r.from.toISOString(), to: r.to.toISOString() });

  beforeAll(async () => {
    const counts = await seedReports(seeded.db.models, options, 100);
    expect(counts).toEqual({
      customers: 240, events: 2400, messages: data.messages.length, conversions: data.conversions.length,
      stageChanges: data.stageChanges.length, journeyEvents: data.journeyEvents.length,
    });
  });

  it('generates every case the reports must count: each message fate, unattributed conversions, variants, holdouts converting or not, conversions after leaving, merged customers', () => {
    const heldOut = data.journeyEvents.filter((e) => e.reason === 'holdout').length;
    const convertedHoldouts = data.journeyEvents.filter((e) => e.type === 'converted' && e.variant === 'holdout').length;
    expect(convertedHoldouts).toBeGreaterThan(0);
    expect(convertedHoldouts).toBeLessThan(heldOut);
    // Arms converting within the window: on the goal, and after leaving for another reason.
    const exitOf = new Map(data.journeyEvents.filter((e) => e.type === 'exited').map((e) => [`${e.customerId}:${e.enrollmentId}`, e.reason]));
    const armConversions = data.journeyEvents.filter((e) => e.type === 'converted' && e.variant !== undefined && e.variant !== 'holdout');
    expect(armConversions.some((e) => exitOf.get(`${e.customerId}:${e.enrollmentId}`) === 'goal')).toBe(true);
    expect(armConversions.some((e) => ['completed', 'exit_criteria'].includes(exitOf.get(`${e.customerId}:${e.enrollmentId}`) ?? ''))).toBe(true);
    // A goal exit after the window closed is no conversion within it.
    const goalExits = data.journeyEvents.filter((e) => e.reason === 'goal' && e.variant !== undefined).length;
    expect(armConversions.filter((e) => exitOf.get(`${e.customerId}:${e.enrollmentId}`) === 'goal').length).toBeLessThan(goalExits);
    expect(new Set(data.messages.map((m) => m.status))).toEqual(new Set<MessageDoc['status']>(['queued', 'suppressed', 'failed', 'bounced', 'sent', 'delivered', 'opened', 'clicked']));
    expect(data.conversions.some((c) => c.credits.length === 0) && data.conversions.some((c) => c.credits.length > 0)).toBe(true);
    expect(new Set(data.journeyEvents.map((e) => e.variant))).toEqual(new Set([undefined, 'coupon', 'points', 'holdout', 'email', 'sms', 'push']));
    expect(data.customers.some((c) => c.mergedInto)).toBe(true);
    // Every model's credits add up to the revenue, to the cent.
    for (const c of data.conversions.filter((x) => x.credits.length > 0)) {
      for (const model of attributionModels) expect(cents(c.credits.filter((k) => k.model === model).map((k) => k.amount))).toBe(c.revenue);
    }
  });

  it('channels: reach, sends, reactions, conversions, revenue and cost per channel, for every model and range', async () => {
    for (const r of ranges) {
      for (const model of attributionModels) {
        const reached = new Map<string, Set<string>>();
        const tally = new Map<string, { sent: number; transactional: number; delivered: number; opened: number; clicked: number }>();
        for (const m of data.messages.filter((x) => inRange(x.sentAt, r))) {
          add(reached, m.channel, m.customerId);
          const t = tally.get(m.channel) ?? { sent: 0, transactional: 0, delivered: 0, opened: 0, clicked: 0 };
          tally.set(m.channel, {
            sent: t.sent + 1, transactional: t.transactional + (m.priority === 'transactional' ? 1 : 0),
            delivered: t.delivered + (m.deliveredAt ? 1 : 0), opened: t.opened + (m.openedAt ? 1 : 0), clicked: t.clicked + (m.clickedAt ? 1 : 0),
          });
        }
        const converted = new Map<string, Set<string>>();
        const revenue = new Map<string, number[]>();
        const converting = data.conversions.filter((c) => inRange(c.at, r));
        for (const c of converting) {
          for (const k of c.credits.filter((x) => x.model === model)) {
            add(converted, k.channel, c._id);
            revenue.set(k.channel, [...(revenue.get(k.channel) ?? []), k.amount]);
          }
        }
        const unattributed = converting.filter((c) => c.credits.length === 0);
        const names = [...new Set([...tally.keys(), ...converted.keys()])].sort();
        const expected = names.map((channel) => {
          const t = tally.get(channel) ?? { sent: 0, transactional: 0, delivered: 0, opened: 0, clicked: 0 };
          const perMessage = costs[channel as keyof typeof costs];
          const cost = perMessage === undefined ? null : t.sent * perMessage;
          return {
            channel, reached: count(reached, channel), ...t, converted: count(converted, channel),
            conversionRate: rate(count(converted, channel), count(reached, channel)), revenue: cents(revenue.get(channel) ?? []),
            cost: cost === null ? null : tenThousandths(cost), costPerConversion: cost === null || count(converted, channel) === 0 ? null : tenThousandths(cost / count(converted, channel)),
          };
        });
        const res = await get(seeded, '/v1/reports/channels', { ...query(r), model }).expect(200);
        expect(res.body, `${model} ${r.from.toISOString()}`).toEqual({
          ...query(r), model, channels: expected,
          unattributed: { conversions: unattributed.length, revenue: cents(unattributed.map((c) => c.revenue)) },
        });
      }
    }
  });

  it('journeys: funnel, entries, exits by reason and each variant against the holdout, for both journeys and every range', async () => {
    for (const r of ranges) {
      for (const journeyId of ['welcome', 'winback']) {
        const mine = data.journeyEvents.filter((e) => e.journeyId === journeyId && inRange(e.at, r));
        const steps = new Map<string, Set<string>>();
        const exited = new Map<string, Set<string>>();
        const variants = new Map<string, Set<string>>();
        const converted = new Map<string, Set<string>>();
        const onGoal = new Map<string, Set<string>>();
        const inWindow = new Map<string, Set<string>>();
        const anyInWindow = new Set<string>();
        for (const e of mine) {
          if (e.type === 'entered' || e.type === 'step') add(steps, e.stepId!, e.customerId);
          if (e.type === 'exited') add(exited, e.reason!, e.customerId);
          if (e.type === 'converted') anyInWindow.add(e.customerId);
          if (e.variant) add(variants, e.variant, e.customerId);
          // Arms convert by leaving on the goal; held-out customers by the workflow's record of their goal.
          if (e.variant && (e.reason === 'goal' || (e.type === 'converted' && e.variant === 'holdout'))) add(converted, e.variant, e.customerId);
          if (e.variant && e.reason === 'goal') add(onGoal, e.variant, e.customerId);
          // Within the window: the workflow's record, for arms and holdout alike.
          if (e.variant && e.type === 'converted') add(inWindow, e.variant, e.customerId);
        }
        const versus = (won: number, customers: number, variant: string, control: { customers: number; converted: number }) => {
          const tested = variant !== 'holdout' && control.customers > 0;
          const conversionRate = rate(won, customers);
          const holdoutRate = rate(control.converted, control.customers);
          const pValue = tested ? twoProportionPValue(won, customers, control.converted, control.customers) : null;
          return {
            converted: won, conversionRate,
            uplift: tested && conversionRate !== null && holdoutRate ? (conversionRate - holdoutRate) / holdoutRate : null,
            pValue, significant: pValue === null ? null : pValue < 0.05,
          };
        };
        const holdout = { customers: count(variants, 'holdout'), converted: count(converted, 'holdout') };
        const holdoutInWindow = { customers: holdout.customers, converted: count(inWindow, 'holdout') };
        const arm = (variant: string) => {
          const customers = count(variants, variant);
          return {
            variant, customers, ...versus(count(converted, variant), customers, variant, holdout),
            exitedOnGoal: count(onGoal, variant), withinWindow: versus(count(inWindow, variant), customers, variant, holdoutInWindow),
          };
        };
        const latest = seededJourneys.filter((d) => d.id === journeyId).at(-1)!;
        const entered = new Set(mine.filter((e) => e.type === 'entered').map((e) => e.customerId)).size;

        const res = await get(seeded, `/v1/reports/journeys/${journeyId}`, query(r)).expect(200);
        expect(res.body, `${journeyId} ${r.from.toISOString()}`).toMatchObject({
          journeyId, ...query(r), goal: latest.goal!.event, entered, goalRate: rate(count(exited, 'goal'), entered),
          conversionWindow: latest.goal!.within ?? '30 days', exitedOnGoal: count(exited, 'goal'),
          convertedWithinWindow: anyInWindow.size, windowConversionRate: rate(anyInWindow.size, entered),
          variants: [...[...variants.keys()].filter((v) => v !== 'holdout').sort(), ...(variants.has('holdout') ? ['holdout'] : [])].map(arm),
        });
        const expectedSteps = Object.fromEntries([...Object.keys(latest.steps), ...steps.keys()].map((id) => [id, count(steps, id)]));
        expect(Object.fromEntries(res.body.steps.map((s: { stepId: string; customers: number }) => [s.stepId, s.customers]))).toEqual(expectedSteps);
        expect(res.body.exited).toEqual([...exited.keys()].map((reason) => ({ reason, customers: count(exited, reason) }))
          .sort((a, b) => b.customers - a.customers || (a.reason < b.reason ? -1 : 1)));
      }
    }
  });

  it('lifecycle: customers at each stage now, merged ones left out, and the moves in each range', async () => {
    const now = new Map<string, number>();
    for (const c of data.customers.filter((x) => !x.mergedInto)) now.set(c.stage, (now.get(c.stage) ?? 0) + 1);
    for (const r of ranges) {
      const moves = new Map<string, number>();
      for (const s of data.stageChanges.filter((x) => inRange(x.at, r))) moves.set(`${s.from}>${s.to}`, (moves.get(`${s.from}>${s.to}`) ?? 0) + 1);
      const res = await get(seeded, '/v1/reports/lifecycle', query(r)).expect(200);
      expect(res.body.stages).toEqual(ladder.map((stage) => ({ stage, customers: now.get(stage) ?? 0 })));
      expect(Object.fromEntries(res.body.moves.map((m: { from: string; to: string; moves: number }) => [`${m.from}>${m.to}`, m.moves]))).toEqual(Object.fromEntries(moves));
      expect(res.body.moves.map((m: { moves: number }) => m.moves)).toEqual([...moves.values()].sort((a, b) => b - a));
    }
  });
});

describe('reports on a small case worked out by hand', () => {
  const t = (iso: string) => new Date(`2026-03-${iso}Z`);
  const week = { from: '2026-03-01', to: '2026-03-08' };
  const base = { template: 't', priority: 'marketing', links: [] as string[], attempts: 1, attemptsEnded: 0, createdAt: t('01T00:00:00'), updatedAt: t('01T00:00:00') };
  const customer = (id: string, stage: string, mergedInto?: string) => ({
    _id: id, stage, points: 0, counters: { events: 0, orders: 0, spend: 0 }, followed: false, registered: false, tags: [], consent: {}, traits: {},
    recentMessageIds: [], mergedFrom: [], revision: 1, updatedAt: t('01T00:00:00'), ...(mergedInto && { mergedInto }),
  }) as never;
  const touch = (channel: string, at: string) => ({ at: t(at), kind: 'sent' as const, channel });
  const credit = (model: AttributionModel, index: number, channel: string, amount: number) => ({ model, touch: index, channel, amount });

  beforeAll(async () => {
    const m = hand.db.models;
    // Where customers are now (as their workflows store it): a and c at a-send (c also in another
    // journey), b at b-send; d, merged into c, is counted in none.
    const at = (journeyId: string, stepId: string) => ({ journeyId, version: 1, stepId, enteredAt: '2026-03-05T00:00:00.000Z' });
    const placed = (doc: never, ...journeys: ReturnType<typeof at>[]) => ({ ...(doc as object), journeys }) as never;
    await m.customers.insertMany([
      placed(customer('a', 'member'), at('trial', 'a-send')), placed(customer('b', 'customer'), at('trial', 'b-send')),
      placed(customer('c', 'customer'), at('other', 'a-send'), at('trial', 'a-send')), placed(customer('d', 'loyal', 'c'), at('trial', 'a-send')),
    ]);
    await m.messages.insertMany([
      // From is counted, `to` is not; a message never sent is not counted.
      { ...base, _id: 'm1', customerId: 'a', channel: 'sms', status: 'clicked', sentAt: t('01T00:00:00'), deliveredAt: t('01T00:01:00'), openedAt: t('01T00:02:00'), clickedAt: t('01T00:03:00') },
      { ...base, _id: 'm2', customerId: 'a', channel: 'sms', status: 'delivered', sentAt: t('02T00:00:00'), deliveredAt: t('02T00:01:00') },
      { ...base, _id: 'm3', customerId: 'b', channel: 'sms', status: 'sent', sentAt: t('03T00:00:00') },
      { ...base, _id: 'm4', customerId: 'b', channel: 'email', status: 'opened', sentAt: t('04T00:00:00'), deliveredAt: t('04T00:00:01'), openedAt: t('04T09:00:00') },
      { ...base, _id: 'm5', customerId: 'c', channel: 'email', status: 'delivered', sentAt: t('08T00:00:00'), deliveredAt: t('08T00:00:01') },
      { ...base, _id: 'm6', customerId: 'c', channel: 'email', status: 'suppressed', reason: 'frequency_cap' },
      { ...base, _id: 'm7', customerId: 'c', channel: 'email', status: 'sent', sentAt: new Date('2026-02-28T23:59:59.999Z') },
    ]);
    await m.conversions.insertMany([
      { _id: 'a:o1', customerId: 'a', event: 'Order Completed', revenue: 100, at: t('02T12:00:00'), touches: [touch('sms', '01T00:00:00'), touch('sms', '02T00:00:00')],
        credits: [credit('last_touch', 1, 'sms', 100), credit('linear', 0, 'sms', 50), credit('linear', 1, 'sms', 50)] },
      { _id: 'b:o1', customerId: 'b', event: 'Order Completed', revenue: 60, at: t('05T00:00:00'), touches: [touch('sms', '03T00:00:00'), touch('email', '04T00:00:00')],
        credits: [credit('last_touch', 1, 'email', 60), credit('linear', 0, 'sms', 30), credit('linear', 1, 'email', 30)] },
      { _id: 'c:o1', customerId: 'c', event: 'Order Completed', revenue: 40, at: t('06T00:00:00'), touches: [], credits: [] },
      { _id: 'b:o2', customerId: 'b', event: 'Order Completed', revenue: 999, at: t('09T00:00:00'), touches: [touch('email', '04T00:00:00')], credits: [credit('last_touch', 0, 'email', 999)] },
    ]);
    const definition = {
      id: 'trial', version: 1, name: 'Trial', trigger: { type: 'event', event: 'Signed Up' }, entry: 'split', reentry: { mode: 'never' }, onPause: 'hold',
      steps: {
        split: { type: 'split', variants: [{ name: 'a', weight: 40, next: 'a-send' }, { name: 'b', weight: 40, next: 'b-send' }], holdout: 20 },
        'a-send': { type: 'send', channel: 'sms', template: 't', next: 'done' },
        'b-send': { type: 'send', channel: 'email', template: 't', next: 'done' },
        done: { type: 'exit' },
      },
      goal: { event: 'Order Completed', within: '2 days' },
    } as const;
    await m.journeys.insertOne({ _id: 'trial', name: 'Trial', status: 'active', draft: definition as never, latestVersion: 1, onPause: 'hold', createdAt: t('01T00:00:00'), updatedAt: t('01T00:00:00') });
    await m.journeyVersions.insertOne({ _id: 'trial@1', journeyId: 'trial', version: 1, definition: definition as never, publishedAt: t('01T00:00:00') });
    let n = 0;
    const ev = (customerId: string, type: 'entered' | 'step' | 'exited' | 'converted', at: Date, fields: { stepId?: string; variant?: string; reason?: string } = {}) =>
      ({ _id: `j${n++}`, customerId, journeyId: 'trial', version: 1, enrollmentId: `${customerId}#1`, type, at, ...fields });
    await m.journeyEvents.insertMany([
      ev('c1', 'entered', t('01T00:00:00'), { stepId: 'split' }), ev('c1', 'step', t('01T00:00:00'), { stepId: 'a-send', variant: 'a' }), ev('c1', 'exited', t('02T00:00:00'), { variant: 'a', reason: 'goal' }),
      ev('c2', 'entered', t('01T00:00:00'), { stepId: 'split' }), ev('c2', 'step', t('01T00:00:00'), { stepId: 'a-send', variant: 'a' }), ev('c2', 'exited', t('03T00:00:00'), { variant: 'a', reason: 'completed' }),
      ev('c3', 'entered', t('01T00:00:00'), { stepId: 'split' }), ev('c3', 'step', t('01T00:00:00'), { stepId: 'b-send', variant: 'b' }), ev('c3', 'exited', t('04T00:00:00'), { variant: 'b', reason: 'goal' }),
      ev('c4', 'entered', t('02T00:00:00'), { stepId: 'split' }), ev('c4', 'exited', t('02T00:00:00'), { variant: 'holdout', reason: 'holdout' }),
      ev('c5', 'entered', t('03T00:00:00'), { stepId: 'split' }), ev('c5', 'exited', t('03T00:00:00'), { variant: 'holdout', reason: 'holdout' }),
      // Entered before the range: a customer of variant a who converted in it, but no entry in it.
      ev('c6', 'entered', new Date('2026-02-27T00:00:00Z'), { stepId: 'split' }), ev('c6', 'step', new Date('2026-02-27T00:00:00Z'), { stepId: 'a-send', variant: 'a' }),
      ev('c6', 'exited', t('02T00:00:00'), { variant: 'a', reason: 'goal' }),
      // Held out, c4 reached the goal the next day; c5 never within the window.
      ev('c4', 'converted', t('03T00:00:00'), { variant: 'holdout' }),
      // Within two days of entering: c1 on the goal, c2 after leaving at the end of the steps; c3 and
      // c6 left on the goal three days in, too late for the window.
      ev('c1', 'converted', t('02T00:00:00'), { variant: 'a' }), ev('c2', 'converted', t('03T00:00:00'), { variant: 'a' }),
    ]);
    await m.stageChanges.insertMany([
      { _id: 'a:1', customerId: 'a', from: 'stranger', to: 'fan', at: t('01T00:00:00') },
      { _id: 'a:2', customerId: 'a', from: 'fan', to: 'member', at: t('02T00:00:00') },
      { _id: 'b:1', customerId: 'b', from: 'fan', to: 'member', at: t('01T10:00:00') },
      { _id: 'b:2', customerId: 'b', from: 'member', to: 'customer', at: t('03T00:00:00') },
      { _id: 'c:1', customerId: 'c', from: 'member', to: 'customer', at: t('08T00:00:00') },
    ]);
  });

  it('channels under last touch: two channels, three conversions in the week (one unattributed), sms costs 0.06 a message', async () => {
    const res = await get(hand, '/v1/reports/channels', week).expect(200);
    expect(res.body).toEqual({
      from: '2026-03-01T00:00:00.000Z', to: '2026-03-08T00:00:00.000Z', model: 'last_touch',
      channels: [
        { channel: 'email', reached: 1, sent: 1, transactional: 0, delivered: 1, opened: 1, clicked: 0, converted: 1, conversionRate: 1, revenue: 60, cost: 0.002, costPerConversion: 0.002 },
        { channel: 'sms', reached: 2, sent: 3, transactional: 0, delivered: 2, opened: 1, clicked: 1, converted: 1, conversionRate: 0.5, revenue: 100, cost: 0.18, costPerConversion: 0.18 },
      ],
      unattributed: { conversions: 1, revenue: 40 },
    });
  });

  it('channels under linear: a conversion counts once per channel it credits', async () => {
    const res = await get(hand, '/v1/reports/channels', { ...week, model: 'linear' }).expect(200);
    expect(res.body.channels.map((c: { channel: string; converted: number; revenue: number; costPerConversion: number | null }) => [c.channel, c.converted, c.revenue, c.costPerConversion]))
      .toEqual([['email', 1, 30, 0.002], ['sms', 2, 130, 0.09]]);
  });

  it('journey: funnel in step order, exits by reason, and each variant against the holdout, on goal exits and within the conversion window, and who is at each step now', async () => {
    const res = await get(hand, '/v1/reports/journeys/trial', week).expect(200);
    expect(res.body).toEqual({
      journeyId: 'trial', from: '2026-03-01T00:00:00.000Z', to: '2026-03-08T00:00:00.000Z', goal: 'Order Completed', conversionWindow: '2 days',
      entered: 5, goalRate: 0.6,
      // c1, c3, c6 left on the goal; c1, c2 (after leaving) and the held-out c4 converted within the window.
      exitedOnGoal: 3, convertedWithinWindow: 3, windowConversionRate: 0.6,
      steps: [{ stepId: 'split', customers: 5 }, { stepId: 'a-send', customers: 2 }, { stepId: 'b-send', customers: 1 }, { stepId: 'done', customers: 0 }],
      exited: [{ reason: 'goal', customers: 3 }, { reason: 'holdout', customers: 2 }, { reason: 'completed', customers: 1 }],
      variants: [
        {
          variant: 'a', customers: 3, converted: 2, conversionRate: 2 / 3, uplift: (2 / 3 - 0.5) / 0.5, pValue: expect.closeTo(0.7093881150142264, 6), significant: false,
          exitedOnGoal: 2, withinWindow: { converted: 2, conversionRate: 2 / 3, uplift: (2 / 3 - 0.5) / 0.5, pValue: expect.closeTo(0.7093881150142264, 6), significant: false },
        },
        {
          variant: 'b', customers: 1, converted: 1, conversionRate: 1, uplift: 1, pValue: expect.closeTo(0.3864762307712328, 6), significant: false,
          exitedOnGoal: 1, withinWindow: { converted: 0, conversionRate: 0, uplift: -1, pValue: expect.closeTo(0.3864762307712328, 6), significant: false },
        },
        {
          variant: 'holdout', customers: 2, converted: 1, conversionRate: 0.5, uplift: null, pValue: null, significant: null,
          exitedOnGoal: 0, withinWindow: { converted: 1, conversionRate: 0.5, uplift: null, pValue: null, significant: null },
        },
      ],
      // Now, whatever the range: in the order of the journey, the merged-away d and the other journey left out.
      now: { customers: 3, steps: [{ version: 1, stepId: 'a-send', customers: 2 }, { version: 1, stepId: 'b-send', customers: 1 }] },
    });
  });

  it('lifecycle: stages now without the merged-away customer, and the week\'s moves', async () => {
    const res = await get(hand, '/v1/reports/lifecycle', week).expect(200);
    expect(res.body).toEqual({
      from: '2026-03-01T00:00:00.000Z', to: '2026-03-08T00:00:00.000Z',
      stages: ladder.map((stage) => ({ stage, customers: { member: 1, customer: 2 }[stage as string] ?? 0 })),
      moves: [{ from: 'fan', to: 'member', moves: 2 }, { from: 'member', to: 'customer', moves: 1 }, { from: 'stranger', to: 'fan', moves: 1 }],
    });
  });

  it('refuses bad dates, a range that ends before it starts or spans over 1,096 days, an unknown model or journey id, naming the field', async () => {
    const bad = async (path: string, query: Record<string, string | string[]>, field: string) => {
      const res = await get(hand, path, query as Record<string, string>).expect(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    };
    await bad('/v1/reports/channels', { from: 'yesterday', to: '2026-03-08' }, 'from');
    await bad('/v1/reports/channels', { from: '2026-03-01' }, 'to');
    await bad('/v1/reports/channels', { from: '2026-02-30', to: '2026-03-08' }, 'from');
    await bad('/v1/reports/channels', { from: '2026-03-08', to: '2026-03-08' }, 'to');
    await bad('/v1/reports/channels', { from: '1970-01-01', to: '9999-12-30' }, 'to');
    await bad('/v1/reports/journeys/trial', { from: '2026-01-01', to: '2029-01-02' }, 'to');
    await get(hand, '/v1/reports/lifecycle', { from: '2026-01-01', to: '2029-01-01' }).expect(200);
    await bad('/v1/reports/channels', { ...week, model: 'last_click' }, 'model');
    await bad('/v1/reports/channels', { from: ['2026-03-01', '2026-03-02'], to: '2026-03-08' }, 'from');
    await bad('/v1/reports/lifecycle', { from: '2026-03-08T00:00:00Z', to: '2026-03-01T00:00:00+08:00' }, 'to');
    await bad('/v1/reports/journeys/Not%20a%20journey', week, 'journeyId');
    const missing = await get(hand, '/v1/reports/journeys/no-such-journey', week).expect(404);
    expect(missing.body.error.code).toBe('not_found');
  });

  it('answers only to admin keys', async () => {
    for (const path of ['/v1/reports/channels', '/v1/reports/journeys/trial', '/v1/reports/lifecycle']) {
      await request(hand.app).get(path).query(week).expect(401);
      await request(hand.app).get(path).query(week).auth(writeKey, '').expect(403);
    }
  });
});

describe('significance and cost settings', () => {
  it('gives the two-sided p-value of the two-proportion z-test', () => {
    expect(erfc(1.96 / Math.SQRT2)).toBeCloseTo(0.04999579029644087, 6);
    expect(erfc(0)).toBeCloseTo(1, 6);
    expect(erfc(-1)).toBeCloseTo(1.8427007929497148, 6);
    // 12% of 1,000 against 10% of 1,000: z = 1.429.
    expect(twoProportionPValue(120, 1000, 100, 1000)).toBeCloseTo(0.1529177818639462, 6);
    expect(twoProportionPValue(150, 1000, 100, 1000)).toBeCloseTo(0.0007232327164301955, 8);
    expect(twoProportionPValue(0, 10, 0, 20)).toBe(1);
    expect(twoProportionPValue(3, 10, 0, 0)).toBeNull();
  });

  it('takes channel costs as JSON, refusing unknown channels and negative costs', () => {
    const env = { MONGODB_URI: 'mongodb://127.0.0.1:27017/x', API_WRITE_KEYS: 'w'.repeat(16), API_ADMIN_KEYS: 'a'.repeat(16) };
    expect(loadConfig(env).channelCosts).toEqual({});
    expect(loadConfig({ ...env, CHANNEL_COSTS: '{"sms":0.05}' }).channelCosts).toEqual({ sms: 0.05 });
    expect(() => loadConfig({ ...env, CHANNEL_COSTS: '{"fax":1}' })).toThrow(/CHANNEL_COSTS/);
    expect(() => loadConfig({ ...env, CHANNEL_COSTS: '{"sms":-1}' })).toThrow(/CHANNEL_COSTS/);
  });
});
