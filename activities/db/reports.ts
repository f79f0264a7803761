// Reports over a date range [from, to): the figures, counted by MongoDB. Each pipeline starts with
// a $match on an indexed date field and reads its collection once, $facet sharing that pass among
// several countings. Distinct customers are counted as the $size of an $addToSet per group, and
// credits are narrowed with $filter before $unwind: on mongo-java-server (no secondary indexes,
// every pass a full scan) compound group keys and unwinding every credit cost several times more.
// Each operator used is checked against MongoDB 7's documented result in
// test/integration/mongo-compat.test.ts ("MongoDB operations the reports rely on").
import type { Document } from 'mongodb';
import type { AttributionModel } from '../../workflows/attribution/types.js';
import type { JourneyDefinition } from '../../workflows/journeys/types.js';
import { allHold } from '../../workflows/journeys/conditions.js';
import type { Models } from './models.js';

export interface DateRange { from: Date; to: Date }

/** Messages sent in the range on one channel, and what became of them. */
export interface ChannelActivity { channel: string; reached: number; sent: number; delivered: number; opened: number; clicked: number }
/** Conversions in the range credited to one channel under one model. */
export interface ChannelConversions { channel: string; converted: number; revenue: number }

export interface ChannelFigures {
  activity: ChannelActivity[];
  conversions: ChannelConversions[];
  /** Conversions in the range without any touch to credit. */
  unattributed: { conversions: number; revenue: number };
}

export interface VariantFigures { variant: string; customers: number; converted: number }

export interface JourneyFigures {
  /** Each version's definition: step order and goal. */
  versions: Pick<JourneyDefinition, 'version' | 'entry' | 'steps' | 'goal'>[];
  steps: { stepId: string; customers: number }[];
  entered: number;
  exited: { reason: string; customers: number }[];
  /** Every variant and the holdout, those who reached the goal counted as the report defines it. */
  variants: VariantFigures[];
}

export interface LifecycleFigures {
  stages: { stage: string; customers: number }[];
  moves: { from: string; to: string; moves: number }[];
}

type ReportModels = Pick<Models, 'messages' | 'conversions' | 'stageChanges' | 'journeyEvents' | 'customers' | 'events' | 'journeys' | 'journeyVersions'>;
type Goal = NonNullable<JourneyDefinition['goal']>;

const within = ({ from, to }: DateRange) => ({ $gte: from, $lt: to });
/** 1 when the field is set (not missing, not null), else 0. */
const isSet = (field: string) => ({ $cond: [{ $ifNull: [`$${field}`, false] }, 1, 0] });
/** Distinct customers per value of `key` among the documents matching `filter`. */
const customersBy = (filter: Document, key: string): Document[] => [
  { $match: filter },
  { $group: { _id: `$${key}`, customers: { $addToSet: '$customerId' } } },
  { $project: { customers: { $size: '$customers' } } },
];
const hasHoldout = (d: Pick<JourneyDefinition, 'steps'>): boolean => Object.values(d.steps).some((s) => s.type === 'split' && (s.holdout ?? 0) > 0);
const arms = { variant: { $exists: true, $ne: 'holdout' } };

interface Counted { _id: string; customers: number }
interface JourneyFacets {
  steps: Counted[];
  entered: Counted[];
  exited: Counted[];
  variants: Counted[];
  converted: Counted[];
  /** Each held-out customer's first hold-out in the range, and that enrollment's version. */
  holdout: { _id: string; at: Date; version: number }[];
}

