// A segment as marketers define it: a rule over the profile and recent behaviour, plain data
// (validated by api/segments/schema.ts), evaluated per customer by evaluate.ts inside the
// workflow and compiled to MongoDB by store/segment-query.ts. Types only.
/** A condition on an event's properties or on the profile (`stage`, `tier`, `points`, `tags`, `traits.x`, `counters.x`). */
export interface Condition {
  field: string;
  op: 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'contains' | 'exists';
  value?: string | number | boolean | (string | number)[];
}

/**
 * A condition on one profile field: `stage`, `tier`, `points`, `tags`, `traits.<name>`,
 * `consent.<channel>`, `counters.<events|orders|spend|firstSeenAt|lastSeenAt|lastOrderAt>` or
 * `scores.<r|f|m|rfm|value|attrition|potential>` (as of the profile's last change).
 * Values compare as MongoDB compares them (conditions.ts): by type, no number-in-text coercion;
 * on an array field `eq`/`in`/`gt`… hold when any element does. On the `counters.*At` dates,
 * `gt`/`gte`/`lt`/`lte`/`eq` take an ISO 8601 instant or "<whole days> ago" (00:00 UTC that day).
 */
export interface ProfileRule extends Condition {
  type: 'profile';
}

/**
 * How often the customer did `event` (matching every `where` condition on its top-level
 * properties) in the last `within`: a whole number of UTC days, today included, at most
 * `maxBehaviourDays` (90, conditions.ts). "Searched at least once in 7 days": `count: { gte: 1 }`; "no order in
 * 30 days": `count: { lte: 0 }`.
 */
export interface BehaviourRule {
  type: 'behaviour';
  event: string;
  where?: Condition[];
  /** ms-style duration of whole days: "7 days", "1 week", "48h". */
  within: string;
  /** Inclusive bounds on the number of events; at least one is given. */
  count: { gte?: number; lte?: number };
}

export type SegmentRule =
  | { type: 'and'; rules: SegmentRule[] }
  | { type: 'or'; rules: SegmentRule[] }
  | { type: 'not'; rule: SegmentRule }
  | ProfileRule
  | BehaviourRule;

export interface Segment {
  id: string;
  name: string;
  rule: SegmentRule;
  /** ISO 8601. */
  createdAt?: string;
  updatedAt?: string;
}

/** One behaviour the log counts: an event name and its property filter, as a stable string. */
export type BehaviourKey = string;

export interface BehaviourCounts {
  /** When the workflow began counting this (epoch ms); earlier days hold only events fed to it since. */
  since: number;
  /** [UTC day number (see dayOf), events that day], oldest first; days without any are left out. */
  days: [number, number][];
}

/** Per tracked key, at most `maxDays` past days (plus tomorrow, for clocks running ahead). */
export interface BehaviourLog {
  counts: Record<BehaviourKey, BehaviourCounts>;
}
