// Reports over a date range [from, to): the figures, counted by MongoDB a day at a time and kept
// per day (report-days.ts), so a report over whole days reads one stored document per day and
// counts only the days written since it was last asked for. What is kept per day can be added up:
// counts, and for "distinct customers" the day's customer ids, united over the range here. (The
// lifecycle report's customers per stage are a count of the profiles as they are now.)
// Each pipeline starts with a $match on an indexed date field and groups by UTC day
// ($dateToString); each operator used is checked against MongoDB 7's documented result in
// test/integration/mongo-compat.test.ts ("MongoDB operations the reports rely on").
import type { Document } from 'mongodb';
import type { AttributionModel } from '../workflows/attribution/types.js';
import type { JourneyDefinition } from '../workflows/journeys/types.js';
import type { Models } from './models.js';
import { dailyFigures, type DailySource, type DateRange } from './report-days.js';

export type { DateRange };

/** Messages sent in the range on one channel, and what became of them. */
export interface ChannelActivity { channel: string; reached: number; sent: number; transactional: number; delivered: number; opened: number; clicked: number }
/** Conversions in the range credited to one channel under one model. */
export interface ChannelConversions { channel: string; converted: number; revenue: number }

export interface ChannelFigures {
  activity: ChannelActivity[];
  conversions: ChannelConversions[];
  /** Conversions in the range without any touch to credit. */
  unattributed: { conversions: number; revenue: number };
}

export interface VariantFigures {
  variant: string;
  customers: number;
  /** Arms: left on reaching the goal; the holdout: reached it within its window (the report's first reading). */
  converted: number;
  /** Left the journey on reaching the goal (never the holdout: it left at the split). */
  exitedOnGoal: number;
  /** Reached the goal within the conversion window, inside the journey or after leaving it. */
  convertedWithinWindow: number;
}

export interface JourneyFigures {
  /** Each version's definition: step order and goal. */
  versions: Pick<JourneyDefinition, 'version' | 'entry' | 'steps' | 'goal'>[];
  steps: { stepId: string; customers: number }[];
  entered: number;
  exited: { reason: string; customers: number }[];
  /** Distinct customers who reached the goal within the conversion window (a `converted` record), with a variant or none. */
  convertedWithinWindow: number;
  /** Every variant and the holdout: customers assigned, and those who reached the goal. */
  variants: VariantFigures[];
  /** Customers in the journey now (whatever the range), by version and step: their places as `customers.journeys` records them. */
  now: { version: number; stepId: string; customers: number }[];
}

export interface LifecycleFigures {
  stages: { stage: string; customers: number }[];
  moves: { from: string; to: string; moves: number }[];
}

type ReportModels = Pick<Models, 'messages' | 'conversions' | 'stageChanges' | 'journeyEvents' | 'customers' | 'journeys' | 'journeyVersions' | 'reportDays'>;

// What one day keeps. Arrays of entries, not objects keyed by name: names may hold dots.
/** `transactional`: absent on days counted before it was (read as 0 until the day is counted again). */
type MessagesDay = { channel: string; reached: string[]; sent: number; transactional?: number; delivered: number; opened: number; clicked: number }[];
/** Revenue in whole cents: a day's sum of cent amounts, rounded once, adds up exactly. */
type ConversionsDay = { credits: { model: string; channel: string; converted: number; cents: number }[]; unattributed: { conversions: number; cents: number } };
type JourneyDay = { type: string; stepId?: string; reason?: string; variant?: string; customers: string[] }[];
type StagesDay = { from: string; to: string; moves: number }[];

const within = ({ from, to }: DateRange) => ({ $gte: from, $lt: to });
const inRanges = (field: string, ranges: DateRange[]): Document => (ranges.length === 1 ? { [field]: within(ranges[0]!) } : { $or: ranges.map((r) => ({ [field]: within(r) })) });
const day = (field: string) => ({ $dateToString: { format: '%Y-%m-%d', date: `$${field}` } });
/** 1 when the field is set (not missing, not null), else 0. */
const isSet = (field: string) => ({ $cond: [{ $ifNull: [`$${field}`, false] }, 1, 0] });
const cents = (amount: number): number => Math.round(amount * 100);
const D = 86_400_000;
const noConversions = (): ConversionsDay => ({ credits: [], unattributed: { conversions: 0, cents: 0 } });

