// What a backtest found, counted per page of customers and summed: bounded whatever the sample
// (counts keyed by step, channel, template, reason, variant and day; 20 sample paths).
import type { PathStep, Simulation } from './simulate.js';

export interface Tally {
  sampled: number;
  entered: number;
  /** Enrollments that reached each step (the entry step included). */
  funnel: Record<string, number>;
  sends: { total: number; byChannel: Record<string, number>; byTemplate: Record<string, number>; byDay: Record<string, number> };
  suppressions: Record<string, number>;
  deferrals: { count: number; totalMinutes: number; maxMinutes: number };
  exits: Record<string, number>;
  /** Per A/B/n arm and `holdout` (journeys without a split: `all`). */
  variants: Record<string, { entered: number; converted: number; revenue: number }>;
  conversions: { count: number; revenue: number };
  paths: { customerId: string; steps: PathView[] }[];
}

/** A path step as answered: its time as an ISO instant. */
export type PathView = Omit<PathStep, 'at'> & { at: string };
export const pathView = (steps: PathStep[]): PathView[] => steps.map((s) => ({ ...s, at: new Date(s.at).toISOString() }));

export const samplePaths = 20;

export function emptyTally(): Tally {
  return {
    sampled: 0, entered: 0, funnel: {}, sends: { total: 0, byChannel: {}, byTemplate: {}, byDay: {} }, suppressions: {},
    deferrals: { count: 0, totalMinutes: 0, maxMinutes: 0 }, exits: {}, variants: {}, conversions: { count: 0, revenue: 0 }, paths: [],
  };
}

const add = (into: Record<string, number>, key: string, n = 1): void => { into[key] = (into[key] ?? 0) + n; };
const day = (at: number): string => new Date(at).toISOString().slice(0, 10);
const cents = (n: number): number => Math.round(n * 100) / 100;

/** Adds one simulated customer, as far as `journeyId` is concerned. */
export function tallyCustomer(t: Tally, sim: Simulation, journeyId: string): void {
  t.sampled += 1;
  const progress = sim.progress.filter((p) => p.journeyId === journeyId);
  const enrollments = new Map<string, { variant: string; converted: boolean }>();
  const reached = new Set<string>();
  for (const p of progress) {
    const e = enrollments.get(p.enrollmentId) ?? { variant: 'all', converted: false };
    if (p.variant !== undefined) e.variant = p.variant;
    enrollments.set(p.enrollmentId, e);
    if ((p.type === 'entered' || p.type === 'step') && p.stepId !== undefined && !reached.has(`${p.enrollmentId}:${p.stepId}`)) {
      reached.add(`${p.enrollmentId}:${p.stepId}`);
      add(t.funnel, p.stepId);
    }
    if (p.type === 'exited' && p.reason) add(t.exits, p.reason);
  }
  if (enrollments.size === 0) return;
  t.entered += 1;
  for (const s of sim.sent.filter((m) => m.journeyId === journeyId)) {
    t.sends.total += 1;
    add(t.sends.byChannel, s.channel);
    add(t.sends.byTemplate, s.template);
    add(t.sends.byDay, day(s.at));
  }
  for (const s of sim.suppressed.filter((m) => m.journeyId === journeyId)) add(t.suppressions, s.reason);
  for (const d of sim.deferrals.filter((x) => x.journeyId === journeyId)) {
    const minutes = (d.until - d.at) / 60_000;
    t.deferrals.count += 1;
    t.deferrals.totalMinutes = cents(t.deferrals.totalMinutes + minutes);
    t.deferrals.maxMinutes = Math.max(t.deferrals.maxMinutes, Math.round(minutes));
  }
  for (const c of sim.conversions.filter((x) => x.journeyId === journeyId)) {
    const e = enrollments.get(c.enrollmentId);
    if (!e || e.converted) continue;
    e.converted = true;
    t.conversions.count += 1;
    t.conversions.revenue = cents(t.conversions.revenue + c.revenue);
    const v = (t.variants[e.variant] ??= { entered: 0, converted: 0, revenue: 0 });
    v.revenue = cents(v.revenue + c.revenue);
  }
  for (const e of enrollments.values()) {
    const v = (t.variants[e.variant] ??= { entered: 0, converted: 0, revenue: 0 });
    v.entered += 1;
    if (e.converted) v.converted += 1;
  }
  if (t.paths.length < samplePaths) t.paths.push({ customerId: sim.customerId, steps: pathView(sim.path.filter((s) => s.journeyId === journeyId)) });
}

export function mergeTallies(a: Tally, b: Tally): Tally {
  const sum = (x: Record<string, number>, y: Record<string, number>) => { const out = { ...x }; for (const [k, v] of Object.entries(y)) add(out, k, v); return out; };
  const variants = { ...a.variants };
  for (const [k, v] of Object.entries(b.variants)) {
    const w = variants[k] ?? { entered: 0, converted: 0, revenue: 0 };
    variants[k] = { entered: w.entered + v.entered, converted: w.converted + v.converted, revenue: cents(w.revenue + v.revenue) };
  }
  return {
    sampled: a.sampled + b.sampled,
    entered: a.entered + b.entered,
    funnel: sum(a.funnel, b.funnel),
    sends: { total: a.sends.total + b.sends.total, byChannel: sum(a.sends.byChannel, b.sends.byChannel), byTemplate: sum(a.sends.byTemplate, b.sends.byTemplate), byDay: sum(a.sends.byDay, b.sends.byDay) },
    suppressions: sum(a.suppressions, b.suppressions),
    deferrals: { count: a.deferrals.count + b.deferrals.count, totalMinutes: cents(a.deferrals.totalMinutes + b.deferrals.totalMinutes), maxMinutes: Math.max(a.deferrals.maxMinutes, b.deferrals.maxMinutes) },
    exits: sum(a.exits, b.exits),
    variants,
    conversions: { count: a.conversions.count + b.conversions.count, revenue: cents(a.conversions.revenue + b.conversions.revenue) },
    paths: [...a.paths, ...b.paths].slice(0, samplePaths),
  };
}

/** The answer: the tally with rates, and each arm against the holdout. */
export function backtestResult(t: Tally, engagementRate: number) {
  const rate = (v: { entered: number; converted: number }) => (v.entered > 0 ? v.converted / v.entered : 0);
  const holdout = t.variants.holdout;
  const variants = Object.entries(t.variants).sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, v]) => ({
    name, ...v, conversionRate: Math.round(rate(v) * 10_000) / 10_000,
    ...(holdout && name !== 'holdout' && rate(holdout) > 0 && { uplift: Math.round(((rate(v) - rate(holdout)) / rate(holdout)) * 10_000) / 10_000 }),
  }));
  return {
    customers: { sampled: t.sampled, entered: t.entered },
    funnel: Object.entries(t.funnel).map(([stepId, reached]) => ({ stepId, reached })),
    sends: t.sends, suppressions: t.suppressions, deferrals: t.deferrals, exits: t.exits, variants, conversions: t.conversions,
    engagement: {
      assumedRate: engagementRate,
      note: engagementRate === 0
        ? 'opens and clicks of messages never sent are unknown: taken as none, so "only if engaged" sends are suppressed (no_reaction)'
        : `each simulated send taken as opened an hour later with probability ${engagementRate}`,
    },
    paths: t.paths,
  };
}
export type BacktestResult = ReturnType<typeof backtestResult>;
