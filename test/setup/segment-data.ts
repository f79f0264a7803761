// Random but reproducible customers, events and segment rules, for proving that the MongoDB
// query of a segment selects exactly the customers inSegment selects.
import type { CustomerDoc, EventDoc } from '../../store/models.js';
import type { BehaviourRule, Condition, SegmentRule } from '../../workflows/segments/types.js';
import { stages } from '../../workflows/lifecycle/rules.js';
import { scoresOf } from '../../workflows/lifecycle/scores.js';
import { random, type Random } from '../../scripts/random.js';

const D = 86_400_000;

export { random };

/** An instant `days` from `now`'s UTC day, often exactly on a day's first or last millisecond. */
function instant(r: Random, now: number, days: number): Date {
  const start = (Math.floor(now / D) + days) * D;
  return new Date(r.chance(0.2) ? start : r.chance(0.25) ? start + D - 1 : start + r.int(0, D - 1));
}

export function customers(r: Random, count: number, now: number): CustomerDoc[] {
  return Array.from({ length: count }, (_, i) => {
    const orders = r.int(0, 6);
    const traits: Record<string, unknown> = {};
    if (r.chance(0.8)) traits.city = r.pick(['Shanghai', 'Beijing', 'Shenzhen', 'Hangzhou', null]);
    if (r.chance(0.7)) traits.age = r.chance(0.8) ? r.int(18, 70) : String(r.int(18, 70));
    if (r.chance(0.5)) traits.sizes = r.pick([() => [r.pick([36, 38, 40]), r.pick([38, 40, 42])], () => r.pick([38, 40]), () => [null], () => [], () => null])();
    const consent: Record<string, boolean> = {};
    if (r.chance(0.6)) consent.email = r.chance(0.7);
    if (r.chance(0.4)) consent.sms = r.chance(0.5);
    const tier = r.pick([undefined, 'bronze', 'silver', 'gold']);
    const counters = {
      events: r.int(0, 50), orders, spend: r.int(0, 500_000) / 100,
      ...(r.chance(0.9) && { lastSeenAt: instant(r, now, -r.int(0, 120)).toISOString() }),
      ...(orders > 0 && { lastOrderAt: instant(r, now, -r.int(0, 120)).toISOString() }),
    };
    return {
      _id: `r${String(i).padStart(4, '0')}`,
      stage: r.pick(stages),
      ...(tier !== undefined && { tier }),
      points: r.int(0, 3000),
      counters,
      scores: scoresOf(counters, now),
      followed: r.chance(0.5), registered: r.chance(0.5),
      tags: ['vip', 'vip-lapsed', 'wholesale', 'newsletter', 'b2b'].filter(() => r.chance(0.3)),
      consent, traits, recentMessageIds: [], mergedFrom: [], revision: 1, updatedAt: new Date(now),
      ...(r.chance(0.03) && { mergedInto: 'r0000' }),
    };
  });
}

const eventNames = ['Product Searched', 'Order Completed', 'Product Viewed', 'Page Viewed'] as const;

export function events(r: Random, customerIds: string[], count: number, now: number): EventDoc[] {
  return Array.from({ length: count }, (_, i) => {
    const properties: Record<string, unknown> = {};
    if (r.chance(0.8)) properties.total = r.chance(0.85) ? r.int(0, 1000) : String(r.int(0, 1000));
    if (r.chance(0.7)) properties.channel = r.pick(['pos', 'web', 'app']);
    if (r.chance(0.6)) properties.category = r.chance(0.7) ? r.pick(['skincare', 'makeup', 'fragrance']) : ['skincare-set', r.pick(['gift', 'makeup', 'skincare'])];
    if (r.chance(0.4)) properties.query = r.pick(['vitamin c serum', 'serum', 'sunscreen', 'Serum']);
    return {
      _id: `e${i}`, customerId: r.chance(0.97) ? r.pick(customerIds) : 'unknown-customer', kind: 'track', name: r.pick(eventNames),
      properties, traits: {}, timestamp: instant(r, now, -r.int(0, 100) + (r.chance(0.05) ? 3 : 0)),
    };
  });
}

