// The journey engine's entry points for the customer workflow: (state, input, now) → state + commands.
// A batch of events passes in three steps: `react` (the journeys the customer is in respond to
// them), matching against the catalog where it lives (match.ts, in the save activity), then
// `enter` (what matched is entered, and every enrollment moves as far as it can).
import { jsonCopy } from '../json-copy.js';
import type { CustomerEvent } from '../lifecycle/event.js';
import type { LifecycleRules } from '../lifecycle/rules.js';
import type { CustomerState } from '../lifecycle/state.js';
import { pruneSendLog, type MessagingPolicy } from '../messaging/arbiter.js';
import type { CampaignBroadcast, EnrollmentSummary, JourneyMigration } from '../customer-contract.js';
import { enterCampaign, isCampaignJourney } from '../campaigns/journey.js';
import { allHold } from './conditions.js';
import { matchCatalog, matchRequest, type MatchResult } from './match.js';
import { initialJourneys, pinKey, type HoldoutWatch, type JourneysState, type LegacyJourneysState } from './state.js';
import { advanceAll, exit, goTo } from './steps.js';
import { type JourneyCommand, type StepContext } from './step-context.js';
import { isTimeZone } from './time.js';
import { tryEnroll } from './triggers.js';
import { convertOnGoal, convertWindows, keepWindows, maxConversionWatches, watchMigrated } from './windows.js';
import type { JourneyCatalog } from './types.js';
import type { Condition } from '../segments/types.js';

export interface JourneyInput {
  customer: CustomerState;
  journeys: JourneysState;
  policy: MessagingPolicy;
  rules: LifecycleRules;
  now: number;
  /** Record conversion windows (windows.ts); the workflow passes its patch, asked only where it matters. */
  conversionWindows?: () => boolean;
  /** Honour subscription groups in sends (messaging/subscriptions.ts); the workflow passes its patch. */
  subscriptionGroups?: () => boolean;
}

export interface JourneyOutcome {
  customer: CustomerState;
  journeys: JourneysState;
  commands: JourneyCommand[];
}

const clone = jsonCopy;
const engagementEvents = ['Message Opened', 'Message Clicked'];
const matches = (m: { event: string; where?: Condition[] }, event: CustomerEvent): boolean => m.event === event.name && allHold(m.where, event.properties);

export function customerTimeZone(customer: CustomerState, policy: MessagingPolicy): string {
  const zone = customer.traits.timezone;
  return typeof zone === 'string' && isTimeZone(zone) ? zone : policy.defaultTimeZone;
}

/** Keeps the held-out customers' watches that pass `keep`; never leaves an empty list in the state. */
export function keepHoldouts(j: JourneysState, keep: (w: HoldoutWatch) => boolean): void {
  const left = (j.holdouts ?? []).filter(keep);
  if (left.length > 0) j.holdouts = left;
  else delete j.holdouts;
}

/**
 * What a pass starts from. The profile without the journeys' state it carries (the state given
 * beside it is the one the pass works on), not copied: a step that changes it makes a changed
 * copy. The journeys' state copied, but for the pinned definitions, which nothing changes (only
 * which are pinned).
 */
function copies(input: JourneyInput): { customer: CustomerState; journeys: JourneysState } {
  const { journeys: _carried, ...customer } = input.customer;
  const { pinned, ...journeys } = input.journeys;
  return { customer, journeys: { ...clone(journeys), pinned: { ...pinned } } };
}

function run(input: JourneyInput, act: (ctx: StepContext) => void, advance = true): JourneyOutcome {
  const { customer, journeys } = copies(input);
  const ctx: StepContext = {
    customer, journeys, policy: input.policy, rules: input.rules, timeZone: customerTimeZone(customer, input.policy), now: input.now,
    commands: [], watchHoldouts: true, isPaused: (id) => journeys.paused?.includes(id) ?? false,
    ...(input.conversionWindows && { conversionWindows: input.conversionWindows }),
    ...(input.subscriptionGroups && { subscriptionGroups: input.subscriptionGroups }),
  };
  if (journeys.holdouts) keepHoldouts(journeys, (w) => w.until >= input.now);
  if (journeys.windows) keepWindows(journeys, (w) => w.until >= input.now);
  act(ctx);
  if (advance) advanceAll(ctx);
  journeys.sendLog = pruneSendLog(journeys.sendLog, input.policy, input.now);
  return { customer: ctx.customer, journeys, commands: ctx.commands };
}

/** Events (already applied to the profile) reach the journeys the customer is in: goals, exits, awaited events, engagement. */
export function react(input: JourneyInput, events: CustomerEvent[]): JourneyOutcome {
  return run(input, (ctx) => { for (const event of events) reactToEvent(ctx, event); }, false);
}

