// Same code, proven: journeys run live on the real worker (time skipped) over a set of customers'
// events, then a backtest of each over the same recorded events must find the same entries, sends,
// suppressions (with reasons), exits and conversions, customer by customer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { adminKey, eventually, writeKey } from '../setup/stack.js';
import { timeSkippingStack, zoneWhereItIs, type TimeSkippingStack } from '../setup/time-skipping.js';
import { createBacktestActivities } from '../../activities/backtest/index.js';
import { customerEvents } from '../../activities/backtest/events.js';
import { mayEnter, simulateCustomer } from '../../activities/backtest/simulate.js';
import { backtestRepository } from '../../store/backtests.js';
import type { CustomerEvent } from '../../workflows/lifecycle/event.js';
import { backtestWorkflow } from '../../workflows/backtest.js';
import { backtestWorkflowId } from '../../workflows/backtest-contract.js';

let s: TimeSkippingStack;
const admin = () => ({ post: (path: string) => request(s.app).post(path).auth(adminKey, ''), get: (path: string) => request(s.app).get(path).auth(adminKey, '') });

const sms = (id: string) => ({ id, channel: 'sms', body: `${id} for {{ profile.traits.name }}` });
const journeys = [
  {
    // Waits, a branch on a trait, wait-for-event with both ways out, a goal.
    id: 'bt-welcome', name: 'Welcome', trigger: { type: 'event', event: 'Signed Up' }, entry: 'hello', reentry: { mode: 'never' }, onPause: 'hold',
    goal: { event: 'Order Completed' },
    steps: {
      hello: { type: 'send', channel: 'sms', template: 'bt-hello', next: 'day' },
      day: { type: 'wait', duration: '1 day', next: 'plan' },
      plan: { type: 'branch', branches: [{ when: [{ field: 'traits.plan', op: 'eq', value: 'pro' }], next: 'pro' }], otherwise: 'basic' },
      pro: { type: 'send', channel: 'sms', template: 'bt-pro', next: 'order' },
      basic: { type: 'send', channel: 'sms', template: 'bt-basic', next: 'order' },
      order: { type: 'wait_for_event', event: 'Product Viewed', timeout: '3 days', onEvent: 'viewed', onTimeout: 'nudge' },
      viewed: { type: 'send', channel: 'sms', template: 'bt-viewed', next: 'done' },
      nudge: { type: 'send', channel: 'sms', template: 'bt-nudge', next: 'done' },
      done: { type: 'exit' },
    },
  },
  {
    // An A/B split with a holdout watched for the goal.
    id: 'bt-ab', name: 'A/B', trigger: { type: 'event', event: 'Product Viewed' }, entry: 'split', reentry: { mode: 'never' }, onPause: 'hold',
    goal: { event: 'Order Completed', within: '7 days' },
    steps: {
      split: { type: 'split', variants: [{ name: 'a', weight: 40, next: 'a' }, { name: 'b', weight: 40, next: 'b' }], holdout: 20 },
      a: { type: 'send', channel: 'sms', template: 'bt-a', next: 'wait' },
      b: { type: 'send', channel: 'sms', template: 'bt-b', next: 'wait' },
      wait: { type: 'wait', duration: '5 days', next: 'end' },
      end: { type: 'exit' },
    },
  },
  {
    // Three sends an hour apart: the daily cap (2) bites, with whatever the others sent.
    id: 'bt-cart', name: 'Cart', trigger: { type: 'event', event: 'Cart Abandoned' }, entry: 'c1', reentry: { mode: 'always' }, onPause: 'hold',
    steps: {
      c1: { type: 'send', channel: 'sms', template: 'bt-c1', next: 'w1' },
      w1: { type: 'wait', duration: '1 hour', next: 'c2' },
      c2: { type: 'send', channel: 'sms', template: 'bt-c2', next: 'w2' },
      w2: { type: 'wait', duration: '1 hour', next: 'c3' },
      c3: { type: 'send', channel: 'sms', template: 'bt-c3', next: 'end' },
      end: { type: 'exit' },
    },
  },
];

let from: number;
let to: number;

