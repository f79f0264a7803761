// Conversion windows: the goal reached within `goal.within` of entering is the journey's conversion,
// inside the journey or after the customer left; a customer who left keeps one bounded watch.
import { describe, expect, it } from 'vitest';
import { applyEvents } from '../../workflows/lifecycle/apply.js';
import { defaultLifecycleRules as rules } from '../../workflows/lifecycle/rules.js';
import { initialState, type CustomerState } from '../../workflows/lifecycle/state.js';
import type { CustomerEvent } from '../../workflows/lifecycle/event.js';
import { enter, foldJourneys, initialJourneys, onMigration, withCatalog, type JourneyInput, type JourneyOutcome } from '../../workflows/journeys/engine.js';
import type { JourneysState } from '../../workflows/journeys/state.js';
import type { JourneyProgress } from '../../workflows/journeys/step-context.js';
import type { JourneyCatalog, JourneyDefinition } from '../../workflows/journeys/types.js';
import { maxConversionWatches } from '../../workflows/journeys/windows.js';
import { defaultMessagingPolicy } from '../../workflows/messaging/arbiter.js';

const D = 86_400_000;
const t0 = Date.parse('2026-03-02T02:00:00Z');
let n = 0;
const event = (name: string, at: number, properties: Record<string, unknown> = {}): CustomerEvent =>
  ({ messageId: `w${++n}`, kind: 'track', name, properties, traits: {}, timestamp: new Date(at).toISOString() });

const purchase = { event: 'Order Completed', where: [{ field: 'total', op: 'gte' as const, value: 100 }] };

/** Tags the customer, waits a day, ends; `Unsubscribed` ends it early. */
function journey(id = 'welcome', goal: JourneyDefinition['goal'] | null = { ...purchase, within: '7 days' }, extra: Partial<JourneyDefinition> = {}): JourneyDefinition {
  return {
    id, version: 1, name: id, trigger: { type: 'event', event: 'Followed' }, entry: 'tag',
    steps: { tag: { type: 'update_profile', addTags: ['welcomed'], next: 'day' }, day: { type: 'wait', duration: '1 day', next: 'done' }, done: { type: 'exit' } },
    ...(goal && { goal }), exitOn: [{ event: 'Unsubscribed' }], reentry: { mode: 'always' }, onPause: 'hold', ...extra,
  };
}

/** A customer's journeys as the workflow holds them, with the patch answering `patch` and counting how often it was asked. */
class Customer {
  state: CustomerState = initialState('c1');
  journeys: JourneysState = initialJourneys();
  progress: JourneyProgress[] = [];
  asked = 0;
  catalog: JourneyCatalog;
  constructor(defs: JourneyDefinition[], private readonly patch = true) {
    this.catalog = { revision: 1, journeys: defs.map((definition) => ({ definition, status: 'active' as const })) };
    this.journeys = withCatalog(this.input(t0), this.catalog, []).journeys;
  }
  input(now: number): JourneyInput {
    return { customer: this.state, journeys: this.journeys, policy: defaultMessagingPolicy, rules, now, conversionWindows: () => { this.asked += 1; return this.patch; } };
  }
  private adopt(out: JourneyOutcome): JourneyProgress[] {
    this.state = out.customer;
    this.journeys = out.journeys;
    const records = out.commands.flatMap((c) => (c.type === 'progress' ? [c.record] : []));
    this.progress.push(...records);
    return records;
  }
  send(e: CustomerEvent): JourneyProgress[] {
    const now = Date.parse(e.timestamp);
    const applied = applyEvents(this.state, [e], rules, now);
    return this.adopt(withCatalog({ ...this.input(now), customer: applied.state }, this.catalog, applied.applied));
  }
  /** Time passes: waits end. */
  wake(now: number): JourneyProgress[] { return this.adopt(enter(this.input(now))); }
}
const of = (records: JourneyProgress[], type: JourneyProgress['type']) => records.filter((r) => r.type === type);

