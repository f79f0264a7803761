// What makes a member, as the brand configures it: events, an identify carrying a userId, or a
// call carrying a named identity trait; runs started before triggers keep reading member events.
import { describe, expect, it } from 'vitest';
import { applyEvents } from '../../workflows/lifecycle/apply.js';
import { makesMember, memberTriggersOf } from '../../workflows/lifecycle/membership.js';
import { defaultLifecycleRules, type LifecycleRules } from '../../workflows/lifecycle/rules.js';
import { initialState } from '../../workflows/lifecycle/state.js';
import type { CustomerEvent } from '../../workflows/lifecycle/event.js';
import { normalise } from '../../api/ingest/normalize.js';

let n = 0;
const event = (e: Partial<CustomerEvent>): CustomerEvent => ({ messageId: `m${++n}`, kind: 'track', properties: {}, traits: {}, timestamp: '2026-01-01T00:00:00.000Z', ...e });
const now = Date.parse('2026-01-02T00:00:00Z');
const brand: LifecycleRules = { ...defaultLifecycleRules, memberTriggers: [{ identify: 'userId' }, { trait: 'member_id' }, { event: 'Card Bound' }], memberEvents: ['Card Bound'] };
const stageAfter = (rules: LifecycleRules, e: CustomerEvent) => applyEvents(initialState('c1'), [e], rules, now).state.stage;

describe('membership triggers', () => {
  it('makes a member by an identify that carries a userId, not by an anonymous one', () => {
    expect(stageAfter(brand, event({ kind: 'identify', identities: ['userId', 'phone'] }))).toBe('member');
    expect(stageAfter(brand, event({ kind: 'identify', identities: ['anonymousId'] }))).toBe('stranger');
    // A track call with a userId is someone logged in doing something, not registering.
    expect(stageAfter(brand, event({ kind: 'track', name: 'Page Viewed', identities: ['userId'] }))).toBe('stranger');
  });

  it('makes a member by a named identity trait, in the call\'s traits or its context', () => {
    expect(stageAfter(brand, event({ kind: 'identify', traits: { member_id: 'M-1001' } }))).toBe('member');
    expect(stageAfter(brand, event({ kind: 'identify', traits: { member_id: '  ' } }))).toBe('stranger');
    expect(stageAfter(brand, event({ kind: 'track', name: 'Store Visited', identities: ['member_id'] }))).toBe('member');
  });

  it('makes a member by a configured event only; the default events no longer count when the brand replaced them', () => {
    expect(stageAfter(brand, event({ name: 'Card Bound' }))).toBe('member');
    expect(stageAfter(brand, event({ name: 'Signed Up' }))).toBe('stranger');
    expect(stageAfter(defaultLifecycleRules, event({ name: 'Signed Up' }))).toBe('member');
    expect(stageAfter(defaultLifecycleRules, event({ kind: 'identify', identities: ['userId'] }))).toBe('stranger');
  });

  it('reads member events as triggers in runs started before triggers existed', () => {
    const { memberTriggers: _none, ...before } = { ...defaultLifecycleRules, memberEvents: ['Joined'] };
    expect(memberTriggersOf(before)).toEqual([{ event: 'Joined' }]);
    expect(makesMember(before, event({ name: 'Joined' }))).toBe(true);
    expect(makesMember(before, event({ kind: 'identify', identities: ['userId'] }))).toBe(false);
  });

  it('gets the kinds of identity a call carried from the API, never their values', () => {
    const out = normalise({ type: 'identify', userId: 'u-1', traits: { phone: '+8613800000000', member_id: 'M-7' } } as never, '', { defaultPhoneCountry: 'CN', extraTraits: ['member_id'] }, new Date());
    expect(out.ok && out.value.event.identities).toEqual(['userId', 'phone', 'member_id']);
    const anonymous = normalise({ type: 'track', anonymousId: 'a-1', event: 'X', properties: {} } as never, '', { defaultPhoneCountry: 'CN', extraTraits: [] }, new Date());
    expect(anonymous.ok && anonymous.value.event.identities).toEqual(['anonymousId']);
  });
});
