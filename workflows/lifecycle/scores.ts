// Value scores of a customer, 1 (low) to 5 (high), from the counters the workflow keeps:
// RFM (recency, frequency, monetary) and Value / Attrition / Potential. Recomputed whenever the
// profile changes; usable in segments and journey branches as `scores.r`, `scores.value`…

/** What the workflow counts of a customer's activity, which the scores are computed from. */
export interface Counters {
  events: number;
  orders: number;
  spend: number;
  firstSeenAt?: string;
  lastSeenAt?: string;
  lastOrderAt?: string;
}

export interface Scores {
  /** Recency: how recently they last bought. */
  r: number;
  /** Frequency: how many orders. */
  f: number;
  /** Monetary: lifetime spend. */
  m: number;
  /** R, F and M as one code, e.g. "545". */
  rfm: string;
  /** What the customer is worth today (spend). */
  value: number;
  /** How likely they are lapsing: days since the last order against their own buying rhythm. */
  attrition: number;
  /** Engaged but not yet spending: recent activity above what their spend shows. */
  potential: number;
}

export interface ScoreThresholds {
  /** Days since the last order for R = 5, 4, 3, 2 (anything older is 1; never bought is 0). */
  recencyDays: [number, number, number, number];
  /** Orders for F = 2, 3, 4, 5. */
  orders: [number, number, number, number];
  /** Lifetime spend for M = 2, 3, 4, 5. */
  spend: [number, number, number, number];
}

export const defaultScoreThresholds: ScoreThresholds = {
  recencyDays: [30, 60, 90, 180],
  orders: [2, 3, 5, 10],
  spend: [300, 1000, 2000, 5000],
};

const dayMs = 86_400_000;
/** A buyer's rhythm before they have a second order. */
const assumedIntervalDays = 30;

/** 1 + how many of the ascending thresholds `value` reaches. */
const atLeast = (value: number, t: readonly number[]): number => 1 + t.filter((x) => value >= x).length;
/** 5 − how many of the ascending thresholds `value` exceeds. */
const atMost = (value: number, t: readonly number[]): number => 5 - t.filter((x) => value > x).length;

export function scoresOf(c: Counters, now: number, t: ScoreThresholds = defaultScoreThresholds): Scores {
  const bought = c.orders > 0 && c.lastOrderAt !== undefined;
  const sinceOrder = bought ? Math.max(0, (now - Date.parse(c.lastOrderAt!)) / dayMs) : Infinity;
  const r = bought ? atMost(sinceOrder, t.recencyDays) : 0;
  const f = c.orders > 0 ? atLeast(c.orders, t.orders) : 0;
  const m = c.orders > 0 ? atLeast(c.spend, t.spend) : 0;

  const first = c.firstSeenAt ? Date.parse(c.firstSeenAt) : now;
  // Their own rhythm: the average gap between orders since they first appeared.
  const interval = c.orders >= 2 && bought ? Math.max(1, (Date.parse(c.lastOrderAt!) - first) / dayMs / (c.orders - 1)) : assumedIntervalDays;
  const attrition = bought ? atLeast(sinceOrder / interval, [1, 1.5, 2, 3]) : 0;

  const sinceSeen = c.lastSeenAt ? Math.max(0, (now - Date.parse(c.lastSeenAt)) / dayMs) : Infinity;
  const engagement = Number.isFinite(sinceSeen) ? atMost(sinceSeen, [7, 30, 90, 180]) : 0;
  // Recent activity not yet matched by spend: seen this week and never bought is 5, a top spender is 1.
  const potential = engagement === 0 ? 0 : Math.min(5, Math.max(1, engagement - m + 1));
  return { r, f, m, rfm: `${r}${f}${m}`, value: m, attrition, potential };
}
