// The lifecycle rules as pure functions: no Temporal, no MongoDB.
import { describe, expect, it } from 'vitest';
import { absorb, applyEvents, nextWakeAt, tick } from '../../workflows/lifecycle/apply.js';
import { defaultLifecycleRules as rules } from '../../workflows/lifecycle/rules.js';
import { initialState, recentMessageIdLimit } from '../../workflows/lifecycle/state.js';
import type { CustomerEvent } from '../../workflows/lifecycle/event.js';

let n = 0;
const at = (iso: string) => Date.parse(iso);
const track = (name: string, properties: Record<string, unknown> = {}, timestamp = '2026-01-01T00:00:00.000Z'): CustomerEvent =>
  ({ messageId: `m${++n}`, kind: 'track', name, properties, traits: {}, timestamp });
const identify = (traits: Record<string, unknown>): CustomerEvent =>
  ({ messageId: `m${++n}`, kind: 'identify', properties: {}, traits, timestamp: '2026-01-01T00:00:00.000Z' });
const now = at('2026-01-02T00:00:00Z');

describe('lifecycle stages', () => {
  it('moves stranger → fan → member → customer → loyal by events alone', () => {
    let s = initialState('c1');
    const stages = [s.stage];
    for (const e of [track('Followed'), track('Signed Up'), track('Order Completed', { total: 100 }), track('Order Completed', { total: 50 }), track('Order Completed', { total: 10 })]) {
      s = applyEvents(s, [e], rules, now).state;
      stages.push(s.stage);
    }
    expect(stages).toEqual(['stranger', 'fan', 'member', 'customer', 'customer', 'loyal']);
  });

  it('reports the stage and tier transitions of a batch', () => {
    const out = applyEvents(initialState('c1'), [track('Signed Up'), track('Order Completed', { total: 1600 })], rules, now);
    expect(out.stage).toEqual({ from: 'stranger', to: 'customer' });
    expect(out.tier).toEqual({ from: undefined, to: 'silver' });
  });

  it('uses the configured thresholds, not constants', () => {
    const strict = { ...rules, loyalOrders: 2, orderEvent: 'Purchase', revenueProperty: 'revenue', tiers: [{ name: 'basic', minSpend: 0 }, { name: 'vip', minSpend: 200 }] };
    const s = applyEvents(initialState('c1'), [track('Purchase', { revenue: 150 }), track('Purchase', { revenue: '60' })], strict, now).state;
    expect(s).toMatchObject({ stage: 'loyal', tier: 'vip', counters: { orders: 2, spend: 210 } });
  });

  it('slips a buyer to at risk once the configured days pass without an order, and wakes exactly then', () => {
    const s = applyEvents(initialState('c1'), [track('Order Completed', { total: 10 }, '2026-01-01T00:00:00.000Z')], rules, now).state;
    expect(nextWakeAt(s, rules)).toBe(at('2026-04-01T00:00:00Z'));
    expect(tick(s, rules, at('2026-03-31T23:59:59Z')).stage).toBeUndefined();
    const later = tick(s, rules, at('2026-04-01T00:00:00Z'));
    expect(later.stage).toEqual({ from: 'customer', to: 'at_risk' });
    expect(nextWakeAt(later.state, rules)).toBeUndefined();
    const back = applyEvents(later.state, [track('Order Completed', { total: 10 }, '2026-04-02T00:00:00.000Z')], rules, at('2026-04-02T01:00:00Z'));
    expect(back.stage).toEqual({ from: 'at_risk', to: 'customer' });
  });
});

