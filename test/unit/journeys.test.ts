// The journey engine and the send arbiter as pure functions: every rule provable without servers.
import { describe, expect, it } from 'vitest';
import { applyEvents } from '../../workflows/lifecycle/apply.js';
import { defaultLifecycleRules as rules } from '../../workflows/lifecycle/rules.js';
import { initialState, type CustomerState } from '../../workflows/lifecycle/state.js';
import type { CustomerEvent } from '../../workflows/lifecycle/event.js';
import { initialJourneys, journeysWakeAt, onMigration, withCatalog, type JourneyInput, type JourneyOutcome } from '../../workflows/journeys/engine.js';
import type { JourneysState } from '../../workflows/journeys/state.js';
import type { JourneyCatalog, JourneyDefinition, Step } from '../../workflows/journeys/types.js';
import { defaultMessagingPolicy, type MessagingPolicy } from '../../workflows/messaging/arbiter.js';

const H = 3_600_000;
const D = 24 * H;
// 2026-03-02 10:00 in Shanghai (UTC+8).
const t0 = Date.parse('2026-03-02T02:00:00Z');
const policy: MessagingPolicy = { ...defaultMessagingPolicy, quietHours: { start: '21:00', end: '08:00' } };

let n = 0;
const event = (name: string, properties: Record<string, unknown> = {}, at = t0): CustomerEvent =>
  ({ messageId: `e${++n}`, kind: 'track', name, properties, traits: {}, timestamp: new Date(at).toISOString() });

function journey(steps: Record<string, Step>, extra: Partial<JourneyDefinition> = {}): JourneyDefinition {
  return { id: 'j1', version: 1, name: 'J', trigger: { type: 'event', event: 'Followed' }, entry: Object.keys(steps)[0]!, steps, reentry: { mode: 'never' }, onPause: 'hold', ...extra };
}

/** A customer with the given journeys published, as the workflow would hold it. */
class Customer {
  state: CustomerState = initialState('c1');
  journeys: JourneysState = initialJourneys();
  sends: { at: number; template: string; key: string }[] = [];
  suppressed: { at: number; reason: string }[] = [];
  exits: string[] = [];
  catalog: JourneyCatalog = { revision: 0, journeys: [] };
  constructor(defs: JourneyDefinition[], public p: MessagingPolicy = policy, now = t0, status: 'active' | 'paused' = 'active') {
    this.changeCatalog({ revision: 1, journeys: defs.map((definition) => ({ definition, status })) }, now);
  }
  /** Journeys published, paused, resumed or archived: the customer matches the new catalog. */
  changeCatalog(catalog: JourneyCatalog, now: number): void {
    this.catalog = catalog;
    this.take(withCatalog(this.input(now), catalog, []), now);
  }
  input(now: number): JourneyInput { return { customer: this.state, journeys: this.journeys, policy: this.p, rules, now }; }
  take(out: JourneyOutcome, now: number): void {
    this.state = out.customer;
    this.journeys = out.journeys;
    for (const c of out.commands) {
      if (c.type === 'send') this.sends.push({ at: now, template: c.request.template, key: c.request.key });
      if (c.type === 'suppressed') this.suppressed.push({ at: now, reason: c.send.reason });
      if (c.type === 'progress' && c.record.type === 'exited') this.exits.push(c.record.reason!);
    }
  }
  send(e: CustomerEvent, now = Date.parse(e.timestamp)): this {
    const applied = applyEvents(this.state, [e], rules, now);
    this.state = applied.state;
    this.take(withCatalog(this.input(now), this.catalog, applied.applied, { stage: applied.stage?.to, tier: applied.tier?.to }), now);
    return this;
  }
  /** Lets time pass, firing every wake-up on the way, as the workflow's timers would. */
  until(end: number): this {
    for (let wake = journeysWakeAt(this.journeys); wake !== undefined && wake <= end; wake = journeysWakeAt(this.journeys)) {
      this.take(withCatalog(this.input(wake), this.catalog, []), wake);
    }
    return this;
  }
}