export function reportQueries(models: ReportModels) {
  const { messages, conversions, stageChanges, journeyEvents, customers, events, journeys, journeyVersions } = models;

  /**
   * Who did the goal in the range, with each one's latest time (the holdout asks only "at or after
   * being held out"). Conditions are checked with the journey's own `allHold`, as the workflow does.
   */
  async function goalReached(range: DateRange, goal: Goal): Promise<Map<string, number>> {
    const match = { $match: { name: goal.event, timestamp: within(range) } };
    const latest = new Map<string, number>();
    if (!goal.where?.length) {
      const found = await events.aggregate<{ _id: string; at: Date }>([match, { $group: { _id: '$customerId', at: { $max: '$timestamp' } } }]).toArray();
      for (const d of found) latest.set(d._id, d.at.getTime());
      return latest;
    }
    const found = await events.aggregate<{ customerId: string; timestamp: Date; properties?: Record<string, unknown> }>([
      match, { $project: { _id: 0, customerId: 1, timestamp: 1, properties: 1 } },
    ]).toArray();
    for (const e of found) {
      if (allHold(goal.where, e.properties ?? {})) latest.set(e.customerId, Math.max(latest.get(e.customerId) ?? 0, e.timestamp.getTime()));
    }
    return latest;
  }

  /**
   * The holdout left the journey, so its conversions are read from the events: a customer
   * converted who did the goal of the version that first held them out in the range, at or after
   * that moment and before the range ends.
   */
  function holdoutFigures(heldOut: JourneyFacets['holdout'], reached: Map<number, Map<string, number>>): VariantFigures | undefined {
    if (heldOut.length === 0) return undefined;
    const converted = heldOut.filter(({ _id, at, version }) => (reached.get(version)?.get(_id) ?? -Infinity) >= at.getTime());
    return { variant: 'holdout', customers: heldOut.length, converted: converted.length };
  }

  return {
    async channels(range: DateRange, model: AttributionModel): Promise<ChannelFigures> {
      const [activity, [credit]] = await Promise.all([
        messages.aggregate<Omit<ChannelActivity, 'channel'> & { _id: string }>([
          { $match: { sentAt: within(range) } },
          {
            $group: {
              _id: '$channel', reached: { $addToSet: '$customerId' },
              sent: { $sum: 1 }, delivered: { $sum: isSet('deliveredAt') }, opened: { $sum: isSet('openedAt') }, clicked: { $sum: isSet('clickedAt') },
            },
          },
          { $project: { reached: { $size: '$reached' }, sent: 1, delivered: 1, opened: 1, clicked: 1 } },
        ]).toArray(),
        conversions.aggregate<{ credited: { _id: string; converted: number; revenue: number }[]; unattributed: { conversions: number; revenue: number }[] }>([
          { $match: { at: within(range) } },
          {
            $facet: {
              credited: [
                { $project: { credits: { $filter: { input: '$credits', cond: { $eq: ['$$this.model', model] } } } } },
                { $unwind: '$credits' },
                // A set of conversions: one counts once per channel, however many of its touches are there.
                { $group: { _id: '$credits.channel', converted: { $addToSet: '$_id' }, revenue: { $sum: '$credits.amount' } } },
                { $project: { converted: { $size: '$converted' }, revenue: 1 } },
              ],
              unattributed: [
                { $match: { 'credits.0': { $exists: false } } },
                { $group: { _id: null, conversions: { $sum: 1 }, revenue: { $sum: '$revenue' } } },
              ],
            },
          },
        ]).toArray(),
      ]);
      const unattributed = credit?.unattributed[0];
      return {
        activity: activity.map(({ _id, ...counts }) => ({ channel: _id, ...counts })),
        conversions: (credit?.credited ?? []).map(({ _id, converted, revenue }) => ({ channel: _id, converted, revenue })),
        unattributed: { conversions: unattributed?.conversions ?? 0, revenue: unattributed?.revenue ?? 0 },
      };
    },

    /** Undefined when there is no such journey. */
    async journey(journeyId: string, range: DateRange): Promise<JourneyFigures | undefined> {
      const [journey, versions] = await Promise.all([
        journeys.findOne({ _id: journeyId }, { projection: { _id: 1 } }),
        journeyVersions.find({ journeyId }, { projection: { definition: 1 } }).sort({ version: 1 }).toArray(),
      ]);
      if (!journey) return undefined;
      const definitions = versions.map(({ definition: { version, entry, steps, goal } }) => ({ version, entry, steps, ...(goal && { goal }) }));
      // The holdout's goals are read alongside the journey's events, for each version that holds customers out.
      const goals = new Map<string, { goal: Goal; versions: number[] }>();
      for (const d of definitions.filter((v) => v.goal && hasHoldout(v))) {
        const key = JSON.stringify(d.goal);
        goals.set(key, { goal: d.goal!, versions: [...(goals.get(key)?.versions ?? []), d.version] });
      }
      const [[facets], reachedByGoal] = await Promise.all([
        journeyEvents.aggregate<JourneyFacets>([
          { $match: { journeyId, at: within(range) } },
          {
            $facet: {
              steps: customersBy({ type: { $in: ['entered', 'step'] } }, 'stepId'),
              entered: customersBy({ type: 'entered' }, 'type'),
              exited: customersBy({ type: 'exited' }, 'reason'),
              variants: customersBy(arms, 'variant'),
              converted: customersBy({ ...arms, reason: 'goal' }, 'variant'),
              holdout: [
                { $match: { variant: 'holdout' } },
                { $sort: { at: 1, version: 1 } },
                { $group: { _id: '$customerId', at: { $first: '$at' }, version: { $first: '$version' } } },
              ],
            },
          },
        ]).toArray(),
        Promise.all([...goals.values()].map(async ({ goal, versions: vs }) => ({ versions: vs, reached: await goalReached(range, goal) }))),
      ]);
      const reached = new Map(reachedByGoal.flatMap(({ versions: vs, reached: r }) => vs.map((v) => [v, r] as const)));
      const holdout = holdoutFigures(facets?.holdout ?? [], reached);
      return {
        versions: definitions,
        steps: (facets?.steps ?? []).map((s) => ({ stepId: s._id, customers: s.customers })),
        entered: facets?.entered[0]?.customers ?? 0,
        exited: (facets?.exited ?? []).map((e) => ({ reason: e._id, customers: e.customers })),
        variants: [
          ...(facets?.variants ?? []).map((v) => ({ variant: v._id, customers: v.customers, converted: facets?.converted.find((c) => c._id === v._id)?.customers ?? 0 })),
          ...(holdout ? [holdout] : []),
        ],
      };
    },

    async lifecycle(range: DateRange): Promise<LifecycleFigures> {
      const [stages, moves] = await Promise.all([
        customers.aggregate<Counted>([
          { $match: { mergedInto: { $exists: false } } },
          { $group: { _id: '$stage', customers: { $sum: 1 } } },
        ]).toArray(),
        stageChanges.aggregate<{ _id: { from: string; to: string }; moves: number }>([
          { $match: { at: within(range) } },
          { $group: { _id: { from: '$from', to: '$to' }, moves: { $sum: 1 } } },
        ]).toArray(),
      ]);
      return {
        stages: stages.map((s) => ({ stage: s._id, customers: s.customers })),
        moves: moves.map((m) => ({ from: m._id.from, to: m._id.to, moves: m.moves })),
      };
    },
  };
}

export type ReportQueries = ReturnType<typeof reportQueries>;
