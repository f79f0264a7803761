// One customer's recorded events, replayed through a journey with simulated time: the same pure
// functions the customer workflow calls (lifecycle/apply, journeys/engine and match, the arbiter
// inside the steps), in the order workflows/customer.ts calls them. Nothing here decides what a
// journey does; it only stands in for the workflow's clock, its catalog look-up and its sends
// (every send the arbiter lets through is taken as sent).
import { applyEvents, nextWakeAt, num, tick, withTouch, type Outcome } from '../../workflows/lifecycle/apply.js';
import type { CustomerEvent } from '../../workflows/lifecycle/event.js';
import type { LifecycleRules } from '../../workflows/lifecycle/rules.js';
import { initialState, type CustomerState } from '../../workflows/lifecycle/state.js';
import { customerTimeZone, enter, journeysWakeAt, react, triggerDue, type JourneyInput, type JourneyOutcome } from '../../workflows/journeys/engine.js';
import { matchCatalog, matchRequest, type MatchResult } from '../../workflows/journeys/match.js';
import { initialJourneys, pinKey, type JourneysState } from '../../workflows/journeys/state.js';
import type { JourneyCommand, JourneyProgress } from '../../workflows/journeys/step-context.js';
import type { JourneyCatalog, JourneyDefinition } from '../../workflows/journeys/types.js';
import type { MessagingPolicy } from '../../workflows/messaging/arbiter.js';
import type { SendRequest, SuppressedSend } from '../../workflows/messaging/types.js';

export interface SimulationInput {
  customerId: string;
  /** The customer's recorded events up to `to`, oldest first. */
  events: CustomerEvent[];
  /** The journeys live in the simulation: the one tested, and with `withLiveJourneys` the published ones. */
  catalog: JourneyCatalog;
  rules: LifecycleRules;
  policy: MessagingPolicy;
  from: number;
  to: number;
  /** Share of simulated sends taken as opened an hour after sending (unknown for messages never sent). */
  engagementRate: number;
  /** Preview: the customer enters this journey at `from`, whatever its trigger says. */
  forceEntry?: JourneyDefinition;
}

/** One thing that happened to the customer in a journey, at its simulated time, and why. */
export interface PathStep {
  at: number;
  journeyId: string;
  what: 'entered' | 'step' | 'sent' | 'suppressed' | 'deferred' | 'exited' | 'converted';
  stepId?: string;
  /** Why: the variant a split chose, the suppression or exit reason, how long quiet hours held a send. */
  detail?: string;
  template?: string;
  channel?: string;
}

export interface Simulation {
  customerId: string;
  progress: JourneyProgress[];
  sent: (SendRequest & { at: number })[];
  suppressed: (SuppressedSend & { at: number })[];
  deferrals: { at: number; until: number; journeyId: string; stepId: string }[];
  /** Goal conversions (an arm's goal exit, or a held-out customer's goal), with the revenue of the goal event. */
  conversions: { journeyId: string; enrollmentId: string; variant?: string; revenue: number; at: number }[];
  path: PathStep[];
}

/** Events with one timestamp arrive together, as one request's events reach a workflow in one signal. */
function batches(events: CustomerEvent[]): { at: number; events: CustomerEvent[] }[] {
  const out: { at: number; events: CustomerEvent[] }[] = [];
  for (const e of events) {
    const at = Date.parse(e.timestamp);
    const last = out[out.length - 1];
    if (last && last.at === at) last.events.push(e); else out.push({ at, events: [e] });
  }
  return out;
}

/** A stable number in [0, 1) for a key: the same send is engaged in every run. */
function unit(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) { h ^= key.charCodeAt(i); h = Math.imul(h, 0x01000193); }
  return (h >>> 0) / 2 ** 32;
}

const maxPasses = 20_000;

/** The synthetic event an assumed engagement adds (`engage` below). */
const openedEvent = 'Message Opened';