const welcome = journey({
  wait: { type: 'wait', duration: '1 day', next: 'invite' },
  invite: { type: 'send', channel: 'wechat', template: 'sample-invite', next: 'visit' },
  visit: { type: 'wait_for_event', event: 'Store Visited', timeout: '7 days', onEvent: 'thanks', onTimeout: 'remind' },
  thanks: { type: 'send', channel: 'wechat', template: 'thanks', next: 'done' },
  remind: { type: 'send', channel: 'sms', template: 'reminder', onlyIfEngagedWith: 'invite', next: 'done' },
  done: { type: 'exit' },
}, { goal: { event: 'Order Completed', where: [{ field: 'total', op: 'gte', value: 100 }] } });

describe('journey steps', () => {
  it('enters on the trigger event, waits, sends, and follows the event branch', () => {
    const c = new Customer([welcome]).send(event('Followed'));
    expect(c.sends).toEqual([]);
    c.until(t0 + D);
    expect(c.sends.map((s) => [s.template, s.at])).toEqual([['sample-invite', t0 + D]]);
    c.send(event('Store Visited', {}, t0 + 2 * D));
    expect(c.sends.map((s) => s.template)).toEqual(['sample-invite', 'thanks']);
    expect(c.exits).toEqual(['completed']);
  });

  it('only enters when the trigger\'s property filter holds', () => {
    const big = journey({ x: { type: 'exit' } }, { trigger: { type: 'event', event: 'Order Completed', where: [{ field: 'total', op: 'gte', value: 500 }] } });
    expect(new Customer([big]).send(event('Order Completed', { total: 499 })).journeys.history).toEqual({});
    expect(new Customer([big]).send(event('Order Completed', { total: 500 })).exits).toEqual(['completed']);
  });

  it('ends the journey the moment the goal happens, even in the middle of a long wait', () => {
    const c = new Customer([welcome]).send(event('Followed'));
    c.send(event('Order Completed', { total: 50 }, t0 + H));
    expect(c.journeys.enrollments).toHaveLength(1);
    c.send(event('Order Completed', { total: 150 }, t0 + 2 * H));
    expect(c.exits).toEqual(['goal']);
    c.until(t0 + 30 * D);
    expect(c.sends).toEqual([]);
  });

  it('no reaction, no reminder: the follow-up goes only to customers who opened or clicked', () => {
    const ignored = new Customer([welcome]).send(event('Followed')).until(t0 + 9 * D);
    expect(ignored.sends.map((s) => s.template)).toEqual(['sample-invite']);
    expect(ignored.suppressed.map((s) => s.reason)).toEqual(['no_reaction']);
    expect(ignored.exits).toEqual(['no_reaction']);

    const engaged = new Customer([welcome]).send(event('Followed')).until(t0 + D);
    engaged.send(event('Message Opened', { messageId: engaged.sends[0]!.key }, t0 + 2 * D)).until(t0 + 9 * D);
    expect(engaged.sends.map((s) => s.template)).toEqual(['sample-invite', 'reminder']);
  });

  it('splits customers stickily and sends the holdout group nothing', () => {
    const split = journey({
      s: { type: 'split', holdout: 10, variants: [{ name: 'A', weight: 45, next: 'a' }, { name: 'B', weight: 45, next: 'b' }] },
      a: { type: 'send', channel: 'sms', template: 'A', priority: 'transactional', next: 'x' },
      b: { type: 'send', channel: 'sms', template: 'B', priority: 'transactional', next: 'x' },
      x: { type: 'exit' },
    }, { reentry: { mode: 'always' } });
    const arms = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const c = new Customer([split]);
      c.state.customerId = `c-${i}`;
      c.send(event('Followed'));
      const arm = c.sends[0]?.template ?? 'holdout';
      arms.set(arm, (arms.get(arm) ?? 0) + 1);
      c.send(event('Followed', {}, t0 + H));
      expect(c.sends.map((s) => s.template)).toEqual(arm === 'holdout' ? [] : [arm, arm]);
    }
    expect(arms.get('holdout')).toBeGreaterThan(15);
    expect(arms.get('holdout')).toBeLessThan(70);
    expect(arms.get('A')).toBeGreaterThan(140);
    expect(arms.get('B')).toBeGreaterThan(140);
  });

  it('updates the profile and branches on it', () => {
    const j = journey({
      tag: { type: 'update_profile', addTags: ['sampled'], points: 50, next: 'branch' },
      branch: { type: 'branch', branches: [{ when: [{ field: 'tags', op: 'contains', value: 'sampled' }, { field: 'points', op: 'gte', value: 50 }], next: 'yes' }], otherwise: 'no' },
      yes: { type: 'send', channel: 'sms', template: 'yes', priority: 'transactional', next: 'x' },
      no: { type: 'send', channel: 'sms', template: 'no', priority: 'transactional', next: 'x' },
      x: { type: 'exit' },
    });
    const c = new Customer([j]).send(event('Followed'));
    expect(c.state).toMatchObject({ tags: ['sampled'], points: 50 });
    expect(c.sends.map((s) => s.template)).toEqual(['yes']);
  });
});