const c = (field: string, op: Condition['op'], value?: Condition['value']): Condition => ({ field, op, ...(value !== undefined && { value }) });

function profileLeaf(r: Random): SegmentRule {
  const leaves: (() => Condition)[] = [
    () => c('stage', r.pick(['eq', 'neq'] as const), r.pick(stages)),
    () => c('stage', 'in', [r.pick(stages), r.pick(stages)]),
    () => c('tier', r.pick(['eq', 'neq'] as const), r.pick(['gold', 'silver', 'bronze'])),
    () => c('tier', 'exists', r.pick([true, false])),
    () => c('points', r.pick(['gt', 'gte', 'lt', 'lte'] as const), r.int(0, 3000)),
    () => c('tags', r.pick(['contains', 'eq', 'neq'] as const), r.pick(['vip', 'wholesale', 'b2b'])),
    () => c('traits.city', r.pick(['eq', 'neq', 'contains'] as const), r.pick(['Shanghai', 'hai', 'Beijing'])),
    () => c('traits.city', 'exists', r.pick([true, false])),
    () => c('traits.age', r.pick(['gte', 'lt', 'eq'] as const), r.chance(0.8) ? r.int(18, 70) : String(r.int(18, 70))),
    () => c('traits.sizes', r.pick(['eq', 'gt', 'contains', 'in'] as const), r.pick([38, 40])),
    () => c('traits.sizes', 'exists', r.pick([true, false])),
    () => c('consent.email', r.pick(['eq', 'neq'] as const), r.pick([true, false])),
    () => c('consent.sms', 'exists', r.pick([true, false])),
    () => c('counters.orders', r.pick(['gte', 'lt'] as const), r.int(0, 5)),
    () => c('counters.lastOrderAt', r.pick(['lt', 'gte'] as const), `${r.int(1, 100)} days ago`),
    () => c('counters.lastSeenAt', 'gte', new Date(Date.UTC(2026, 1, r.int(1, 28))).toISOString().slice(0, 10)),
    () => c(`scores.${r.pick(['r', 'f', 'm', 'attrition', 'potential'])}`, r.pick(['gte', 'lte', 'eq'] as const), r.int(0, 5)),
    () => c('scores.rfm', r.pick(['eq', 'in'] as const), r.pick(['555', '111', '511', '151'])),
  ];
  const leaf = r.pick(leaves)();
  if (leaf.op === 'in' && !Array.isArray(leaf.value)) leaf.value = [leaf.value as number];
  return { type: 'profile', ...leaf };
}

function behaviourLeaf(r: Random): BehaviourRule {
  const where: (() => Condition)[] = [
    () => c('total', r.pick(['gte', 'lt'] as const), r.int(0, 1000)),
    () => c('channel', r.pick(['eq', 'neq'] as const), r.pick(['pos', 'web'])),
    () => c('channel', 'in', ['pos', 'app']),
    () => c('category', r.pick(['contains', 'eq'] as const), r.pick(['skincare', 'makeup'])),
    () => c('query', 'contains', 'serum'),
  ];
  const n = r.pick([0, 0, 1, 2]);
  return {
    type: 'behaviour', event: r.pick(eventNames),
    ...(n > 0 && { where: Array.from({ length: n }, () => r.pick(where)()) }),
    within: r.pick(['1 day', '3 days', '7 days', '1 week', '14 days', '30 days', '90 days', '48h']),
    count: r.pick([{ gte: 1 }, { lte: 0 }, { gte: 2, lte: 4 }, { gte: 0, lte: 1 }, { lte: 2 }, { gte: 3 }]),
  };
}

/** A random rule nested up to `depth` levels of AND / OR / NOT. */
export function rule(r: Random, depth: number): SegmentRule {
  if (depth === 0 || r.chance(0.3)) return r.chance(0.6) ? profileLeaf(r) : behaviourLeaf(r);
  if (r.chance(0.2)) return { type: 'not', rule: rule(r, depth - 1) };
  return { type: r.pick(['and', 'or'] as const), rules: Array.from({ length: r.int(1, 3) }, () => rule(r, depth - 1)) };
}
