// Conversion windows on the real worker (time skipped): the goal reached within `goal.within` of
// entering counts as the journey's conversion, on the goal inside the journey and after leaving at
// the end of the steps, for the A/B arm and the holdout alike; the journey report shows "exited on
// goal" and "converted within the window" apart, each arm against the holdout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { twoProportionPValue } from '../../api/reports/significance.js';
import { customerWorkflowId, stateQuery } from '../../workflows/customer-contract.js';
import { adminKey, writeKey } from '../setup/stack.js';
import { timeSkippingStack, type TimeSkippingStack } from '../setup/time-skipping.js';

let s: TimeSkippingStack;
const admin = (path: string, body: object) => request(s.app).post(path).auth(adminKey, '').send(body);
const D = 86_400_000;
const H = 3_600_000;

beforeAll(async () => {
  s = await timeSkippingStack();
  await admin('/v1/templates', { id: 'cw-offer', channel: 'sms', body: 'Your trial offer' }).expect(201);
  await admin('/v1/journeys', {
    id: 'cw-trial', name: 'Trial offer', trigger: { type: 'event', event: 'Trial Started' }, entry: 'split',
    steps: {
      split: { type: 'split', variants: [{ name: 'sms', weight: 50, next: 'offer' }], holdout: 50 },
      offer: { type: 'send', channel: 'sms', template: 'cw-offer', priority: 'transactional', next: 'day' },
      day: { type: 'wait', duration: '1 day', next: 'done' },
      done: { type: 'exit' },
    },
    goal: { event: 'Order Completed', within: '5 days' }, reentry: { mode: 'never' }, onPause: 'hold',
  }).expect(201);
  await admin('/v1/journeys/cw-trial/publish', {}).expect(200);
}, 120_000);
afterAll(async () => { await s?.stop(); });

const track = async (userId: string, event: string, properties: object = {}) => {
  const timestamp = new Date(await s.env.currentTimeMs()).toISOString();
  await request(s.app).post('/v1/batch').auth(writeKey, '').send({ batch: [{ type: 'track', userId, timestamp, event, properties }] }).expect(200);
};
const customerOf = async (userId: string) => (await s.db.models.identities.findOne({ _id: `userId:${userId}` }))?.customerId;
/** The customer's exits and conversions in the journey, as `type:variant:reason`. */
const outcomes = async (userId: string) => {
  const customerId = await customerOf(userId);
  if (!customerId) return [];
  const records = await s.db.models.journeyEvents.find({ journeyId: 'cw-trial', customerId, type: { $in: ['exited', 'converted'] } }).toArray();
  return records.map((p) => [p.type, p.variant ?? '', p.reason ?? ''].join(':')).sort();
};
const until = async (check: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 150; i++) { if (await check()) return; await new Promise((r) => setTimeout(r, 100)); }
  throw new Error(`timed out waiting for ${what}`);
};
const ordersOf = async (userId: string) => s.db.models.conversions.countDocuments({ customerId: (await customerOf(userId))! });

// When each customer orders after entering (hours), or never: two of each.
const buyers: Record<string, number | undefined> = {
  'cw-1h-a': 1, 'cw-1h-b': 1, 'cw-2d-a': 48, 'cw-2d-b': 48, 'cw-4d-a': 96, 'cw-4d-b': 96, 'cw-7d-a': 168, 'cw-7d-b': 168, 'cw-never-a': undefined, 'cw-never-b': undefined,
};