describe('entry rules', () => {
  const once = (mode: JourneyDefinition['reentry']) => journey({ x: { type: 'exit' } }, { reentry: mode });
  it('never lets a customer in twice when re-entry is never, and waits out a cooldown', () => {
    const never = new Customer([once({ mode: 'never' })]).send(event('Followed')).send(event('Followed', {}, t0 + 90 * D));
    expect(never.journeys.history.j1!.entries).toBe(1);
    const cool = new Customer([once({ mode: 'cooldown', cooldown: '30 days' })]).send(event('Followed')).send(event('Followed', {}, t0 + 29 * D)).send(event('Followed', {}, t0 + 31 * D));
    expect(cool.journeys.history.j1!.entries).toBe(2);
  });

  it('caps the journeys a customer is in at once', () => {
    const defs = ['a', 'b', 'c', 'd'].map((id) => ({ ...journey({ w: { type: 'wait', duration: '3 days', next: 'x' }, x: { type: 'exit' } }), id }));
    const c = new Customer(defs, { ...policy, maxConcurrentJourneys: 2 }).send(event('Followed'));
    expect(c.journeys.enrollments.map((e) => e.journeyId)).toEqual(['a', 'b']);
  });

  it('enters on a stage change and on the customer\'s birthday, in their time zone', () => {
    const vip = journey({ x: { type: 'exit' } }, { id: 'vip', trigger: { type: 'stage', to: 'customer' } });
    expect(new Customer([vip]).send(event('Order Completed', { total: 1 })).exits).toEqual(['completed']);

    const birthday = journey({ gift: { type: 'send', channel: 'sms', template: 'birthday', next: 'x' }, x: { type: 'exit' } }, { id: 'bday', trigger: { type: 'date_attribute', trait: 'birthday', time: '10:00' }, reentry: { mode: 'always' } });
    const c = new Customer([birthday]);
    c.send({ ...event('x'), kind: 'identify', name: undefined, traits: { birthday: '1990-03-05', timezone: 'America/New_York' } });
    c.until(Date.parse('2026-03-05T14:59:00Z'));
    expect(c.sends).toEqual([]);
    c.until(Date.parse('2026-03-05T15:00:00Z'));
    expect(c.sends.map((s) => [s.template, new Date(s.at).toISOString()])).toEqual([['birthday', '2026-03-05T15:00:00.000Z']]);
    c.until(Date.parse('2027-03-06T00:00:00Z'));
    expect(c.sends.map((s) => new Date(s.at).toISOString())).toEqual(['2026-03-05T15:00:00.000Z', '2027-03-05T15:00:00.000Z']);
  });

  it('wins back a buyer after N days without an order, once per last order', () => {
    const winback = journey({ coupon: { type: 'send', channel: 'sms', template: 'welcome-back', next: 'x' }, x: { type: 'exit' } }, { id: 'wb', trigger: { type: 'inactivity', days: 90 }, reentry: { mode: 'always' } });
    const c = new Customer([winback]).send(event('Order Completed', { total: 10 }));
    c.until(t0 + 89 * D);
    expect(c.sends).toEqual([]);
    c.until(t0 + 200 * D);
    expect(c.sends.map((s) => s.at)).toEqual([t0 + 90 * D]);
  });
});