/** One event meets the customer's enrollments and held-out watches (also the frozen engine's, event by event). */
export function reactToEvent(ctx: StepContext, event: CustomerEvent): void {
  if (event.name && engagementEvents.includes(event.name)) {
    for (const e of ctx.journeys.enrollments) {
      for (const sent of Object.values(e.sent)) if (sent.key === event.properties.messageId) sent.engaged = true;
    }
  }
  for (const e of [...ctx.journeys.enrollments]) {
    const def = ctx.journeys.pinned[pinKey(e.journeyId, e.version)];
    if (!def) continue;
    if (def.goal && matches(def.goal, event)) { convertOnGoal(ctx, e, def.goal); exit(ctx, e, 'goal'); continue; }
    if (def.exitOn?.some((m) => matches(m, event))) { exit(ctx, e, 'exit_criteria'); continue; }
    const step = def.steps[e.stepId];
    if (step?.type === 'wait_for_event' && matches(step, event)) goTo(ctx, e, step.onEvent);
  }
  convertHoldouts(ctx, event);
  convertWindows(ctx, event);
}

/** A held-out customer did the goal within its window: one conversion per watch, then the watch ends. */
function convertHoldouts(ctx: StepContext, event: CustomerEvent): void {
  const j = ctx.journeys;
  if (!j.holdouts) return;
  keepHoldouts(j, (w) => {
    if (!matches(w.goal, event) || ctx.now > w.until) return true;
    const { enrollmentId, journeyId, version, steps } = w;
    ctx.commands.push({ type: 'progress', record: { enrollmentId, journeyId, version, type: 'converted', steps, variant: 'holdout', at: ctx.now } });
    return false;
  });
}

/**
 * What the catalog matched comes in: paused and archived journeys take effect, matched journeys
 * are entered, time triggers are rescheduled. Then (with or without a match: a timer firing)
 * every enrollment moves as far as it can go now.
 */
export function enter(input: JourneyInput, match?: MatchResult): JourneyOutcome {
  return run(input, (ctx) => {
    if (!match) return;
    const j = ctx.journeys;
    j.catalogRevision = match.revision;
    j.timers = match.timers;
    if (match.membership) j.membership = match.membership;
    if (match.behaviour) j.behaviour = match.behaviour;
    for (const e of [...j.enrollments]) {
      const status = match.statuses[e.journeyId];
      if (status === 'archived') exit(ctx, e, 'archived');
      else if (status === 'exit') exit(ctx, e, 'paused');
    }
    const held = Object.keys(match.statuses).filter((id) => match.statuses[id] === 'hold');
    if (held.length > 0) j.paused = held;
    else delete j.paused;
    const enroll = { journeys: j, maxConcurrent: ctx.policy.maxConcurrentJourneys, now: ctx.now, commands: ctx.commands };
    for (const { definition, context } of match.entries) tryEnroll(enroll, definition, context);
  });
}

/** A timer fired: waits end, deferred sends retry (time triggers come through `enter` with a match). */
export function onTime(input: JourneyInput): JourneyOutcome {
  return enter(input);
}

/** Is a time trigger (a date, an anniversary, inactivity) due? Then the catalog must be asked. */
export function triggerDue(j: JourneysState, now: number): boolean {
  return Object.values(j.timers).some((t) => !t.fired && t.at <= now);
}

/** React, match and enter in one pass, where the catalog is at hand (tests, backtests). */
export function withCatalog(input: JourneyInput, catalog: JourneyCatalog, events: CustomerEvent[], changed: { stage?: string; tier?: string } = {}): JourneyOutcome {
  const reacted = react(input, events);
  const request = matchRequest(reacted.customer, reacted.journeys, {
    events, changed, timeZone: customerTimeZone(reacted.customer, input.policy), maxConcurrent: input.policy.maxConcurrentJourneys, now: input.now, wanted: catalog.revision,
  });
  const entered = enter({ ...input, customer: reacted.customer, journeys: reacted.journeys }, matchCatalog(catalog, request));
  return { ...entered, commands: [...reacted.commands, ...entered.commands] };
}

/** A broadcast reached the customer: enter its one send, whatever the catalog says, once per occurrence. */
export function onCampaign(input: JourneyInput, delivery: CampaignBroadcast): JourneyOutcome {
  return run(input, (ctx) => enterCampaign(ctx.journeys, delivery, ctx.now));
}

/** Moves customers on `fromVersion` to the new version at the mapped step; unmapped steps stay. */
export function onMigration(input: JourneyInput, m: JourneyMigration): JourneyOutcome {
  return run(input, (ctx) => {
    const from = ctx.journeys.pinned[pinKey(m.journeyId, m.fromVersion)];
    const candidates = ctx.journeys.enrollments.filter((e) => e.journeyId === m.journeyId && e.version === m.fromVersion);
    migrate(ctx.journeys, m);
    // The goal they entered for still counts within its window, if the new version pursues another.
    const moved = candidates.filter((e) => e.version === m.to.version).map((e) => ({ e, from, to: m.to }));
    if (moved.length > 0) watchMigrated(ctx, moved);
  });
}