describe('conversion windows', () => {
  it('counts a goal reached inside the journey within the window as "exited on goal" and as converted', () => {
    const c = new Customer([journey()]);
    c.send(event('Followed', t0));
    const records = c.send(event('Order Completed', t0 + 3 * 3_600_000, { total: 120 }));
    expect(of(records, 'exited')).toEqual([expect.objectContaining({ reason: 'goal' })]);
    expect(of(records, 'converted')).toEqual([expect.objectContaining({ journeyId: 'welcome', enrollmentId: 'welcome@1#1', at: t0 + 3 * 3_600_000 })]);
    expect(c.journeys).not.toHaveProperty('windows');
  });

  it('counts a goal exit after the window as "exited on goal" only', () => {
    const c = new Customer([journey('long', { ...purchase, within: '1 hour' })]);
    c.send(event('Followed', t0));
    const records = c.send(event('Order Completed', t0 + 2 * 3_600_000, { total: 120 }));
    expect(of(records, 'exited')).toEqual([expect.objectContaining({ reason: 'goal' })]);
    expect(of(records, 'converted')).toEqual([]);
  });

  it('watches a customer who left at the end of the steps, and counts the goal within the window once', () => {
    const c = new Customer([journey()]);
    c.send(event('Followed', t0));
    expect(of(c.wake(t0 + D), 'exited')).toEqual([expect.objectContaining({ reason: 'completed' })]);
    expect(c.journeys.windows).toEqual([{ enrollmentId: 'welcome@1#1', journeyId: 'welcome', version: 1, steps: 2, goal: purchase, until: t0 + 7 * D }]);
    // Not the goal: a smaller order, another event.
    expect(of(c.send(event('Order Completed', t0 + 2 * D, { total: 50 })), 'converted')).toEqual([]);
    expect(of(c.send(event('Page Viewed', t0 + 2 * D)), 'converted')).toEqual([]);
    expect(of(c.send(event('Order Completed', t0 + 3 * D, { total: 150 })), 'converted')).toEqual([
      { enrollmentId: 'welcome@1#1', journeyId: 'welcome', version: 1, type: 'converted', steps: 2, at: t0 + 3 * D },
    ]);
    expect(c.journeys).not.toHaveProperty('windows');
    expect(of(c.send(event('Order Completed', t0 + 4 * D, { total: 150 })), 'converted')).toEqual([]);
  });

  it('watches a customer who left on exit criteria, and forgets them when the window closes', () => {
    const c = new Customer([journey()]);
    c.send(event('Followed', t0));
    expect(of(c.send(event('Unsubscribed', t0 + 3_600_000)), 'exited')).toEqual([expect.objectContaining({ reason: 'exit_criteria' })]);
    expect(c.journeys.windows).toHaveLength(1);
    expect(of(c.send(event('Order Completed', t0 + 7 * D + 1, { total: 150 })), 'converted')).toEqual([]);
    expect(c.journeys).not.toHaveProperty('windows');
  });

  it('keeps the A/B arm on the watch, and runs a holdout\'s window from entering as the arms\' does', () => {
    const split = (holdout: number): JourneyDefinition => journey('ab', { ...purchase, within: '7 days' }, {
      entry: 'day',
      steps: {
        day: { type: 'wait', duration: '1 day', next: 's' },
        s: { type: 'split', holdout, variants: [{ name: 'A', weight: 100 - holdout, next: 'done' }] },
        done: { type: 'exit' },
      },
    });
    const arm = new Customer([split(0)]);
    arm.send(event('Followed', t0));
    arm.wake(t0 + D);
    expect(arm.journeys.windows).toEqual([expect.objectContaining({ variant: 'A', until: t0 + 7 * D })]);
    expect(of(arm.send(event('Order Completed', t0 + 2 * D, { total: 100 })), 'converted')).toEqual([expect.objectContaining({ variant: 'A' })]);

    const held = new Customer([split(100)]);
    held.send(event('Followed', t0));
    held.wake(t0 + D);
    expect(held.journeys.holdouts).toEqual([expect.objectContaining({ until: t0 + 7 * D })]);
    expect(held.journeys).not.toHaveProperty('windows');
  });

  it('watches the goal a customer entered for when a migration moves them to a version with another goal', () => {
    const v1 = journey();
    const c = new Customer([v1]);
    c.send(event('Followed', t0));
    const v2: JourneyDefinition = { ...v1, version: 2, goal: { event: 'Subscribed' } };
    const out = onMigration(c.input(t0 + 3_600_000), { journeyId: 'welcome', fromVersion: 1, to: v2, steps: { day: 'day' } });
    expect(out.journeys.enrollments).toEqual([expect.objectContaining({ version: 2, stepId: 'day', enteredAt: t0 })]);
    expect(out.journeys.windows).toEqual([expect.objectContaining({ enrollmentId: 'welcome@1#1', version: 1, goal: purchase, until: t0 + 7 * D })]);

    // The same goal on the new version: nothing to watch, the enrollment itself still counts.
    const same = onMigration(c.input(t0 + 3_600_000), { journeyId: 'welcome', fromVersion: 1, to: { ...v1, version: 2 }, steps: { day: 'day' } });
    expect(same.journeys).not.toHaveProperty('windows');
  });

  it('keeps one watch per journey (a later enrollment\'s replaces it) and at most a bounded number', () => {
    const c = new Customer([journey()]);
    c.send(event('Followed', t0));
    c.wake(t0 + D);
    c.send(event('Followed', t0 + 2 * D));
    c.wake(t0 + 3 * D);
    expect(c.journeys.windows).toEqual([expect.objectContaining({ enrollmentId: 'welcome@1#2', until: t0 + 9 * D })]);

    const many = Array.from({ length: maxConversionWatches + 5 }, (_, i) => journey(`j${i}`));
    const busy = new Customer(many);
    busy.journeys.enrollments = [];
    for (const [i, def] of many.entries()) {
      busy.journeys.pinned[`${def.id}@1`] = def;
      busy.journeys.enrollments.push({ id: `${def.id}@1#${i}`, journeyId: def.id, version: 1, stepId: 'done', steps: 2, enteredAt: t0, stepSince: t0, context: {}, sent: {} });
    }
    busy.wake(t0 + D);
    expect(busy.journeys.windows).toHaveLength(maxConversionWatches);
    expect(busy.journeys.windows!.at(-1)!.journeyId).toBe(`j${many.length - 1}`);
  });

  it('carries a merged-away customer\'s watches to the survivor under fresh enrollment ids', () => {
    const away = new Customer([journey()]);
    away.send(event('Followed', t0));
    away.wake(t0 + D);
    const survivor = new Customer([journey('other')]);
    survivor.send(event('Followed', t0));
    survivor.wake(t0 + D);
    const folded = foldJourneys(survivor.journeys, away.journeys);
    expect(folded.windows!.map((w) => [w.journeyId, w.enrollmentId])).toEqual([['other', 'other@1#1'], ['welcome', `welcome@1#${folded.seq}`]]);
  });

  it('changes nothing without the patch, and asks for it only where windows change what happens', () => {
    const before = new Customer([journey()], false);
    before.send(event('Followed', t0));
    before.send(event('Page Viewed', t0 + 1000));
    expect(before.asked).toBe(0);
    before.wake(t0 + D);
    expect(before.asked).toBe(1);
    expect(before.journeys).not.toHaveProperty('windows');
    expect(of(before.send(event('Order Completed', t0 + 2 * D, { total: 150 })), 'converted')).toEqual([]);

    const noGoal = new Customer([journey('plain', null)]);
    noGoal.send(event('Followed', t0));
    noGoal.wake(t0 + D);
    noGoal.send(event('Order Completed', t0 + 2 * D, { total: 150 }));
    expect(noGoal.asked).toBe(0);
    expect(noGoal.journeys).not.toHaveProperty('windows');
  });
});