describe('the send arbiter', () => {
  const drip = journey({
    a: { type: 'send', channel: 'sms', template: 'a', next: 'w1' }, w1: { type: 'wait', duration: '1 hour', next: 'b' },
    b: { type: 'send', channel: 'email', template: 'b', next: 'w2' }, w2: { type: 'wait', duration: '1 hour', next: 'c' },
    c: { type: 'send', channel: 'wechat', template: 'c', next: 'x' }, x: { type: 'exit' },
  });

  it('holds marketing messages to the daily cap across channels and records the suppression', () => {
    const c = new Customer([drip]).send(event('Followed')).until(t0 + D);
    expect(c.sends.map((s) => s.template)).toEqual(['a', 'b']);
    expect(c.suppressed).toEqual([{ at: t0 + 2 * H, reason: 'frequency_cap' }]);
    const uncapped = new Customer([drip], { ...policy, caps: [] }).send(event('Followed')).until(t0 + D);
    expect(uncapped.sends).toHaveLength(3);
  });

  it('never messages a customer on a channel they opted out of', () => {
    const c = new Customer([drip], { ...policy, caps: [] }).send(event('Unsubscribed', { channel: 'email' })).send(event('Followed')).until(t0 + D);
    expect(c.sends.map((s) => s.template)).toEqual(['a', 'c']);
    expect(c.suppressed.map((s) => s.reason)).toEqual(['no_consent']);
  });

  it('defers a message in quiet hours to their end, local time, and drops it if it would expire', () => {
    const late = Date.parse('2026-03-02T14:30:00Z'); // 22:30 in Shanghai
    const j = journey({ a: { type: 'send', channel: 'sms', template: 'a', next: 'x' }, x: { type: 'exit' } });
    const c = new Customer([j], policy, late).send(event('Followed', {}, late));
    expect(c.sends).toEqual([]);
    c.until(late + D);
    expect(c.sends.map((s) => new Date(s.at).toISOString())).toEqual(['2026-03-03T00:00:00.000Z']); // 08:00 Shanghai

    const expiring = journey({ a: { type: 'send', channel: 'sms', template: 'a', expiresAfter: '2 hours', next: 'x' }, x: { type: 'exit' } });
    const d = new Customer([expiring], policy, late).send(event('Followed', {}, late)).until(late + D);
    expect(d.sends).toEqual([]);
    expect(d.suppressed.map((s) => s.reason)).toEqual(['quiet_hours_expired']);
  });

  it('lets transactional messages through caps and quiet hours', () => {
    const late = Date.parse('2026-03-02T14:30:00Z');
    const j = journey({ a: { type: 'send', channel: 'sms', template: 'receipt', priority: 'transactional', next: 'x' }, x: { type: 'exit' } });
    expect(new Customer([j], { ...policy, caps: [{ window: '1 day', max: 0 }] }, late).send(event('Followed', {}, late)).sends).toHaveLength(1);
  });
});

describe('versions, pause and migration', () => {
  const v1 = journey({ wait: { type: 'wait', duration: '30 days', next: 'old' }, old: { type: 'send', channel: 'sms', template: 'old', next: 'x' }, x: { type: 'exit' } });
  const v2 = { ...journey({ wait2: { type: 'wait', duration: '30 days', next: 'new' }, new: { type: 'send', channel: 'sms', template: 'new', next: 'x' }, x: { type: 'exit' } }), version: 2 };

  it('keeps customers mid-wait on the version they entered with when a new one is published', () => {
    const c = new Customer([v1]).send(event('Followed'));
    c.changeCatalog({ revision: 2, journeys: [{ definition: v2, status: 'active' }] }, t0 + D);
    c.until(t0 + 31 * D);
    expect(c.sends.map((s) => s.template)).toEqual(['old']);
  });

  it('moves customers to the new version at the mapped step, keeping the wait\'s deadline', () => {
    const c = new Customer([v1]).send(event('Followed'));
    c.take(onMigration(c.input(t0 + D), { journeyId: 'j1', fromVersion: 1, to: v2, steps: { wait: 'wait2' } }), t0 + D);
    expect(c.journeys.enrollments[0]).toMatchObject({ version: 2, stepId: 'wait2', wakeAt: t0 + 30 * D });
    c.until(t0 + 31 * D);
    expect(c.sends.map((s) => [s.template, s.at])).toEqual([['new', t0 + 30 * D]]);
  });

  it('holds customers in place while paused (hold) and lets them out (exit)', () => {
    const hold = new Customer([v1]).send(event('Followed'));
    hold.changeCatalog({ revision: 2, journeys: [{ definition: v1, status: 'paused' }] }, t0 + D);
    hold.until(t0 + 60 * D);
    expect(hold.sends).toEqual([]);
    hold.send(event('Followed', {}, t0 + 61 * D));
    expect(hold.journeys.enrollments).toHaveLength(1);
    hold.changeCatalog({ revision: 3, journeys: [{ definition: v1, status: 'active' }] }, t0 + 62 * D);
    expect(hold.sends.map((s) => s.template)).toEqual(['old']);

    const leave = new Customer([{ ...v1, onPause: 'exit' }]).send(event('Followed'));
    leave.changeCatalog({ revision: 2, journeys: [{ definition: { ...v1, onPause: 'exit' }, status: 'paused' }] }, t0 + D);
    expect(leave.exits).toEqual(['paused']);
  });
});

