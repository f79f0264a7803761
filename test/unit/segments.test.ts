// Segment rules as pure functions: who is in, how behaviour windows end, how small the log stays.
import { describe, expect, it } from 'vitest';
import { initialState, type CustomerState } from '../../workflows/lifecycle/state.js';
import type { CustomerEvent } from '../../workflows/lifecycle/event.js';
import type { BehaviourLog, BehaviourRule, Condition, SegmentRule } from '../../workflows/segments/types.js';
import { behaviourCount, behaviourEventsOf, behaviourKey, emptyBehaviourLog, inSegment, recordBehaviour } from '../../workflows/segments/evaluate.js';
import { satisfies } from '../../workflows/segments/conditions.js';

const D = 86_400_000;
const now = Date.parse('2026-03-10T15:00:00Z');

function customer(id: string, patch: Partial<CustomerState> = {}): CustomerState {
  return { ...initialState(id), ...patch };
}

let n = 0;
const event = (name: string, at: string | number, properties: Record<string, unknown> = {}): CustomerEvent =>
  ({ messageId: `m${++n}`, kind: 'track', name, properties, traits: {}, timestamp: new Date(at).toISOString() });

const profile = (field: string, op: Condition['op'], value?: Condition['value']): SegmentRule =>
  ({ type: 'profile', field, op, ...(value !== undefined && { value }) });

describe('segment rules over the profile', () => {
  const people = [
    customer('ana', { stage: 'customer', tier: 'gold', tags: ['vip'], points: 1200, traits: { city: 'Shanghai' }, consent: { email: true } }),
    customer('bo', { stage: 'member', traits: { city: 'Beijing' }, consent: { email: false } }),
    customer('cy', { stage: 'loyal', tier: 'silver', tags: ['wholesale', 'vip'], traits: { age: 34 } }),
    customer('dee', { stage: 'at_risk', tier: 'bronze', traits: { city: 'Shanghai' }, consent: { email: false } }),
    customer('eve', { stage: 'stranger', traits: { city: null } }),
    customer('fay', { stage: 'customer', tier: 'gold', tags: ['vip'], traits: { city: 'Shanghai' }, mergedInto: 'ana' }),
  ];
  const who = (rule: SegmentRule) => people.filter((p) => inSegment(rule, p, emptyBehaviourLog(), now)).map((p) => p.customerId);

  it('selects exactly the customers a nested AND / OR / NOT rule describes, and never a merged-away one', () => {
    const rule: SegmentRule = {
      type: 'and', rules: [
        { type: 'or', rules: [profile('tier', 'in', ['gold', 'silver']), profile('tags', 'contains', 'vip'), profile('stage', 'eq', 'stranger')] },
        { type: 'not', rule: profile('consent.email', 'eq', false) },
        { type: 'or', rules: [profile('traits.city', 'eq', 'Shanghai'), { type: 'not', rule: profile('traits.city', 'exists') }] },
      ],
    };
    expect(who(rule)).toEqual(['ana', 'cy', 'eve']);
    expect(who({ type: 'not', rule })).toEqual(['bo', 'dee']);
    expect(who({ type: 'or', rules: [profile('points', 'gte', 1000), profile('stage', 'in', ['member'])] })).toEqual(['ana', 'bo']);
    expect(who({ type: 'not', rule: { type: 'not', rule: { type: 'not', rule: profile('tier', 'exists', false) } } })).toEqual(['ana', 'cy', 'dee']);
  });

  it('compares values by type, as MongoDB does: text is not a number, an array holds when an element does', () => {
    const p = { traits: { age: '34', size: 38, sizes: [38, 40], city: 'Shanghai', none: null, list: ['vipgold'] } };
    const holds = (field: string, op: Condition['op'], value?: Condition['value']) =>
      satisfies({ field: `traits.${field}`, op, ...(value !== undefined && { value }) }, p, now);
    expect([holds('age', 'eq', 34), holds('age', 'gte', 30), holds('age', 'eq', '34'), holds('age', 'gte', '30')]).toEqual([false, false, true, true]);
    expect([holds('size', 'gt', 37), holds('size', 'in', [36, 38]), holds('size', 'contains', 38)]).toEqual([true, true, false]);
    expect([holds('sizes', 'eq', 40), holds('sizes', 'gt', 39), holds('sizes', 'lt', 38), holds('sizes', 'neq', 38)]).toEqual([true, true, false, false]);
    expect([holds('city', 'contains', 'hai'), holds('list', 'contains', 'vip'), holds('list', 'contains', 'vipgold')]).toEqual([true, false, true]);
    expect([holds('none', 'exists'), holds('none', 'exists', false), holds('missing', 'neq', 'x'), holds('missing', 'lt', 5)]).toEqual([false, true, true, false]);
    // Inherited properties are not fields.
    expect(holds('constructor', 'exists')).toBe(false);
  });

  it('reads "30 days ago" on the date counters as 00:00 UTC of that day', () => {
    const lastOrderAt = (iso: string) => customer('x', { counters: { events: 1, orders: 1, spend: 10, lastOrderAt: iso } });
    const lapsed = profile('counters.lastOrderAt', 'lt', '30 days ago');
    // 10 March − 30 days = 8 February.
    expect(inSegment(lapsed, lastOrderAt('2026-02-07T23:59:59.999Z'), emptyBehaviourLog(), now)).toBe(true);
    expect(inSegment(lapsed, lastOrderAt('2026-02-08T00:00:00.000Z'), emptyBehaviourLog(), now)).toBe(false);
    expect(inSegment(profile('counters.lastOrderAt', 'gte', '2026-02-08'), lastOrderAt('2026-02-08T00:00:00.000Z'), emptyBehaviourLog(), now)).toBe(true);
    expect(inSegment(lapsed, customer('never'), emptyBehaviourLog(), now)).toBe(false);
  });
});