describe('points, tiers, tags and consent', () => {
  it('earns points per unit of revenue and spends them on redemption, never below zero', () => {
    let s = applyEvents(initialState('c1'), [track('Order Completed', { total: 320.9 })], rules, now).state;
    expect(s.points).toBe(320);
    s = applyEvents(s, [track('Points Redeemed', { points: 100 })], rules, now).state;
    expect(s.points).toBe(220);
    s = applyEvents(s, [track('Points Redeemed', { points: 5000 })], rules, now).state;
    expect(s.points).toBe(0);
  });

  it('gives members a tier and keeps strangers without one', () => {
    expect(applyEvents(initialState('c1'), [track('Page Viewed')], rules, now).state.tier).toBeUndefined();
    expect(applyEvents(initialState('c1'), [track('Signed Up')], rules, now).state.tier).toBe('bronze');
  });

  it('records consent per channel and a global opt-out', () => {
    let s = applyEvents(initialState('c1'), [track('Subscribed', { channel: 'sms' }), identify({ consent: { email: true } })], rules, now).state;
    expect(s.consent).toEqual({ sms: true, email: true });
    s = applyEvents(s, [track('Unsubscribed', { channel: 'sms' }), track('Unsubscribed')], rules, now).state;
    expect(s.consent).toEqual({ sms: false, email: true, '*': false });
  });

  it('merges traits and tags from identify calls and tag events', () => {
    const s = applyEvents(initialState('c1'), [identify({ name: 'Li', tags: ['vip', 'oil'] }), track('Tag Added', { tag: 'spa' }), track('Tag Removed', { tag: 'oil' })], rules, now).state;
    expect(s.traits).toEqual({ name: 'Li' });
    expect(s.tags).toEqual(['vip', 'spa']);
  });
});

describe('dedupe by messageId', () => {
  it('applies an event once however often it arrives', () => {
    const e = track('Order Completed', { total: 10 });
    const first = applyEvents(initialState('c1'), [e, e], rules, now);
    const second = applyEvents(first.state, [e], rules, now);
    expect(first.duplicates).toBe(1);
    expect(second).toMatchObject({ duplicates: 1, applied: [] });
    expect(second.state).toBe(first.state);
    expect(second.state.counters.orders).toBe(1);
  });

  it('keeps a bounded memory of recent messageIds', () => {
    const events = Array.from({ length: recentMessageIdLimit + 10 }, () => track('Page Viewed'));
    const s = applyEvents(initialState('c1'), events, rules, now).state;
    expect(s.recentMessageIds).toHaveLength(recentMessageIdLimit);
    expect(s.recentMessageIds.at(-1)).toBe(events.at(-1)!.messageId);
  });

  it('bumps the revision only when something changed', () => {
    const a = applyEvents(initialState('c1'), [track('Page Viewed')], rules, now).state;
    expect(a.revision).toBe(1);
    expect(tick(a, rules, now).state.revision).toBe(1);
  });
});

describe('merging two customers', () => {
  it('sums counters and points, unions tags, keeps the survivor\'s traits and lets an opt-out win', () => {
    const a = applyEvents(initialState('ca'), [identify({ name: 'Ana', city: 'SH' }), track('Order Completed', { total: 100 }, '2026-01-05T00:00:00.000Z'), track('Subscribed', { channel: 'sms' }), track('Tag Added', { tag: 'spa' })], rules, now).state;
    const b = applyEvents(initialState('cb'), [identify({ name: 'A.', vip: true }), track('Order Completed', { total: 50 }, '2026-01-03T00:00:00.000Z'), track('Unsubscribed', { channel: 'sms' }), track('Tag Added', { tag: 'oil' })], rules, now).state;
    const out = absorb(a, b, rules, now);
    expect(out.state).toMatchObject({
      counters: { events: 8, orders: 2, spend: 150, lastOrderAt: '2026-01-05T00:00:00.000Z' },
      points: 150, tags: ['spa', 'oil'], consent: { sms: false }, traits: { name: 'Ana', city: 'SH', vip: true }, mergedFrom: ['cb'],
    });
    expect(out.state.recentMessageIds).toEqual(expect.arrayContaining(b.recentMessageIds));
    expect(out.state.revision).toBeGreaterThan(a.revision);
  });

  it('absorbs the same customer only once', () => {
    const a = applyEvents(initialState('ca'), [track('Order Completed', { total: 10 })], rules, now).state;
    const b = applyEvents(initialState('cb'), [track('Order Completed', { total: 10 })], rules, now).state;
    const once = absorb(a, b, rules, now).state;
    expect(absorb(once, b, rules, now).state).toBe(once);
    expect(once.counters.orders).toBe(2);
  });
});

describe('provider receipts', () => {
  it('records a delivery receipt without counting it as the customer being seen', () => {
    const seen = applyEvents(initialState('c1'), [track('Page Viewed', {}, '2026-01-01T00:00:00.000Z')], rules, now).state;
    const after = applyEvents(seen, [track('Message Delivered', {}, '2026-01-05T00:00:00.000Z')], rules, now).state;
    expect(after.counters).toMatchObject({ events: 2, lastSeenAt: '2026-01-01T00:00:00.000Z' });
  });
});
