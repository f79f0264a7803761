// Reports for marketers: MongoDB counts (store/reports.ts) turned into rates, costs,
// funnels in the journey's order, and each variant's uplift and significance against the holdout.
import type { AttributionModel } from '../../workflows/attribution/types.js';
import { stages as ladder } from '../../workflows/lifecycle/rules.js';
import type { DateRange, JourneyFigures, ReportQueries, VariantFigures } from '../../store/reports.js';
import { reachable } from '../journeys/graph.js';
import { defaultGoalWindow } from '../../workflows/journeys/windows.js';
import { ApiError } from '../errors.js';
import { twoProportionPValue } from './significance.js';
import type { ChannelReport, JourneyReport, LifecycleReport } from './schema.js';

export interface ReportServiceDeps {
  queries: ReportQueries;
  /** Cost of one message by channel (CHANNEL_COSTS). */
  costs: Partial<Record<string, number>>;
}

const cents = (amount: number): number => Math.round(amount * 100) / 100;
/** Costs keep a hundredth of a cent: a message may cost less than a cent. */
const tenThousandths = (amount: number): number => Math.round(amount * 10_000) / 10_000;
const rate = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);
const period = ({ from, to }: DateRange) => ({ from: from.toISOString(), to: to.toISOString() });
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** One arm's conversions against the holdout's: rate, uplift and significance (none for the holdout itself). */
function against(converted: number, customers: number, holdout: { converted: number; customers: number } | undefined) {
  const conversionRate = rate(converted, customers);
  const holdoutRate = holdout && rate(holdout.converted, holdout.customers);
  const pValue = holdout ? twoProportionPValue(converted, customers, holdout.converted, holdout.customers) : null;
  return {
    converted, conversionRate,
    uplift: holdout && conversionRate !== null && holdoutRate ? (conversionRate - holdoutRate) / holdoutRate : null,
    pValue, significant: pValue === null ? null : pValue < 0.05,
  };
}

/** Each variant against the holdout, which comes last: as first read (goal exits), and within the conversion window. */
function compared(variants: VariantFigures[]): JourneyReport['variants'] {
  const holdout = variants.find((v) => v.variant === 'holdout');
  const arms = variants.filter((v) => v !== holdout).sort((a, b) => byName(a.variant, b.variant));
  return [...arms, ...(holdout ? [holdout] : [])].map((v) => {
    const tested = v !== holdout ? holdout : undefined;
    return {
      variant: v.variant, customers: v.customers,
      ...against(v.converted, v.customers, tested),
      exitedOnGoal: v.exitedOnGoal,
      withinWindow: against(v.convertedWithinWindow, v.customers, tested && { converted: tested.convertedWithinWindow, customers: tested.customers }),
    };
  });
}

/** Customers at each step now: newest version first, each version's steps in its graph's order. */
function placesNow({ versions, now }: JourneyFigures): JourneyReport['now'] {
  const order = new Map(versions.map((v) => [v.version, [...reachable(v.steps, v.entry)]]));
  const rank = (version: number, stepId: string): number => { const i = order.get(version)?.indexOf(stepId) ?? -1; return i < 0 ? Number.MAX_SAFE_INTEGER : i; };
  const steps = [...now].sort((a, b) => b.version - a.version || rank(a.version, a.stepId) - rank(b.version, b.stepId) || byName(a.stepId, b.stepId));
  return { customers: steps.reduce((sum, s) => sum + s.customers, 0), steps };
}

/** The newest version's steps in the order its graph reaches them from the entry (zeros where nobody was), then any other step counted. */
function funnel({ versions, steps }: JourneyFigures): JourneyReport['steps'] {
  const latest = versions.at(-1);
  const ordered = latest ? [...reachable(latest.steps, latest.entry)] : [];
  const counted = new Map(steps.map((s) => [s.stepId, s.customers]));
  const others = [...counted.keys()].filter((id) => !ordered.includes(id)).sort(byName);
  return [...ordered, ...others].map((stepId) => ({ stepId, customers: counted.get(stepId) ?? 0 }));
}

export function reportService({ queries, costs }: ReportServiceDeps) {
  return {
    async channels(range: DateRange, model: AttributionModel): Promise<ChannelReport> {
      const { activity, conversions, unattributed } = await queries.channels(range, model);
      const names = [...new Set([...activity.map((a) => a.channel), ...conversions.map((c) => c.channel)])].sort(byName);
      const channels = names.map((channel) => {
        const a = activity.find((x) => x.channel === channel) ?? { reached: 0, sent: 0, transactional: 0, delivered: 0, opened: 0, clicked: 0 };
        const { converted, revenue } = conversions.find((x) => x.channel === channel) ?? { converted: 0, revenue: 0 };
        const perMessage = costs[channel];
        const cost = perMessage === undefined ? null : a.sent * perMessage;
        return {
          channel, reached: a.reached, sent: a.sent, transactional: a.transactional, delivered: a.delivered, opened: a.opened, clicked: a.clicked,
          converted, conversionRate: rate(converted, a.reached), revenue: cents(revenue),
          cost: cost === null ? null : tenThousandths(cost), costPerConversion: cost === null || converted === 0 ? null : tenThousandths(cost / converted),
        };
      });
      return { ...period(range), model, channels, unattributed: { conversions: unattributed.conversions, revenue: cents(unattributed.revenue) } };
    },

    async journey(journeyId: string, range: DateRange): Promise<JourneyReport> {
      const figures = await queries.journey(journeyId, range);
      if (!figures) throw new ApiError(404, 'not_found', `no journey "${journeyId}"`);
      const latest = figures.versions.at(-1);
      const goalExits = figures.exited.find((e) => e.reason === 'goal')?.customers ?? 0;
      return {
        journeyId, ...period(range), goal: latest?.goal?.event ?? null,
        conversionWindow: latest?.goal ? latest.goal.within ?? defaultGoalWindow : null,
        entered: figures.entered, goalRate: rate(goalExits, figures.entered),
        exitedOnGoal: goalExits, convertedWithinWindow: figures.convertedWithinWindow, windowConversionRate: rate(figures.convertedWithinWindow, figures.entered),
        steps: funnel(figures),
        exited: [...figures.exited].sort((a, b) => b.customers - a.customers || byName(a.reason, b.reason)),
        variants: compared(figures.variants),
        now: placesNow(figures),
      };
    },

    async lifecycle(range: DateRange): Promise<LifecycleReport> {
      const { stages, moves } = await queries.lifecycle(range);
      const counted = new Map(stages.map((s) => [s.stage, s.customers]));
      const names = [...ladder, ...[...counted.keys()].filter((s) => !(ladder as readonly string[]).includes(s)).sort(byName)];
      return {
        ...period(range),
        stages: names.map((stage) => ({ stage, customers: counted.get(stage) ?? 0 })),
        moves: [...moves].sort((a, b) => b.moves - a.moves || byName(a.from, b.from) || byName(a.to, b.to)),
      };
    },
  };
}

export type ReportService = ReturnType<typeof reportService>;