beforeAll(async () => {
  // The default quiet hours (21:00-08:00), in a zone where the story starts just after midnight, so it
  // unfolds the same whatever the hour CI runs: the welcome waits for 08:00, and the day-1 product
  // views come before the customers reach the step that waits for one (which then times out: the nudge).
  s = await timeSkippingStack({ MESSAGING_POLICY: JSON.stringify({ defaultTimeZone: zoneWhereItIs(0, Date.now()) }) });
  for (const t of ['bt-hello', 'bt-pro', 'bt-basic', 'bt-viewed', 'bt-nudge', 'bt-a', 'bt-b', 'bt-c1', 'bt-c2', 'bt-c3']) await admin().post('/v1/templates').send(sms(t)).expect(201);
  for (const j of journeys) {
    await admin().post('/v1/journeys').send(j).expect(201);
    await admin().post(`/v1/journeys/${j.id}/publish`).expect(200);
  }
  from = await s.env.currentTimeMs();
  const send = async (batch: Record<string, unknown>[]) => {
    const timestamp = new Date(await s.env.currentTimeMs()).toISOString();
    await request(s.app).post('/v1/batch').auth(writeKey, '').send({ batch: batch.map((e) => ({ timestamp, ...e })) }).expect(200);
  };
  const people = Array.from({ length: 12 }, (_, i) => ({ userId: `bt-${i}`, phone: `1380013${String(8000 + i)}` }));
  // Day 0: everyone signs up (a third on the pro plan); some abandon a cart at once.
  for (const [i, p] of people.entries()) {
    await send([
      { type: 'identify', userId: p.userId, traits: { phone: p.phone, name: `N${i}`, plan: i % 3 === 0 ? 'pro' : 'basic' } },
      { type: 'track', userId: p.userId, event: 'Signed Up' },
      ...(i % 4 === 1 ? [{ type: 'track', userId: p.userId, event: 'Cart Abandoned' }] : []),
    ]);
  }
  await s.env.sleep('30 hours');
  // Day 1: half view a product (wait-for-event, and the A/B entry); some buy.
  for (const [i, p] of people.entries()) if (i % 2 === 0) await send([{ type: 'track', userId: p.userId, event: 'Product Viewed', properties: { sku: 'oil' } }]);
  await s.env.sleep('5 hours');
  for (const [i, p] of people.entries()) if (i % 3 === 1 || i === 0) await send([{ type: 'track', userId: p.userId, event: 'Order Completed', properties: { total: 100 + i } }]);
  await s.env.sleep('2 days');
  // Day 3: carts abandoned again; the others view a product late.
  for (const [i, p] of people.entries()) {
    if (i % 2 === 1) await send([{ type: 'track', userId: p.userId, event: 'Product Viewed', properties: { sku: 'cream' } }]);
    if (i % 3 === 2) await send([{ type: 'track', userId: p.userId, event: 'Cart Abandoned' }]);
  }
  await s.env.sleep('2 days');
  for (const [i, p] of people.entries()) if (i % 4 === 3) await send([{ type: 'track', userId: p.userId, event: 'Order Completed', properties: { total: 50 } }]);
  await s.env.sleep('8 days');
  to = await s.env.currentTimeMs();
}, 300_000);
afterAll(async () => { await s?.stop(); });

type Fact = string;
/** What the customer workflows did in a journey, one line per fact, by customer. */
async function liveFacts(journeyId: string): Promise<Map<string, Fact[]>> {
  const out = new Map<string, Fact[]>();
  const push = (customerId: string, fact: Fact) => out.set(customerId, [...(out.get(customerId) ?? []), fact]);
  for (const m of await s.db.models.messages.find({ journeyId }).toArray()) {
    push(m.customerId, m.status === 'suppressed' ? `suppressed ${m.stepId} ${m.template} ${m.reason}` : `sent ${m.stepId} ${m.template}`);
  }
  for (const p of await s.db.models.journeyEvents.find({ journeyId }).toArray()) {
    if (p.type === 'entered') push(p.customerId, 'entered');
    if (p.type === 'exited') push(p.customerId, `exited ${p.reason}`);
    if (p.type === 'converted') push(p.customerId, 'converted holdout');
  }
  return out;
}