describe('conversion windows', () => {
  it('counts the goal within the window after leaving as the conversion, apart from goal exits, for the arm and the holdout', async () => {
    const startedAt = await s.env.currentTimeMs();
    const people = Object.keys(buyers);
    for (const u of people) {
      await request(s.app).post('/v1/identify').auth(writeKey, '').send({ userId: u, traits: { phone: `+86139${String(10_000_000 + people.indexOf(u))}` }, timestamp: new Date(startedAt).toISOString() }).expect(200);
      await track(u, 'Trial Started');
    }
    for (const u of people) await until(async () => (await s.db.models.journeyEvents.countDocuments({ journeyId: 'cw-trial', customerId: await customerOf(u), type: { $in: ['step', 'exited'] } })) > 0, `${u} split`);
    const variantOf = new Map<string, string>();
    for (const u of people) {
      const split = await s.db.models.journeyEvents.findOne({ journeyId: 'cw-trial', customerId: await customerOf(u), variant: { $exists: true } });
      variantOf.set(u, split!.variant!);
    }

    // Time moves on; each orders at their hour after entering (the arm's customers leave after a day).
    let elapsed = 0;
    for (const at of [1, 48, 96, 168]) {
      await s.env.sleep((at - elapsed) * H);
      elapsed = at;
      for (const u of people.filter((p) => buyers[p] === at)) {
        await track(u, 'Order Completed', { total: 80 });
        await until(async () => (await ordersOf(u)) === 1, `${u}'s order`);
      }
    }
    await new Promise((r) => setTimeout(r, 1000));

    for (const u of people) {
      const variant = variantOf.get(u)!;
      const hours = buyers[u];
      const inWindow = hours !== undefined && hours <= 5 * 24;
      const expected = variant === 'holdout'
        ? ['exited:holdout:holdout', ...(inWindow ? ['converted:holdout:'] : [])]
        // In the arm: an order in the first day ends the journey on the goal; later, they had left at the end of the steps.
        : [hours !== undefined && hours < 24 ? 'exited:sms:goal' : 'exited:sms:completed', ...(inWindow ? ['converted:sms:'] : [])];
      expect(await outcomes(u), `${u} (${variant}, ordered at ${hours ?? 'never'} h)`).toEqual(expected.sort());
    }

    // A customer who left without the goal keeps one watch until the window closes; a converted one keeps none.
    const neverArm = people.find((u) => buyers[u] === undefined && variantOf.get(u) === 'sms');
    if (neverArm) {
      const state = await s.env.client.workflow.getHandle(customerWorkflowId((await customerOf(neverArm))!)).query(stateQuery);
      expect(state.journeys?.windows).toEqual([expect.objectContaining({ journeyId: 'cw-trial', variant: 'sms', goal: { event: 'Order Completed' }, until: expect.any(Number) })]);
      expect(state.journeys!.windows![0]!.until - state.journeys!.history['cw-trial']!.lastEnteredAt).toBe(5 * D);
    }
    for (const u of people.filter((p) => buyers[p] === 48)) {
      const state = await s.env.client.workflow.getHandle(customerWorkflowId((await customerOf(u))!)).query(stateQuery);
      expect(state.journeys).not.toHaveProperty('windows');
      expect(state.journeys).not.toHaveProperty('holdouts');
    }

    // The report, recounted from what each customer did.
    const group = (variant: string) => people.filter((u) => variantOf.get(u) === variant);
    const converted = (us: string[]) => us.filter((u) => buyers[u] !== undefined && buyers[u]! <= 120).length;
    const onGoal = (us: string[]) => us.filter((u) => variantOf.get(u) !== 'holdout' && buyers[u] !== undefined && buyers[u]! < 24).length;
    const arm = group('sms');
    const held = group('holdout');
    const rate = (x: number, n: number) => (n > 0 ? x / n : null);
    const versus = (x: number, n: number, hx: number, hn: number) => {
      const r = rate(x, n);
      const hr = rate(hx, hn);
      const p = hn > 0 && n > 0 ? twoProportionPValue(x, n, hx, hn) : null;
      return { converted: x, conversionRate: r, uplift: hn > 0 && r !== null && hr ? (r - hr) / hr : null, pValue: p === null ? null : expect.closeTo(p, 9), significant: p === null ? null : p < 0.05 };
    };
    const from = new Date(Math.floor(startedAt / D) * D);
    const report = await request(s.app).get('/v1/reports/journeys/cw-trial').auth(adminKey, '')
      .query({ from: from.toISOString(), to: new Date(from.getTime() + 30 * D).toISOString() }).expect(200);
    expect(report.body).toMatchObject({
      goal: 'Order Completed', conversionWindow: '5 days', entered: people.length,
      exitedOnGoal: onGoal(arm), convertedWithinWindow: converted(people), windowConversionRate: converted(people) / people.length,
    });
    const expectedVariants = [
      ...(arm.length > 0 ? [{ variant: 'sms', customers: arm.length, exitedOnGoal: onGoal(arm), withinWindow: held.length > 0 ? versus(converted(arm), arm.length, converted(held), held.length) : versus(converted(arm), arm.length, 0, 0) }] : []),
      ...(held.length > 0 ? [{ variant: 'holdout', customers: held.length, exitedOnGoal: 0, withinWindow: { converted: converted(held), conversionRate: converted(held) / held.length, uplift: null, pValue: null, significant: null } }] : []),
    ];
    expect(report.body.variants).toMatchObject(expectedVariants);
  }, 180_000);
});