/** Groups aggregation rows by their `_id.day`. */
function byDay<R extends { _id: { day: string } }, F>(rows: R[], add: (figures: F, row: R) => void, empty: () => F): Map<string, F> {
  const days = new Map<string, F>();
  for (const row of rows) {
    let figures = days.get(row._id.day);
    if (!figures) days.set(row._id.day, (figures = empty()));
    add(figures, row);
  }
  return days;
}

/** Distinct members of the sets under each key. */
class Unions {
  private readonly sets = new Map<string, Set<string>>();
  add(key: string, members: Iterable<string>): void {
    const set = this.sets.get(key) ?? new Set<string>();
    for (const m of members) set.add(m);
    this.sets.set(key, set);
  }
  size(key: string): number { return this.sets.get(key)?.size ?? 0; }
  counts(): { key: string; count: number }[] { return [...this.sets].map(([key, set]) => ({ key, count: set.size })); }
}

export function reportQueries(models: ReportModels) {
  const { messages, conversions, stageChanges, journeyEvents, customers, journeys, journeyVersions } = models;
  const daily = dailyFigures(models.reportDays);

  const messagesDaily: DailySource<MessagesDay> = {
    name: 'messages',
    empty: [],
    async compute(ranges) {
      const rows = await messages.aggregate<MessagesDay[number] & { _id: { day: string; channel: string } }>([
        { $match: inRanges('sentAt', ranges) },
        {
          $group: {
            _id: { day: day('sentAt'), channel: '$channel' }, reached: { $addToSet: '$customerId' },
            sent: { $sum: 1 }, transactional: { $sum: { $cond: [{ $eq: ['$priority', 'transactional'] }, 1, 0] } }, delivered: { $sum: isSet('deliveredAt') }, opened: { $sum: isSet('openedAt') }, clicked: { $sum: isSet('clickedAt') },
          },
        },
      ]).toArray();
      return byDay(rows, (f: MessagesDay, { _id, ...counts }) => { f.push({ ...counts, channel: _id.channel }); }, () => []);
    },
  };

  const conversionsDaily: DailySource<ConversionsDay> = {
    name: 'conversions',
    empty: noConversions(),
    async compute(ranges) {
      const match = { $match: inRanges('at', ranges) };
      const [credited, unattributed] = await Promise.all([
        // A set of conversions: one counts once per channel and model, however many of its touches are there.
        conversions.aggregate<{ _id: { day: string; model: string; channel: string }; converted: string[]; revenue: number }>([
          match, { $unwind: '$credits' },
          { $group: { _id: { day: day('at'), model: '$credits.model', channel: '$credits.channel' }, converted: { $addToSet: '$_id' }, revenue: { $sum: '$credits.amount' } } },
        ]).toArray(),
        conversions.aggregate<{ _id: { day: string }; conversions: number; revenue: number }>([
          match, { $match: { 'credits.0': { $exists: false } } },
          { $group: { _id: { day: day('at') }, conversions: { $sum: 1 }, revenue: { $sum: '$revenue' } } },
        ]).toArray(),
      ]);
      const days = byDay(credited, (f: ConversionsDay, { _id, converted, revenue }) => {
        f.credits.push({ model: _id.model, channel: _id.channel, converted: converted.length, cents: cents(revenue) });
      }, noConversions);
      for (const row of unattributed) {
        const f = days.get(row._id.day) ?? noConversions();
        f.unattributed = { conversions: row.conversions, cents: cents(row.revenue) };
        days.set(row._id.day, f);
      }
      return days;
    },
  };

  const journeyDaily = (journeyId: string): DailySource<JourneyDay> => ({
    name: `journey|${journeyId}`,
    empty: [],
    async compute(ranges) {
      const rows = await journeyEvents.aggregate<{ _id: { day: string; type: string; stepId?: string; reason?: string; variant?: string }; customers: string[] }>([
        { $match: { journeyId, ...inRanges('at', ranges) } },
        { $group: { _id: { day: day('at'), type: '$type', stepId: '$stepId', reason: '$reason', variant: '$variant' }, customers: { $addToSet: '$customerId' } } },
      ]).toArray();
      return byDay(rows, (f: JourneyDay, { _id: { day: _day, ...group }, customers: ids }) => {
        f.push({ ...Object.fromEntries(Object.entries(group).filter(([, v]) => v !== undefined && v !== null)), type: group.type, customers: ids });
      }, () => []);
    },
  });

  const stagesDaily: DailySource<StagesDay> = {
    name: 'stages',
    empty: [],
    async compute(ranges) {
      const rows = await stageChanges.aggregate<{ _id: { day: string; from: string; to: string }; moves: number }>([
        { $match: inRanges('at', ranges) },
        { $group: { _id: { day: day('at'), from: '$from', to: '$to' }, moves: { $sum: 1 } } },
      ]).toArray();
      return byDay(rows, (f: StagesDay, { _id, moves }) => { f.push({ from: _id.from, to: _id.to, moves }); }, () => []);
    },
  };

  const sourceNamed = (name: string): DailySource<unknown> | undefined =>
    (name === messagesDaily.name ? messagesDaily : name === conversionsDaily.name ? conversionsDaily : name === stagesDaily.name ? stagesDaily
      : name.startsWith('journey|') ? journeyDaily(name.slice('journey|'.length)) : undefined) as DailySource<unknown> | undefined;

  return {
    /**
     * Ahead of the next report: counts again every day written since its figures were stored, and
     * stores the figures of the last `recentDays` whole days (today included) of every source that
     * has none yet, so that the first report after an upgrade or a quiet spell is served too.
     */
    async refreshStale(recentDays = 90, now = Date.now()): Promise<{ days: number }> {
      let days = 0;
      for (const [name, stale] of await daily.stale()) {
        const source = sourceNamed(name);
        if (!source) continue;
        await daily.refresh(source, stale);
        days += stale.length;
      }
      const to = Math.floor(now / D) * D + D;
      const recent = { from: new Date(to - recentDays * D), to: new Date(to) };
      const journeyIds = (await journeys.find({}, { projection: { _id: 1 } }).toArray()).map((j) => j._id);
      for (const source of [messagesDaily, conversionsDaily, stagesDaily, ...journeyIds.map(journeyDaily)] as DailySource<unknown>[]) {
        await daily.read(source, recent, now);
      }
      return { days };
    },

    async channels(range: DateRange, model: AttributionModel): Promise<ChannelFigures> {
      const [sentDays, conversionDays] = await Promise.all([daily.read(messagesDaily, range), daily.read(conversionsDaily, range)]);
      const reached = new Unions();
      const activity = new Map<string, Omit<ChannelActivity, 'reached'>>();
      for (const f of sentDays.flat()) {
        reached.add(f.channel, f.reached);
        const a = activity.get(f.channel) ?? { channel: f.channel, sent: 0, transactional: 0, delivered: 0, opened: 0, clicked: 0 };
        activity.set(f.channel, {
          channel: f.channel, sent: a.sent + f.sent, transactional: a.transactional + (f.transactional ?? 0),
          delivered: a.delivered + f.delivered, opened: a.opened + f.opened, clicked: a.clicked + f.clicked,
        });
      }
      const credited = new Map<string, { converted: number; cents: number }>();
      const unattributed = { conversions: 0, cents: 0 };
      for (const f of conversionDays) {
        for (const c of f.credits.filter((x) => x.model === model)) {
          const sum = credited.get(c.channel) ?? { converted: 0, cents: 0 };
          credited.set(c.channel, { converted: sum.converted + c.converted, cents: sum.cents + c.cents });
        }
        unattributed.conversions += f.unattributed.conversions;
        unattributed.cents += f.unattributed.cents;
      }
      return {
        activity: [...activity.values()].map((a) => ({ ...a, reached: reached.size(a.channel) })),
        conversions: [...credited].map(([channel, c]) => ({ channel, converted: c.converted, revenue: c.cents / 100 })),
        unattributed: { conversions: unattributed.conversions, revenue: unattributed.cents / 100 },
      };
    },

    /** Undefined when there is no such journey. */
    async journey(journeyId: string, range: DateRange): Promise<JourneyFigures | undefined> {
      const [journey, versions, days, now] = await Promise.all([
        journeys.findOne({ _id: journeyId }, { projection: { _id: 1 } }),
        journeyVersions.find({ journeyId }, { projection: { definition: 1 } }).sort({ version: 1 }).toArray(),
        daily.read(journeyDaily(journeyId), range),
        // Who is where now: the summary each workflow writes with its profile (one place per journey
        // and customer), read through the `journeys.journeyId` index: no journey event is counted.
        customers.aggregate<{ _id: { version: number; stepId: string }; customers: number }>([
          { $match: { 'journeys.journeyId': journeyId, mergedInto: { $exists: false } } },
          { $unwind: '$journeys' },
          { $match: { 'journeys.journeyId': journeyId } },
          { $group: { _id: { version: '$journeys.version', stepId: '$journeys.stepId' }, customers: { $sum: 1 } } },
        ]).toArray(),
      ]);
      if (!journey) return undefined;
      const steps = new Unions();
      const entered = new Unions();
      const exited = new Unions();
      const variants = new Unions();
      const converted = new Unions();
      const onGoal = new Unions();
      const inWindow = new Unions();
      const anyWindow = new Unions();
      for (const g of days.flat()) {
        if ((g.type === 'entered' || g.type === 'step') && g.stepId !== undefined) steps.add(g.stepId, g.customers);
        if (g.type === 'entered') entered.add('', g.customers);
        if (g.type === 'exited' && g.reason !== undefined) exited.add(g.reason, g.customers);
        if (g.type === 'converted') anyWindow.add('', g.customers);
        if (g.variant === undefined) continue;
        variants.add(g.variant, g.customers);
        const goalExit = g.type === 'exited' && g.reason === 'goal';
        if (goalExit) onGoal.add(g.variant, g.customers);
        if (g.type === 'converted') inWindow.add(g.variant, g.customers);
        // The first reading: arms convert by leaving on the goal; the holdout, by reaching it within its window.
        if (goalExit || (g.type === 'converted' && g.variant === 'holdout')) converted.add(g.variant, g.customers);
      }
      return {
        versions: versions.map(({ definition: { version, entry, steps: s, goal } }) => ({ version, entry, steps: s, ...(goal && { goal }) })),
        steps: steps.counts().map(({ key, count }) => ({ stepId: key, customers: count })),
        entered: entered.size(''),
        exited: exited.counts().map(({ key, count }) => ({ reason: key, customers: count })),
        convertedWithinWindow: anyWindow.size(''),
        variants: variants.counts().map(({ key, count }) => ({
          variant: key, customers: count, converted: converted.size(key), exitedOnGoal: onGoal.size(key), convertedWithinWindow: inWindow.size(key),
        })),
        now: now.map((n) => ({ version: n._id.version, stepId: n._id.stepId, customers: n.customers })),
      };
    },

    async lifecycle(range: DateRange): Promise<LifecycleFigures> {
      const [stages, days] = await Promise.all([
        customers.aggregate<{ _id: string; customers: number }>([
          { $match: { mergedInto: { $exists: false } } },
          { $group: { _id: '$stage', customers: { $sum: 1 } } },
        ]).toArray(),
        daily.read(stagesDaily, range),
      ]);
      const moves = new Map<string, { from: string; to: string; moves: number }>();
      for (const m of days.flat()) {
        const key = JSON.stringify([m.from, m.to]);
        moves.set(key, { from: m.from, to: m.to, moves: (moves.get(key)?.moves ?? 0) + m.moves });
      }
      return { stages: stages.map((s) => ({ stage: s._id, customers: s.customers })), moves: [...moves.values()] };
    },
  };
}

export type ReportQueries = ReturnType<typeof reportQueries>;