function backtestFacts(paths: { customerId: string; steps: { what: string; stepId?: string; template?: string; detail?: string }[] }[]): Map<string, Fact[]> {
  const out = new Map<string, Fact[]>();
  for (const { customerId, steps } of paths) {
    const facts = steps.flatMap((st) => {
      if (st.what === 'sent') return [`sent ${st.stepId} ${st.template}`];
      if (st.what === 'suppressed') return [`suppressed ${st.stepId} ${st.template} ${st.detail}`];
      if (st.what === 'entered') return ['entered'];
      if (st.what === 'exited') return [`exited ${st.detail}`];
      if (st.what === 'converted') return ['converted holdout'];
      return [];
    });
    if (facts.length > 0) out.set(customerId, facts);
  }
  return out;
}
const sorted = (m: Map<string, Fact[]>) => Object.fromEntries([...m].map(([k, v]) => [k, [...v].sort()]).sort(([a], [b]) => (a! < b! ? -1 : 1)));

describe('a backtest of a live journey over the same recorded events', () => {
  it.each(journeys.map((j) => j.id))('%s: the same entries, sends, suppressions, exits and conversions, customer by customer', async (journeyId) => {
    const started = await admin().post(`/v1/journeys/${journeyId}/backtest`).send({
      version: 1, from: new Date(from).toISOString(), to: new Date(to).toISOString(), withLiveJourneys: true,
    }).expect(202);
    const run = await eventually(async () => {
      const r = await admin().get(`/v1/journeys/${journeyId}/backtests/${started.body.id}`).expect(200);
      return r.body.status === 'completed' ? r.body : undefined;
    }, 60_000);
    const live = await liveFacts(journeyId);
    expect(live.size).toBeGreaterThan(2);
    expect(sorted(backtestFacts(run.result.paths))).toEqual(sorted(live));
    expect(run.result.customers).toEqual({ sampled: 12, entered: live.size });
    const liveSent = await s.db.models.messages.countDocuments({ journeyId, status: { $ne: 'suppressed' } });
    expect(run.result.sends.total).toBe(liveSent);
  }, 120_000);

  it('exercised what the journeys are for: a branch both ways, an awaited event and its timeout, the split, the cap', async () => {
    const facts = [...(await liveFacts('bt-welcome')).values(), ...(await liveFacts('bt-ab')).values(), ...(await liveFacts('bt-cart')).values()].flat();
    for (const fact of ['sent pro bt-pro', 'sent basic bt-basic', 'sent viewed bt-viewed', 'sent nudge bt-nudge', 'exited goal']) expect(facts).toContain(fact);
    // Customer ids are random, so which arms the split picks varies: at least two of its three.
    expect(['sent a bt-a', 'sent b bt-b', 'exited holdout'].filter((f) => facts.includes(f)).length).toBeGreaterThanOrEqual(2);
    expect(facts.some((f) => f.startsWith('suppressed') && f.endsWith('frequency_cap'))).toBe(true);
  });

  it('sums to the same result in pages of any size, and counts a page run twice once', async () => {
    const started = await admin().post('/v1/journeys/bt-cart/backtest').send({
      version: 1, from: new Date(from).toISOString(), to: new Date(to).toISOString(), withLiveJourneys: true,
    }).expect(202);
    const done = async (id: string) => eventually(async () => {
      const r = await admin().get(`/v1/journeys/bt-cart/backtests/${id}`).expect(200);
      return r.body.status === 'running' ? undefined : r.body;
    }, 60_000);
    const whole = (await done(started.body.id)).result;
    const original = (await s.db.models.backtests.findOne({ _id: started.body.id }))!;
    const comparable = (r: { paths: { customerId: string }[] }) => ({ ...r, paths: [...r.paths].sort((a, b) => (a.customerId < b.customerId ? -1 : 1)) });
    const copy = async (id: string) => backtestRepository(s.db.models).create(id, original.request, original.plan);

    // One customer a page: twelve pages, each its own activity, summed.
    await copy('bt00000000000000a1');
    await s.env.client.workflow.execute(backtestWorkflow, { workflowId: backtestWorkflowId('bt00000000000000a1'), taskQueue: s.config.temporal.taskQueue, args: [{ backtestId: 'bt00000000000000a1', pageSize: 1 }] });
    const paged = await done('bt00000000000000a1');
    expect(paged.status).toBe('completed');
    expect(comparable(paged.result)).toEqual(comparable(whole));

    // A page simulated again (its activity retried after a crash) is stored by its id: counted once.
    await copy('bt00000000000000a2');
    const pages = createBacktestActivities({ models: s.db.models, rules: s.config.lifecycleRules, policy: s.config.messagingPolicy });
    const [lane] = await pages.planBacktestLanes({ backtestId: 'bt00000000000000a2' });
    const first = { backtestId: 'bt00000000000000a2', pageSize: 5, ...lane!, page: 0, position: 0, taken: 0 };
    const once = await pages.runBacktestPage(first);
    expect(await pages.runBacktestPage(first)).toEqual({ ...once, readMs: expect.any(Number), simulateMs: expect.any(Number) });
    let at = { page: 1, position: once.position, taken: once.taken, cursor: once.cursor };
    for (let page = once; !page.done; at = { page: at.page + 1, position: page.position, taken: page.taken, cursor: page.cursor }) {
      page = await pages.runBacktestPage({ backtestId: 'bt00000000000000a2', pageSize: 5, ...lane!, ...at });
    }
    await pages.finishBacktest({ backtestId: 'bt00000000000000a2', status: 'completed' });
    expect(comparable((await done('bt00000000000000a2')).result)).toEqual(comparable(whole));

    // The customers a page counts without simulating (no trigger event in the range) are exactly
    // those the whole simulation takes into no enrollment of the journey.
    const simulate = (customerId: string, events: CustomerEvent[]) => simulateCustomer({
      customerId, events, catalog: original.plan.catalog, rules: s.config.lifecycleRules, policy: s.config.messagingPolicy, from, to, engagementRate: 0,
    });
    const skipped: string[] = [];
    for (const { _id } of await s.db.models.customers.find({ mergedInto: { $exists: false } }).toArray()) {
      const events = await customerEvents(s.db.models, _id, new Date(to));
      const entered = simulate(_id, events).progress.some((p) => p.journeyId === 'bt-cart');
      if (!mayEnter(original.plan.definition, events, { from, to, engagementRate: 0 })) { skipped.push(_id); expect(entered).toBe(false); }
    }
    expect(skipped.length).toBeGreaterThan(2);
    // Cancelling is tested on the dev server (test/integration/backtests.test.ts): the time-skipping
    // server refuses a cancelled activity's request (sdk-typescript#1058) and the run never ends.
  }, 120_000);

  it('answers one customer\'s path in a preview, and refuses bad requests naming the field', async () => {
    const customer = (await admin().get('/v1/customers?userId=bt-0').expect(200)).body.customerId as string;
    const preview = await admin().post('/v1/journeys/bt-welcome/preview').send({ customerId: customer, enteredAt: new Date(from + 1000).toISOString(), version: 1 }).expect(200);
    expect(preview.body.steps.map((x: { what: string }) => x.what)).toContain('entered');
    expect(preview.body.sends).toBeGreaterThan(0);
    const bad = async (body: Record<string, unknown>, field: string) => {
      const res = await admin().post('/v1/journeys/bt-welcome/backtest').send(body).expect(400);
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    };
    const at = (ms: number) => new Date(ms).toISOString();
    await bad({ version: 9, from: at(from), to: at(to) }, 'version');
    await bad({ from: at(to), to: at(from) }, 'to');
    await bad({ from: at(from), to: at(from + 367 * 86_400_000) }, 'to');
    await bad({ from: at(from), to: at(to), sample: { size: 2_000_000 } }, 'sample.size');
    expect(await s.db.models.backtests.countDocuments({ 'request.version': 9 })).toBe(0);
  });
});