describe('segment triggers', () => {
  const vipSearchers = { id: 'vip-searchers', name: 'VIPs who searched this week', rule: { type: 'and' as const, rules: [
    { type: 'profile' as const, field: 'tags', op: 'contains' as const, value: 'vip' },
    { type: 'behaviour' as const, event: 'Product Searched', within: '7 days', count: { gte: 1 } },
  ] } };
  const onEntry = journey({ offer: { type: 'send', channel: 'sms', template: 'offer', priority: 'transactional', next: 'x' }, x: { type: 'exit' } },
    { id: 'vip-offer', trigger: { type: 'segment', segment: 'vip-searchers' }, reentry: { mode: 'always' } });

  function customerWithSegment(tags: string[] = []): Customer {
    const c = new Customer([]);
    c.state.tags = tags;
    c.changeCatalog({ revision: 2, journeys: [{ definition: onEntry, status: 'active' }], segments: [vipSearchers] }, t0);
    return c;
  }

  it('enters when the customer joins the segment, not while they stay in it, and again after leaving and rejoining', () => {
    const c = customerWithSegment(['vip']);
    c.send(event('Page Viewed', {}, t0 + H));
    expect(c.sends).toEqual([]);
    c.send(event('Product Searched', {}, t0 + 2 * H));
    expect(c.sends.map((s) => s.template)).toEqual(['offer']);
    c.send(event('Product Searched', {}, t0 + 3 * H));
    expect(c.sends).toHaveLength(1);
    // Eight days without a search: out of the segment; a new search brings them back in.
    c.send(event('Page Viewed', {}, t0 + 9 * D));
    expect(c.journeys.membership).toEqual({ 'vip-searchers': false });
    c.send(event('Product Searched', {}, t0 + 10 * D));
    expect(c.sends).toHaveLength(2);
  });

  it('does not enter customers who were already in the segment when the journey was published', () => {
    const vips = { id: 'vips', name: 'VIPs', rule: { type: 'profile' as const, field: 'tags', op: 'contains' as const, value: 'vip' } };
    const welcome = { ...onEntry, id: 'vip-welcome', trigger: { type: 'segment' as const, segment: 'vips' } };
    const already = new Customer([]);
    already.state.tags = ['vip'];
    already.changeCatalog({ revision: 2, journeys: [{ definition: welcome, status: 'active' }], segments: [vips] }, t0);
    already.send(event('Page Viewed', {}, t0 + H));
    expect(already.sends).toEqual([]);
    expect(already.journeys.membership).toEqual({ vips: true });

    const later = new Customer([]);
    later.changeCatalog({ revision: 2, journeys: [{ definition: welcome, status: 'active' }], segments: [vips] }, t0);
    later.send({ ...event('x', {}, t0 + H), kind: 'identify', name: undefined, traits: { tags: ['vip'] } });
    expect(later.sends.map((s) => s.template)).toEqual(['offer']);
  });
});