describe('segment rules over behaviour', () => {
  const searched: BehaviourRule = { type: 'behaviour', event: 'Product Searched', within: '7 days', count: { gte: 1 } };
  const noOrder: BehaviourRule = { type: 'behaviour', event: 'Order Completed', within: '30 days', count: { lte: 0 } };
  const tracked = behaviourEventsOf([searched, noOrder]);
  const logOf = (events: CustomerEvent[], at = now): BehaviourLog => recordBehaviour(emptyBehaviourLog(), events, tracked, at);
  const c = customer('c1');

  it('counts a 7-day window as today (UTC) and the six days before, to the millisecond at each edge', () => {
    expect(inSegment(searched, c, logOf([event('Product Searched', '2026-03-04T00:00:00.000Z')]), now)).toBe(true);
    expect(inSegment(searched, c, logOf([event('Product Searched', '2026-03-03T23:59:59.999Z')]), now)).toBe(false);
    expect(inSegment(searched, c, logOf([event('Product Searched', '2026-03-10T23:59:59.999Z')]), now)).toBe(true);
    // Tomorrow's event (a clock running ahead) counts from tomorrow.
    const early = logOf([event('Product Searched', '2026-03-11T00:00:00.000Z')]);
    expect(inSegment(searched, c, early, now)).toBe(false);
    expect(inSegment(searched, c, early, now + D)).toBe(true);
    // The window moves at 00:00 UTC: the 4 March search is gone on 11 March.
    expect(inSegment(searched, c, logOf([event('Product Searched', '2026-03-04T12:00:00Z')]), Date.parse('2026-03-11T00:00:00Z'))).toBe(false);
  });

  it('"searched in 7 days and no order in 30" holds until an order, and again once that order is 30 days old', () => {
    const rule: SegmentRule = { type: 'and', rules: [searched, noOrder] };
    const search = event('Product Searched', now - 2 * D);
    expect(inSegment(rule, c, logOf([search]), now)).toBe(true);
    const ordered = logOf([search, event('Order Completed', '2026-02-09T00:00:00Z')]);
    expect(inSegment(rule, c, ordered, now)).toBe(false);
    const later = recordBehaviour(ordered, [event('Product Searched', now + 30 * D)], tracked, now + 30 * D);
    expect(inSegment(rule, c, later, now + 30 * D)).toBe(true);
  });

  it('counts each property filter apart, whatever the order of its conditions', () => {
    const big: BehaviourRule = { type: 'behaviour', event: 'Order Completed', where: [{ field: 'total', op: 'gte', value: 500 }, { field: 'channel', op: 'eq', value: 'pos' }], within: '30 days', count: { gte: 2 } };
    const sameBig: BehaviourRule = { ...big, where: [...big.where!].reverse() };
    expect(behaviourKey(sameBig)).toBe(behaviourKey(big));
    const keys = behaviourEventsOf([{ type: 'or', rules: [noOrder, { type: 'not', rule: big }] }, sameBig, noOrder]);
    expect(keys).toEqual([behaviourKey(big), behaviourKey(noOrder)].sort());
    const log = recordBehaviour(emptyBehaviourLog(), [
      event('Order Completed', now, { total: 600, channel: 'pos' }),
      event('Order Completed', now - D, { total: 900, channel: 'pos' }),
      event('Order Completed', now, { total: '700', channel: 'pos' }),
      event('Order Completed', now, { total: 600, channel: 'web' }),
    ], keys, now);
    expect(behaviourCount(big, log, now)).toBe(2);
    expect(behaviourCount(noOrder, log, now)).toBe(4);
    expect(inSegment(big, c, log, now)).toBe(true);
  });

  it('keeps the log bounded: only tracked behaviour, at most 90 days back and one ahead', () => {
    const other = event('Page Viewed', now);
    let log = emptyBehaviourLog();
    for (let day = 0; day < 400; day++) {
      const at = now + day * D;
      log = recordBehaviour(log, [event('Product Searched', at), event('Product Searched', at + D), event('Order Completed', at - 200 * D), other], tracked, at);
    }
    expect(Object.keys(log.counts)).toEqual(tracked);
    const days = log.counts[behaviourKey(searched)]!.days;
    expect(days.length).toBe(91);
    expect(days[0]![0]).toBe(Math.floor((now + 399 * D) / D) - 89);
    expect(log.counts[behaviourKey(noOrder)]!.days).toEqual([]);
    expect(log.counts[tracked[0]!]!.since).toBe(now);
    // A behaviour no segment asks about any more is forgotten; the input log is left as it was.
    const before = JSON.stringify(log);
    expect(Object.keys(recordBehaviour(log, [], [tracked[1]!], now + 400 * D).counts)).toEqual([tracked[1]]);
    expect(JSON.stringify(log)).toBe(before);
  });
});
