// A broadcast as each customer's journey engine sees it: entered once per occurrence, and sent
// only as the arbiter allows (consent, frequency caps, quiet hours).
import { describe, expect, it } from 'vitest';
import { defaultLifecycleRules as rules } from '../../workflows/lifecycle/rules.js';
import { initialState, type CustomerState } from '../../workflows/lifecycle/state.js';
import { initialJourneys, journeysWakeAt, onCampaign, onTime, withCatalog, type JourneyOutcome } from '../../workflows/journeys/engine.js';
import type { JourneysState } from '../../workflows/journeys/state.js';
import { defaultMessagingPolicy, type MessagingPolicy } from '../../workflows/messaging/arbiter.js';
import type { SendRequest, SuppressedSend } from '../../workflows/messaging/types.js';
import { campaignBroadcast } from '../../workflows/campaigns/journey.js';

const H = 3_600_000;
const D = 24 * H;
// 2026-03-02 10:00 in Shanghai (UTC+8).
const t0 = Date.parse('2026-03-02T02:00:00Z');
const policy: MessagingPolicy = { ...defaultMessagingPolicy, caps: [{ window: '1 day', max: 2 }], quietHours: { start: '21:00', end: '08:00' } };

const spring = (occurrence = new Date(t0).toISOString()) =>
  campaignBroadcast({ campaignId: 'spring', occurrence, segmentId: 'lapsed', message: { channel: 'sms', template: 'spring-sale' } });

/** One customer's workflow state, fed as the customer workflow feeds it. */
class Customer {
  state: CustomerState = initialState('c1');
  journeys: JourneysState = initialJourneys();
  sends: SendRequest[] = [];
  suppressed: SuppressedSend[] = [];

  private input(now: number) { return { customer: this.state, journeys: this.journeys, policy, rules, now }; }
  private take(out: JourneyOutcome): this {
    this.state = out.customer;
    this.journeys = out.journeys;
    for (const c of out.commands) {
      if (c.type === 'send') this.sends.push(c.request);
      if (c.type === 'suppressed') this.suppressed.push(c.send);
    }
    return this;
  }
  receive(delivery = spring(), now = t0): this { return this.take(onCampaign(this.input(now), delivery)); }
  catalogChanged(now: number): this { return this.take(withCatalog(this.input(now), { revision: this.journeys.catalogRevision + 1, journeys: [] }, [])); }
  /** Fires every wake-up up to `end`, as the workflow's timers would. */
  until(end: number): this {
    for (let wake = journeysWakeAt(this.journeys); wake !== undefined && wake <= end; wake = journeysWakeAt(this.journeys)) this.take(onTime(this.input(wake)));
    return this;
  }
}

describe('a broadcast in the customer\'s workflow', () => {
  it('sends once per occurrence under a key made of customer, campaign and occurrence, as the campaign\'s message', () => {
    const c = new Customer().receive();
    expect(c.sends).toHaveLength(1);
    expect(c.sends[0]).toMatchObject({
      key: `c1:campaign:spring@${t0}:send:0`, customerId: 'c1', channel: 'sms', template: 'spring-sale', priority: 'marketing', campaignId: 'spring',
      variables: { event: { campaignId: 'spring', occurrence: new Date(t0).toISOString() } },
    });
    expect(c.sends[0]).not.toHaveProperty('journeyId');
    expect(c.journeys.enrollments).toEqual([]);
    expect(c.journeys.pinned).toEqual({});
  });

  it('enters an occurrence once: the same occurrence delivered again (a resumed broadcast) sends nothing', () => {
    const c = new Customer().receive().receive(spring(), t0 + H);
    expect(c.sends).toHaveLength(1);
    expect(c.suppressed).toEqual([]);
    // The next occurrence of a recurring campaign is a new one.
    c.receive(spring(new Date(t0 + 7 * D).toISOString()), t0 + 7 * D);
    expect(c.sends.map((s) => s.key)).toEqual([`c1:campaign:spring@${t0}:send:0`, `c1:campaign:spring@${t0 + 7 * D}:send:0`]);
  });

  it('records the send as suppressed (frequency_cap) for a customer already at the cap', () => {
    const c = new Customer();
    c.journeys.sendLog = [{ at: t0 - 2 * H, channel: 'email', priority: 'marketing' }, { at: t0 - H, channel: 'wechat', priority: 'marketing' }];
    c.receive();
    expect(c.sends).toEqual([]);
    expect(c.suppressed).toEqual([expect.objectContaining({ key: `c1:campaign:spring@${t0}:send:0`, reason: 'frequency_cap', campaignId: 'spring' })]);
    // Delivered again after a crash: still one decision, not a second suppression.
    expect(c.receive(spring(), t0 + H).suppressed).toHaveLength(1);
  });

  it('suppresses it (no_consent) for a customer who withdrew consent on the channel', () => {
    const c = new Customer();
    c.state.consent = { sms: false };
    expect(c.receive().suppressed.map((s) => s.reason)).toEqual(['no_consent']);
  });

  it('holds it through quiet hours and sends it in the morning, even if the journey catalog changes meanwhile', () => {
    const late = t0 + 12 * H; // 22:00 in Shanghai
    const c = new Customer().receive(spring(new Date(late).toISOString()), late);
    expect(c.sends).toEqual([]);
    const morning = Date.parse('2026-03-03T00:00:00Z'); // 08:00 in Shanghai
    expect(journeysWakeAt(c.journeys)).toBe(morning);
    c.catalogChanged(late + H);
    expect(c.journeys.enrollments).toHaveLength(1);
    c.until(morning);
    expect(c.sends).toEqual([expect.objectContaining({ campaignId: 'spring', requestedAt: new Date(morning).toISOString() })]);
    expect(c.journeys.enrollments).toEqual([]);
  });

  it('forgets occurrences after 30 days, so a recurring campaign does not grow the state forever', () => {
    const c = new Customer().receive();
    expect(Object.keys(c.journeys.history)).toEqual([`campaign:spring@${t0}`]);
    c.receive(spring(new Date(t0 + 31 * D).toISOString()), t0 + 31 * D);
    expect(Object.keys(c.journeys.history)).toEqual([`campaign:spring@${t0 + 31 * D}`]);
  });
});