/** The move itself, on a journeys state (also the frozen engine's, for runs from before lean workflows). */
export function migrate(j: JourneysState, m: JourneyMigration): void {
  for (const e of j.enrollments) {
    const target = m.steps[e.stepId];
    if (e.journeyId !== m.journeyId || e.version !== m.fromVersion || !target || !m.to.steps[target]) continue;
    j.pinned[pinKey(m.journeyId, m.to.version)] = m.to;
    e.version = m.to.version;
    e.stepId = target;
    // A wait keeps its deadline across the move; other steps start afresh.
    if (m.to.steps[target]!.type !== 'wait') delete e.wakeAt;
  }
  const stillOld = j.enrollments.some((e) => e.journeyId === m.journeyId && e.version === m.fromVersion);
  if (!stillOld) delete j.pinned[pinKey(m.journeyId, m.fromVersion)];
}

/** Folds a merged customer's journeys in: their places (where not already in that journey), held-out watches, caps and history. */
export function foldJourneys<J extends JourneysState>(into: J, from: JourneysState): J {
  const out = clone(into);
  for (const e of from.enrollments) {
    if (out.enrollments.some((x) => x.journeyId === e.journeyId)) continue;
    out.seq += 1;
    out.enrollments.push({ ...clone(e), id: `${e.journeyId}@${e.version}#${out.seq}` });
    out.pinned[pinKey(e.journeyId, e.version)] = from.pinned[pinKey(e.journeyId, e.version)]!;
    if (from.paused?.includes(e.journeyId)) (out.paused ??= []).push(e.journeyId);
  }
  // The merged-away customer's held-out and conversion-window watches go on, under fresh ids so their records stay unique.
  for (const w of from.holdouts ?? []) {
    out.seq += 1;
    (out.holdouts ??= []).push({ ...clone(w), enrollmentId: `${w.journeyId}@${w.version}#${out.seq}` });
  }
  for (const w of from.windows ?? []) {
    if (out.windows?.some((x) => x.journeyId === w.journeyId)) continue;
    out.seq += 1;
    out.windows = [...(out.windows ?? []), { ...clone(w), enrollmentId: `${w.journeyId}@${w.version}#${out.seq}` }].slice(-maxConversionWatches);
  }
  out.sendLog = [...out.sendLog, ...from.sendLog].sort((a, b) => a.at - b.at);
  for (const [id, h] of Object.entries(from.history)) {
    const mine = out.history[id];
    out.history[id] = mine ? { entries: mine.entries + h.entries, lastEnteredAt: Math.max(mine.lastEnteredAt, h.lastEnteredAt), ...(mine.lastExitedAt !== undefined || h.lastExitedAt !== undefined ? { lastExitedAt: Math.max(mine.lastExitedAt ?? 0, h.lastExitedAt ?? 0) } : {}) } : h;
  }
  return out;
}

export function journeysWakeAt(j: JourneysState): number | undefined {
  const times = [
    ...j.enrollments.filter((e) => !j.paused?.includes(e.journeyId)).map((e) => e.wakeAt),
    ...Object.values(j.timers).filter((t) => !t.fired).map((t) => t.at),
  ].filter((t): t is number => t !== undefined && Number.isFinite(t));
  return times.length ? Math.min(...times) : undefined;
}

export function enrollmentSummary(j: JourneysState): EnrollmentSummary[] {
  return j.enrollments.map((e) => ({ journeyId: e.journeyId, version: e.version, stepId: e.stepId, enteredAt: new Date(e.enteredAt).toISOString() }));
}

/**
 * A state from before lean workflows, as a lean run keeps it: the catalog and its segments go
 * (the next match brings what this customer needs); the journeys paused with `hold` that the
 * customer is in are remembered.
 */
export function leanJourneys(j: JourneysState | LegacyJourneysState): JourneysState {
  if (!('catalog' in j) && !('segments' in j)) return j;
  const { catalog = [], segments: _segments, ...lean } = j as Partial<LegacyJourneysState> & JourneysState;
  const held = lean.enrollments
    .filter((e) => catalog.find((c) => c.definition.id === e.journeyId)?.status === 'paused')
    .map((e) => e.journeyId);
  return { ...lean, ...(held.length > 0 && { paused: held }) };
}

/** The state without the definitions of published journeys (read back from `journey_versions` when needed). */
export function withoutPublishedPins(j: JourneysState): JourneysState {
  const pinned = Object.fromEntries(Object.entries(j.pinned).filter(([key]) => isCampaignJourney(key)));
  return { ...j, pinned };
}

export { initialJourneys };
