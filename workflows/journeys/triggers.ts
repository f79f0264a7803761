// When a customer enters a journey: events, stage and tier changes, dates and inactivity.
import { toMs } from '../duration.js';
import type { CustomerEvent } from '../lifecycle/event.js';
import type { CustomerState } from '../lifecycle/state.js';
import { allHold } from './conditions.js';
import { pinKey, type JourneysState } from './state.js';
import { nextAnnual } from './time.js';
import { behaviourEventsOf, emptyBehaviourLog, inSegment, recordBehaviour } from '../segments/evaluate.js';
import type { Segment } from '../segments/types.js';
import type { JourneyCatalog, JourneyDefinition } from './types.js';
import { progress } from './steps.js';
import { type JourneyCommand } from './step-context.js';

const dayMs = 86_400_000;

export interface EnrollContext {
  customer: CustomerState;
  journeys: JourneysState;
  /** The journeys that may be entered (the brand's catalog, where matching runs). */
  catalog: JourneyCatalog['journeys'];
  /** The segments those journeys trigger on. */
  segments: Segment[];
  maxConcurrent: number;
  now: number;
  /** Where entries are recorded for the reports. */
  commands: JourneyCommand[];
}

/** Enters an active journey if its re-entry rule and the concurrency cap allow. */
export function tryEnroll(ctx: Pick<EnrollContext, 'journeys' | 'maxConcurrent' | 'now' | 'commands'>, def: JourneyDefinition, context: Record<string, unknown>): boolean {
  const { journeys: j, now } = ctx;
  if (j.enrollments.some((e) => e.journeyId === def.id)) return false;
  const past = j.history[def.id];
  if (past && def.reentry.mode === 'never') return false;
  if (past && def.reentry.mode === 'cooldown' && now < (past.lastExitedAt ?? past.lastEnteredAt) + toMs((def.reentry.cooldown ?? '0'))) return false;
  if (j.enrollments.length >= ctx.maxConcurrent) return false;
  j.seq += 1;
  j.pinned[pinKey(def.id, def.version)] = def;
  j.enrollments.push({
    id: `${def.id}@${def.version}#${j.seq}`, journeyId: def.id, version: def.version, stepId: def.entry, steps: 0,
    enteredAt: now, stepSince: now, context, sent: {},
  });
  j.history[def.id] = { entries: (past?.entries ?? 0) + 1, lastEnteredAt: now, ...(past?.lastExitedAt !== undefined && { lastExitedAt: past.lastExitedAt }) };
  ctx.commands.push(progress(j.enrollments[j.enrollments.length - 1]!, 'entered', now));
  return true;
}

const active = (catalog: EnrollContext['catalog']) => catalog.filter((c) => c.status === 'active').map((c) => c.definition);

export function enrollOnEvent(ctx: EnrollContext, event: CustomerEvent): void {
  for (const def of active(ctx.catalog)) {
    if (def.trigger.type === 'event' && def.trigger.event === event.name && allHold(def.trigger.where, event.properties)) {
      tryEnroll(ctx, def, { event: event.name, ...event.properties });
    }
  }
}

export function enrollOnChange(ctx: EnrollContext, stage?: string, tier?: string): void {
  for (const def of active(ctx.catalog)) {
    const t = def.trigger;
    if ((t.type === 'stage' && t.to === stage) || (t.type === 'tier' && t.to === tier)) tryEnroll(ctx, def, { stage, tier });
  }
}

/** The next occurrence of a journey's time trigger and what it depends on; undefined if none. */
function occurrence(def: JourneyDefinition, customer: CustomerState, timeZone: string, from: number): { at: number; basis: string } | undefined {
  const t = def.trigger;
  if (t.type === 'fixed_date') return { at: nextAnnual(from, timeZone, t.date, t.time), basis: `${t.date}|${t.time}|${timeZone}` };
  if (t.type === 'date_attribute') {
    const value = customer.traits[t.trait];
    if (typeof value !== 'string' || !/^(\d{4}-)?\d{2}-\d{2}/.test(value)) return undefined;
    const date = value.slice(0, 10).replace(/^(\d{2}-\d{2}).*$/, '$1');
    return { at: nextAnnual(from, timeZone, date, t.time), basis: `${date}|${t.time}|${timeZone}` };
  }
  if (t.type === 'inactivity' && customer.counters.lastOrderAt) {
    return { at: Date.parse(customer.counters.lastOrderAt) + t.days * dayMs, basis: customer.counters.lastOrderAt };
  }
  return undefined;
}

/** Fires time triggers that are due, then schedules each one's next occurrence. */
export function runTimers(ctx: EnrollContext, timeZone: string): void {
  const { journeys: j, now } = ctx;
  const live = active(ctx.catalog);
  for (const def of live) {
    const timer = j.timers[def.id];
    if (timer && !timer.fired && timer.at <= now) {
      tryEnroll(ctx, def, { trigger: def.trigger.type, at: new Date(timer.at).toISOString() });
      timer.fired = true;
    }
    const next = occurrence(def, ctx.customer, timeZone, now);
    if (!next) { delete j.timers[def.id]; continue; }
    if (timer && timer.basis === next.basis) {
      // Same inputs: an unfired timer stands; an inactivity timer fires once per last order; a
      // yearly one moves on to next year.
      if (!timer.fired || def.trigger.type === 'inactivity') continue;
      j.timers[def.id] = { at: occurrence(def, ctx.customer, timeZone, timer.at + 60_000)!.at, basis: next.basis };
      continue;
    }
    j.timers[def.id] = next;
  }
  for (const id of Object.keys(j.timers)) if (!live.some((d) => d.id === id)) delete j.timers[id];
}

/**
 * Live segment membership: records the behaviour the segments ask about, then enters the
 * journeys whose segment the customer has just joined (it was not in it at the last look).
 */
export function runSegments(ctx: EnrollContext, events: CustomerEvent[]): void {
  const j = ctx.journeys;
  const { segments } = ctx;
  if (segments.length === 0) return;
  j.behaviour = recordBehaviour(j.behaviour ?? emptyBehaviourLog(), events, behaviourEventsOf(segments.map((s) => s.rule)), ctx.now);
  const was = j.membership ?? {};
  const now: Record<string, boolean> = {};
  for (const segment of segments) now[segment.id] = inSegment(segment.rule, ctx.customer, j.behaviour, ctx.now);
  j.membership = now;
  for (const def of active(ctx.catalog)) {
    const t = def.trigger;
    if (t.type === 'segment' && now[t.segment] && !was[t.segment]) tryEnroll(ctx, def, { segment: t.segment });
  }
}

/** Segments newly in the catalog start from the customer's membership now: only later entries trigger. */
export function baselineSegments(ctx: EnrollContext): void {
  const j = ctx.journeys;
  j.membership ??= {};
  for (const segment of ctx.segments) {
    j.membership[segment.id] ??= inSegment(segment.rule, ctx.customer, j.behaviour ?? emptyBehaviourLog(), ctx.now);
  }
}
