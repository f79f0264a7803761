// Subscription groups in the customer's pure cores: the choice an event records, the default a
// send's group rule gives, and the arbiter's refusal (`unsubscribed_group`), for campaigns too.
import { describe, expect, it } from 'vitest';
import { absorb, applyEvents } from '../../workflows/lifecycle/apply.js';
import { defaultLifecycleRules as rules } from '../../workflows/lifecycle/rules.js';
import { initialState, type CustomerState } from '../../workflows/lifecycle/state.js';
import type { CustomerEvent } from '../../workflows/lifecycle/event.js';
import { initialJourneys, onCampaign } from '../../workflows/journeys/engine.js';
import { campaignBroadcast } from '../../workflows/campaigns/journey.js';
import { decide, defaultMessagingPolicy } from '../../workflows/messaging/arbiter.js';
import { changeSubscription, inGroup, maxJoinedGroups } from '../../workflows/messaging/subscriptions.js';

const now = Date.parse('2026-03-02T04:00:00Z');
const policy = { ...defaultMessagingPolicy, quietHours: undefined };
const on = { subscriptionGroups: () => true };
const changed = (group: unknown, subscribed: unknown, id = `e-${String(group)}-${String(subscribed)}`): CustomerEvent => ({
  messageId: id, kind: 'track', name: 'Subscription Changed', properties: { group, subscribed }, traits: {}, timestamp: new Date(now).toISOString(),
});

describe('a customer\'s choices', () => {
  it('records joining and leaving by event, ignoring malformed ones, and only once the workflow has the patch', () => {
    const events = [changed('newsletter', true), changed('promotions', false), changed('Bad.Id', true), changed('tips', 'yes')];
    expect(applyEvents(initialState('c1'), events, rules, now, undefined, on).state.subscriptions).toEqual({ newsletter: true, promotions: false });
    // Runs recorded before subscription groups (the patch answers false on replay) only count the event.
    const old = applyEvents(initialState('c1'), events, rules, now, undefined, { subscriptionGroups: () => false }).state;
    expect(old.subscriptions).toBeUndefined();
    expect(old.counters.events).toBe(4);
  });

  it('keeps leaving a group past the cap on joined groups, never joining one more', () => {
    const subs: Record<string, boolean> = {};
    for (let i = 0; i < maxJoinedGroups; i++) changeSubscription(subs, { group: `g${i}`, subscribed: true });
    changeSubscription(subs, { group: 'one-more', subscribed: true });
    changeSubscription(subs, { group: 'left', subscribed: false });
    expect(subs['one-more']).toBeUndefined();
    expect(subs.left).toBe(false);
  });

  it('folds a merged customer\'s choices in, leaving on either side winning', () => {
    const a: CustomerState = { ...initialState('a'), subscriptions: { newsletter: true, promotions: true } };
    const b: CustomerState = { ...initialState('b'), subscriptions: { promotions: false, tips: true } };
    expect(absorb(a, b, rules, now).state.subscriptions).toEqual({ newsletter: true, promotions: false, tips: true });
  });

  it('is in a group by choice, else by its default, and always in a transactional one', () => {
    expect(inGroup(undefined, 'n', { type: 'opt_in' })).toBe(false);
    expect(inGroup(undefined, 'p', { type: 'opt_out' })).toBe(true);
    expect(inGroup({ n: true }, 'n', { type: 'opt_in' })).toBe(true);
    expect(inGroup({ p: false }, 'p', { type: 'opt_out' })).toBe(false);
    expect(inGroup({ o: false }, 'o', { type: 'opt_out', transactional: true })).toBe(true);
    // A rule the send does not carry: never sent unasked.
    expect(inGroup(undefined, 'x', undefined)).toBe(false);
  });
});

describe('the arbiter', () => {
  const ctx = { channel: 'email' as const, consent: { email: true }, sendLog: [], timeZone: 'Asia/Shanghai', now };
  it('refuses a send out of its group whatever its priority, before anything else', () => {
    expect(decide({ ...ctx, priority: 'marketing', inGroup: false }, policy)).toEqual({ action: 'suppress', reason: 'unsubscribed_group' });
    expect(decide({ ...ctx, priority: 'transactional', inGroup: false }, policy)).toEqual({ action: 'suppress', reason: 'unsubscribed_group' });
    expect(decide({ ...ctx, priority: 'marketing', inGroup: true }, policy)).toEqual({ action: 'send' });
  });

  it('refuses a campaign\'s message to a customer out of its group, and names the group on a send it lets through', () => {
    const delivery = campaignBroadcast({
      campaignId: 'deals', occurrence: new Date(now).toISOString(), segmentId: 's', message: { channel: 'email', template: 't', group: 'promotions' },
      groups: { promotions: { type: 'opt_out' } },
    });
    const customer = (subscriptions?: Record<string, boolean>): CustomerState => ({ ...initialState('c1'), consent: { email: true }, ...(subscriptions && { subscriptions }) });
    const input = (c: CustomerState) => ({ customer: c, journeys: initialJourneys(), policy, rules, now, subscriptionGroups: () => true });

    const left = onCampaign(input(customer({ promotions: false })), delivery).commands.find((c) => c.type === 'suppressed');
    expect(left).toMatchObject({ send: { campaignId: 'deals', reason: 'unsubscribed_group', group: 'promotions' } });
    const sent = onCampaign(input(customer()), delivery).commands.find((c) => c.type === 'send');
    expect(sent).toMatchObject({ request: { campaignId: 'deals', group: 'promotions' } });
  });
});
