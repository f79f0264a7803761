// Segments in MongoDB: a rule compiled to one `find` filter on `customers`. Behaviour leaves are
// resolved first, each by one aggregation on `events`, into sets of customer ids; every other leaf
// maps onto MongoDB operators with exactly the meaning of workflows/segments/conditions.ts. Each
// leaf is then a per-customer predicate equal to inSegment's, so AND/OR/NOT ($and/$or/$nor)
// compose them exactly. Profile leaves on stage, tier and tags use those fields' indexes.
import type { Collection, Document, Filter } from 'mongodb';
import type { BehaviourRule, Condition, SegmentRule } from '../workflows/segments/types.js';
import { dayMs, dayOf, resolveValue, windowDays } from '../workflows/segments/conditions.js';
import { behaviourKey, countFits } from '../workflows/segments/evaluate.js';
import type { CustomerDoc, EventDoc } from './models.js';

const nothing: Document = { _id: { $in: [] } };
const everything: Document = {};

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `condition` on the value at `path` (`tier`, `traits.city`, `properties.total`), as `satisfies` means it. */
export function conditionFilter(condition: Condition, path: string, now: number): Document {
  const value = resolveValue(condition.field, condition.value, now);
  const one = value !== undefined && !Array.isArray(value) ? value : undefined;
  // Present and not null; an array always counts, even [null] (which `$ne: null` would exclude).
  const present = { $or: [{ [path]: { $type: 'array' } }, { [path]: { $ne: null } }] };
  switch (condition.op) {
    case 'exists': return value !== false ? present : { $nor: [present] };
    case 'eq': return one !== undefined ? { [path]: one } : nothing;
    case 'neq': return one !== undefined ? { [path]: { $ne: one } } : everything;
    case 'in': return Array.isArray(value) ? { [path]: { $in: value } } : nothing;
    case 'contains': {
      if (one === undefined) return nothing;
      const element = { $and: [{ [path]: { $type: 'array' } }, { [path]: one }] };
      // A piece of a text; `$regex` alone would also match a piece of an array's element.
      return typeof one === 'string' ? { $or: [element, { [path]: { $regex: escapeRegex(one), $not: { $type: 'array' } } }] } : element;
    }
    default:
      return one !== undefined && typeof one !== 'boolean' ? { [path]: { [`$${condition.op}`]: one } } : nothing;
  }
}

/** The customers whose count of the rule's behaviour fits its bounds, as a filter on `_id`. */
async function behaviourFilter(events: Collection<EventDoc>, rule: BehaviourRule, now: number): Promise<Document> {
  const days = windowDays(rule.within);
  const zeroFits = countFits(0, rule.count);
  if (days === 0 || (zeroFits && rule.count.lte === undefined)) return zeroFits ? everything : nothing;
  const today = dayOf(now);
  const where = (rule.where ?? []).map((c) => conditionFilter(c, `properties.${c.field}`, now));
  const { gte, lte } = rule.count;
  // Customers without any such event have 0: when 0 fits, leave out those above `lte`; otherwise keep those within.
  const counted = zeroFits ? { n: { $gt: lte } } : { n: { ...(gte !== undefined && { $gte: gte }), ...(lte !== undefined && { $lte: lte }) } };
  const ids = await events.aggregate<{ _id: string }>([
    {
      $match: {
        name: rule.event,
        timestamp: { $gte: new Date((today - days + 1) * dayMs), $lt: new Date((today + 1) * dayMs) },
        ...(where.length > 0 && { $and: where }),
      },
    },
    { $group: { _id: '$customerId', n: { $sum: 1 } } },
    { $match: counted },
  ]).toArray();
  return { _id: { [zeroFits ? '$nin' : '$in']: ids.map((d) => d._id) } };
}

/**
 * The `customers` filter selecting exactly the customers in the segment at `now` (never one merged
 * into another). Behaviour is resolved at call time: the filter is for immediate use.
 */
export async function segmentFilter(events: Collection<EventDoc>, rule: SegmentRule, now: number): Promise<Filter<CustomerDoc>> {
  const leaves = new Map<string, { rule: BehaviourRule; filter?: Document }>();
  const leafId = (r: BehaviourRule) => JSON.stringify([behaviourKey(r), windowDays(r.within), r.count.gte ?? null, r.count.lte ?? null]);
  const collect = (r: SegmentRule): void => {
    if (r.type === 'and' || r.type === 'or') r.rules.forEach(collect);
    else if (r.type === 'not') collect(r.rule);
    else if (r.type === 'behaviour' && !leaves.has(leafId(r))) leaves.set(leafId(r), { rule: r });
  };
  collect(rule);
  await Promise.all([...leaves.values()].map(async (leaf) => { leaf.filter = await behaviourFilter(events, leaf.rule, now); }));

  const build = (r: SegmentRule): Document => {
    switch (r.type) {
      case 'and': return r.rules.length > 0 ? { $and: r.rules.map(build) } : everything;
      case 'or': return r.rules.length > 0 ? { $or: r.rules.map(build) } : nothing;
      case 'not': return { $nor: [build(r.rule)] };
      case 'profile': return conditionFilter(r, r.field, now);
      case 'behaviour': return leaves.get(leafId(r))!.filter!;
    }
  };
  return { $and: [{ mergedInto: { $exists: false } }, build(rule)] } as Filter<CustomerDoc>;
}

export interface SegmentPreview {
  count: number;
  /** The first customers by id. */
  sample: { id: string; stage: string; tier?: string }[];
}

export function segmentQueries({ customers, events }: { customers: Collection<CustomerDoc>; events: Collection<EventDoc> }) {
  return {
    filter: (rule: SegmentRule, now: number) => segmentFilter(events, rule, now),

    async preview(rule: SegmentRule, now: number, sampleSize = 20): Promise<SegmentPreview> {
      const filter = await segmentFilter(events, rule, now);
      const [count, sample] = await Promise.all([
        customers.countDocuments(filter),
        customers.find(filter, { projection: { stage: 1, tier: 1 } }).sort({ _id: 1 }).limit(sampleSize).toArray(),
      ]);
      return { count, sample: sample.map((d) => ({ id: d._id, stage: d.stage, ...(d.tier !== undefined && d.tier !== null && { tier: d.tier }) })) };
    },
  };
}

export type SegmentQueries = ReturnType<typeof segmentQueries>;