/**
 * Whether these events (oldest first, up to `to`) can take the customer into the tested journey at
 * all: a journey that triggers on an event enters only on an applied event of that name in
 * `[from, to)` (journeys/triggers.ts `enrollOnEvent`), and no step emits events (an assumed open is
 * the one event the simulation adds). A page counts the others without simulating them.
 */
export function mayEnter(definition: JourneyDefinition, events: CustomerEvent[], range: { from: number; to: number; engagementRate: number }): boolean {
  const t = definition.trigger;
  if (t.type !== 'event' || (t.event === openedEvent && range.engagementRate > 0)) return true;
  const from = new Date(range.from).toISOString();
  const to = new Date(range.to).toISOString();
  return events.some((e) => e.name === t.event && e.timestamp >= from && e.timestamp < to);
}

export function simulateCustomer(input: SimulationInput): Simulation {
  const { rules, policy, catalog, from, to } = input;
  const sim: Simulation = { customerId: input.customerId, progress: [], sent: [], suppressed: [], deferrals: [], conversions: [], path: [] };
  let state: CustomerState = initialState(input.customerId);
  let journeys: JourneysState = initialJourneys();
  const recorded = batches(input.events);
  // Before `from` only the lifecycle runs, in one pass: the profile as it stood when the backtest begins.
  const before = recorded.filter((b) => b.at < from).flatMap((b) => b.events);
  if (before.length > 0) state = applyEvents(state, before, rules, from, undefined, { subscriptionGroups: () => true }).state;
  const queue = recorded.filter((b) => b.at >= from && b.at < to);
  let now = from;
  // As today's workflow runs (its `conversion-windows` patch on).
  const journeyInput = (): JourneyInput => ({ customer: state, journeys, policy, rules, now, conversionWindows: () => true, subscriptionGroups: () => true });
  const adopt = (o: JourneyOutcome): void => { state = { ...o.customer, journeys: o.journeys }; journeys = o.journeys; };
  const deferred = new Set<string>();

  /** Progress, suppressions and sends as the workflow carries them out (carryOut), each on the path. */
  const record = (commands: JourneyCommand[], applied: CustomerEvent[]): void => {
    for (const c of commands) {
      if (c.type === 'progress') {
        const r = c.record;
        sim.progress.push(r);
        if (r.type === 'exited' && r.reason === 'goal') conversion(r, applied);
        // Arms convert by leaving on the goal, the holdout by its watch (window conversions are on the path).
        if (r.type === 'converted' && r.variant === 'holdout') conversion(r, applied);
        sim.path.push({
          at: now, journeyId: r.journeyId, what: r.type, ...(r.stepId !== undefined && { stepId: r.stepId }),
          ...((r.reason ?? r.variant) !== undefined && { detail: r.reason ?? `variant ${r.variant}` }),
        });
      } else if (c.type === 'suppressed') {
        sim.suppressed.push({ ...c.send, at: now });
        sim.path.push({ at: now, journeyId: c.send.journeyId ?? '', what: 'suppressed', ...(c.send.stepId !== undefined && { stepId: c.send.stepId }), detail: c.send.reason, template: c.send.template, channel: c.send.channel });
      } else if (c.type === 'send') {
        const r = c.request;
        sim.sent.push({ ...r, at: now });
        sim.path.push({ at: now, journeyId: r.journeyId ?? '', what: 'sent', ...(r.stepId !== undefined && { stepId: r.stepId }), template: r.template, channel: r.channel });
        state = withTouch(state, { at: now, kind: 'sent', channel: r.channel, ...(r.journeyId && { journeyId: r.journeyId }), ...(r.stepId && { stepId: r.stepId }), messageKey: r.key }, rules);
        if (input.engagementRate > 0 && unit(r.key) < input.engagementRate) engage(r.key, now + 3_600_000);
      }
    }
  };
  const conversion = (r: JourneyProgress, applied: CustomerEvent[]): void => {
    const goal = catalog.journeys.find((j) => j.definition.id === r.journeyId)?.definition.goal ?? input.forceEntry?.goal;
    const event = applied.find((e) => e.name === goal?.event);
    sim.conversions.push({ journeyId: r.journeyId, enrollmentId: r.enrollmentId, ...(r.variant !== undefined && { variant: r.variant }), revenue: num(event?.properties[rules.revenueProperty]), at: now });
  };
  /** A send the caller assumes was opened: an open event in the queue, as the tracking pixel would make it. */
  const engage = (key: string, at: number): void => {
    if (at >= to) return;
    const open: CustomerEvent = { messageId: `backtest-open:${key}`, kind: 'track', name: openedEvent, properties: { messageId: key }, traits: {}, timestamp: new Date(at).toISOString() };
    const i = queue.findIndex((b) => b.at > at);
    const same = queue.find((b) => b.at === at);
    if (same) same.events.push(open); else queue.splice(i === -1 ? queue.length : i, 0, { at, events: [open] });
  };
  /** Sends quiet hours hold back: on the path once each, with how long. */
  const noteDeferrals = (): void => {
    for (const e of journeys.enrollments) {
      const step = journeys.pinned[pinKey(e.journeyId, e.version)]?.steps[e.stepId];
      const key = `${e.id}:${e.stepId}:${e.steps}`;
      if (step?.type !== 'send' || e.wakeAt === undefined || e.wakeAt <= now || deferred.has(key)) continue;
      deferred.add(key);
      sim.deferrals.push({ at: now, until: e.wakeAt, journeyId: e.journeyId, stepId: e.stepId });
      sim.path.push({ at: now, journeyId: e.journeyId, what: 'deferred', stepId: e.stepId, detail: `quiet hours: ${Math.round((e.wakeAt - now) / 60_000)} min`, template: step.template, channel: step.channel });
    }
  };

  /** workflows/customer.ts `settle`: lifecycle outcome, the journeys reacting, the catalog matched, then entries and moves. */
  const settle = (outcome: Outcome, why: { woke?: boolean }, force?: JourneyDefinition): void => {
    state = outcome.state;
    const applied = outcome.applied;
    if (applied.length > 0) {
      const reacted = react(journeyInput(), applied);
      record(reacted.commands, applied);
      adopt(reacted);
    }
    const changed = { stage: outcome.stage?.to, tier: outcome.tier?.to };
    const wantsMatch = applied.length > 0 || changed.stage !== undefined || changed.tier !== undefined || triggerDue(journeys, now)
      || (why.woke && journeys.membership !== undefined);
    let match: MatchResult | undefined = wantsMatch
      ? matchCatalog(catalog, matchRequest(state, journeys, { events: applied, changed, timeZone: customerTimeZone(state, policy), maxConcurrent: policy.maxConcurrentJourneys, now, wanted: catalog.revision }))
      : undefined;
    if (force) match = { revision: catalog.revision, timers: journeys.timers, statuses: {}, ...match, entries: [{ definition: force, context: {} }, ...(match?.entries ?? [])] };
    const entered = enter(journeyInput(), match);
    adopt(entered);
    record(entered.commands, applied);
    noteDeferrals();
  };

  if (input.forceEntry) settle(tick(state, rules, now), {}, input.forceEntry);
  for (let pass = 0; pass < maxPasses; pass++) {
    const wakeAt = Math.min(nextWakeAt(state, rules) ?? Infinity, journeysWakeAt(journeys) ?? Infinity);
    const eventAt = queue[0]?.at ?? Infinity;
    if (wakeAt <= eventAt && wakeAt < to) {
      // A timer fires no earlier than a millisecond after the pass that set it (as the workflow's condition timeout).
      now = Math.max(wakeAt, now + 1);
      settle(tick(state, rules, now), { woke: true });
    } else if (eventAt < to) {
      const batch = queue.shift()!;
      now = Math.max(batch.at, now);
      settle(applyEvents(state, batch.events, rules, now, undefined, { subscriptionGroups: () => true }), {});
    } else {
      break;
    }
  }
  return sim;
}
