// Segment membership inside a customer's workflow: pure and deterministic. The workflow keeps a
// compact BehaviourLog (counts per UTC day of the behaviour the segments ask about) and asks
// inSegment whenever the profile, the log or the day changes.
//
// Granularity: behaviour is counted per UTC day, and a window of N days is today (UTC) and the
// N − 1 days before it, whatever the hour. So membership changes only with an event or at 00:00
// UTC (relative dates, "30 days ago", are whole UTC days too), and the MongoDB compiler
// (store/segment-query.ts) uses the same day boundaries: the two agree exactly.
import type { CustomerEvent } from '../lifecycle/event.js';
import type { CustomerState } from '../lifecycle/state.js';
import { dayOf, maxBehaviourDays, satisfies, windowDays } from './conditions.js';
import type { BehaviourCounts, BehaviourKey, BehaviourLog, BehaviourRule, Condition, SegmentRule } from './types.js';

export const emptyBehaviourLog = (): BehaviourLog => ({ counts: {} });

type Tuple = [string, string] | [string, string, NonNullable<Condition['value']>];
const tupleOf = (c: Condition): Tuple => (c.value === undefined ? [c.field, c.op] : [c.field, c.op, c.value]);

/** The same behaviour gives the same key whatever the order of its `where` conditions. */
export function behaviourKey(rule: Pick<BehaviourRule, 'event' | 'where'>): BehaviourKey {
  const where = [...new Set((rule.where ?? []).map((c) => JSON.stringify(tupleOf(c))))].sort();
  return `[${[JSON.stringify(rule.event), ...where].join(',')}]`;
}

/** The event name and filter a key stands for, or undefined for a string that is not a key. */
export function behaviourOfKey(key: BehaviourKey): { event: string; where: Condition[] } | undefined {
  try {
    const [event, ...where] = JSON.parse(key) as [string, ...Tuple[]];
    if (typeof event !== 'string') return undefined;
    return { event, where: where.map(([field, op, value]) => ({ field, op: op as Condition['op'], ...(value !== undefined && { value }) })) };
  } catch {
    return undefined;
  }
}

/** The behaviour keys the given rules need counted, sorted, each once. */
export function behaviourEventsOf(rules: SegmentRule[]): BehaviourKey[] {
  const keys = new Set<BehaviourKey>();
  const walk = (r: SegmentRule): void => {
    if (r.type === 'and' || r.type === 'or') r.rules.forEach(walk);
    else if (r.type === 'not') walk(r.rule);
    else if (r.type === 'behaviour') keys.add(behaviourKey(r));
  };
  rules.forEach(walk);
  return [...keys].sort();
}

/**
 * Counts newly applied events (already deduplicated) into the log for the `tracked` keys only,
 * and drops days older than `maxDays` and keys no longer tracked, so the log stays small.
 */
export function recordBehaviour(log: BehaviourLog, events: CustomerEvent[], tracked: BehaviourKey[], now: number, maxDays = maxBehaviourDays): BehaviourLog {
  const oldest = dayOf(now) - maxDays + 1;
  const newest = dayOf(now) + 1;
  const counts: Record<BehaviourKey, BehaviourCounts> = {};
  for (const key of [...new Set(tracked)].sort()) {
    const behaviour = behaviourOfKey(key);
    if (!behaviour) continue;
    const prior = log.counts[key];
    const byDay = new Map((prior?.days ?? []).filter(([d]) => d >= oldest && d <= newest));
    for (const e of events) {
      if (e.name !== behaviour.event || !behaviour.where.every((c) => satisfies(c, e.properties, now))) continue;
      const at = Date.parse(e.timestamp);
      const d = dayOf(at);
      if (!Number.isFinite(at) || d < oldest || d > newest) continue;
      byDay.set(d, (byDay.get(d) ?? 0) + 1);
    }
    counts[key] = { since: prior?.since ?? now, days: [...byDay].sort((a, b) => a[0] - b[0]) };
  }
  return { counts };
}

/** How many times the customer did the rule's behaviour in its window ending today (UTC). */
export function behaviourCount(rule: BehaviourRule, log: BehaviourLog, now: number): number {
  const from = dayOf(now) - windowDays(rule.within) + 1;
  let n = 0;
  for (const [d, count] of log.counts[behaviourKey(rule)]?.days ?? []) if (d >= from && d <= dayOf(now)) n += count;
  return n;
}

/** Whether a count satisfies a rule's bounds. */
export const countFits = (n: number, count: BehaviourRule['count']): boolean =>
  (count.gte === undefined || n >= count.gte) && (count.lte === undefined || n <= count.lte);

function holds(rule: SegmentRule, profile: Record<string, unknown>, log: BehaviourLog, now: number): boolean {
  switch (rule.type) {
    case 'and': return rule.rules.every((r) => holds(r, profile, log, now));
    case 'or': return rule.rules.some((r) => holds(r, profile, log, now));
    case 'not': return !holds(rule.rule, profile, log, now);
    case 'profile': return satisfies(rule, profile, now);
    case 'behaviour': return countFits(behaviourCount(rule, log, now), rule.count);
  }
}

/** Whether the customer is in the segment at `now`. A customer merged into another is in none. */
export function inSegment(rule: SegmentRule, profile: CustomerState, behaviour: BehaviourLog, now: number): boolean {
  if (profile.mergedInto !== undefined) return false;
  const { stage, tier, points, tags, traits, counters, consent, scores } = profile;
  return holds(rule, { stage, tier, points, tags, traits, counters, consent, scores }, behaviour, now);
}
