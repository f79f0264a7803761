// The holdout's conversions: a customer a split holds out is watched for the journey's goal, and
// doing it within the window is recorded as a progress record, so reports never scan raw events.
import { describe, expect, it } from 'vitest';
import { applyEvents } from '../../workflows/lifecycle/apply.js';
import { defaultLifecycleRules as rules } from '../../workflows/lifecycle/rules.js';
import { initialState, type CustomerState } from '../../workflows/lifecycle/state.js';
import type { CustomerEvent } from '../../workflows/lifecycle/event.js';
import { foldJourneys, initialJourneys, withCatalog, type JourneyInput } from '../../workflows/journeys/engine.js';
import type { JourneysState } from '../../workflows/journeys/state.js';
import type { JourneyProgress } from '../../workflows/journeys/step-context.js';
import type { JourneyCatalog, JourneyDefinition } from '../../workflows/journeys/types.js';
import { defaultMessagingPolicy } from '../../workflows/messaging/arbiter.js';

const D = 86_400_000;
const t0 = Date.parse('2026-03-02T02:00:00Z');

let n = 0;
const event = (name: string, properties: Record<string, unknown> = {}, at = t0): CustomerEvent =>
  ({ messageId: `h${++n}`, kind: 'track', name, properties, traits: {}, timestamp: new Date(at).toISOString() });

/** Everyone is held out (holdout 100) unless `holdout` says otherwise. */
function splitJourney(goal: JourneyDefinition['goal'], holdout = 100): JourneyDefinition {
  return {
    id: 'promo', version: 1, name: 'Promo', trigger: { type: 'event', event: 'Followed' }, entry: 's',
    steps: {
      s: { type: 'split', holdout, variants: [{ name: 'A', weight: 100 - holdout, next: 'a' }] },
      a: { type: 'wait', duration: '60 days', next: 'x' },
      x: { type: 'exit' },
    },
    ...(goal && { goal }), reentry: { mode: 'never' }, onPause: 'hold',
  };
}
const purchase = { event: 'Order Completed', where: [{ field: 'total', op: 'gte' as const, value: 100 }] };

/** A customer's journeys as the workflow holds them, and the progress records each step produced. */
class Customer {
  state: CustomerState = initialState('c1');
  journeys: JourneysState = initialJourneys();
  progress: JourneyProgress[] = [];
  catalog: JourneyCatalog;
  constructor(def: JourneyDefinition) {
    this.catalog = { revision: 1, journeys: [{ definition: def, status: 'active' }] };
    this.journeys = withCatalog(this.input(t0), this.catalog, []).journeys;
  }
  input(now: number): JourneyInput { return { customer: this.state, journeys: this.journeys, policy: defaultMessagingPolicy, rules, now }; }
  send(e: CustomerEvent): JourneyProgress[] {
    const now = Date.parse(e.timestamp);
    const applied = applyEvents(this.state, [e], rules, now);
    const out = withCatalog({ ...this.input(now), customer: applied.state }, this.catalog, applied.applied);
    this.state = out.customer;
    this.journeys = out.journeys;
    const records = out.commands.flatMap((c) => (c.type === 'progress' ? [c.record] : []));
    this.progress.push(...records);
    return records;
  }
}

const converted = (records: JourneyProgress[]) => records.filter((r) => r.type === 'converted');

describe('holdout conversions', () => {
  it('records one conversion when a held-out customer does the goal within the window', () => {
    const c = new Customer(splitJourney({ ...purchase, within: '14 days' }));
    c.send(event('Followed'));
    const heldOut = c.progress.find((r) => r.type === 'exited')!;
    expect(heldOut).toMatchObject({ reason: 'holdout', variant: 'holdout' });
    expect(c.journeys.holdouts).toEqual([{ enrollmentId: heldOut.enrollmentId, journeyId: 'promo', version: 1, steps: heldOut.steps, goal: purchase, until: t0 + 14 * D }]);

    expect(converted(c.send(event('Order Completed', { total: 150 }, t0 + 3 * D)))).toEqual([
      { enrollmentId: heldOut.enrollmentId, journeyId: 'promo', version: 1, type: 'converted', steps: heldOut.steps, variant: 'holdout', at: t0 + 3 * D },
    ]);
    expect(c.journeys).not.toHaveProperty('holdouts');
    expect(converted(c.send(event('Order Completed', { total: 150 }, t0 + 4 * D)))).toEqual([]);
  });

  it('counts nothing after the window and forgets the watch', () => {
    const c = new Customer(splitJourney(purchase));
    c.send(event('Followed'));
    expect(c.journeys.holdouts?.[0]?.until).toBe(t0 + 30 * D);
    expect(converted(c.send(event('Order Completed', { total: 150 }, t0 + 31 * D)))).toEqual([]);
    expect(c.journeys).not.toHaveProperty('holdouts');
  });

  it('counts only goal events whose properties meet the goal\'s conditions', () => {
    const c = new Customer(splitJourney(purchase));
    c.send(event('Followed'));
    expect(converted(c.send(event('Order Completed', { total: 99 }, t0 + D)))).toEqual([]);
    expect(converted(c.send(event('Page Viewed', { total: 150 }, t0 + D)))).toEqual([]);
    expect(c.journeys.holdouts).toHaveLength(1);
    expect(converted(c.send(event('Order Completed', { total: 100 }, t0 + 2 * D)))).toHaveLength(1);
  });

  it('watches no one who was not held out, nor anyone in a journey without a goal', () => {
    const inArm = new Customer(splitJourney(purchase, 0));
    inArm.send(event('Followed'));
    expect(inArm.journeys.enrollments[0]).toMatchObject({ variant: 'A' });
    expect(inArm.journeys).not.toHaveProperty('holdouts');

    const noGoal = new Customer(splitJourney(undefined));
    noGoal.send(event('Followed'));
    expect(noGoal.journeys).not.toHaveProperty('holdouts');
  });

  it('carries a merged-away customer\'s watch to the survivor under a fresh enrollment id', () => {
    const away = new Customer(splitJourney(purchase));
    away.send(event('Followed'));
    const survivor = new Customer(splitJourney(purchase));
    survivor.send(event('Followed'));
    const folded = foldJourneys(survivor.journeys, away.journeys);
    const ids = folded.holdouts!.map((w) => w.enrollmentId);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    expect(ids[1]).toBe(`promo@1#${folded.seq}`);
    expect(folded.holdouts![1]).toMatchObject({ journeyId: 'promo', goal: purchase, until: t0 + 30 * D });
  });
});
