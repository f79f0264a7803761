// Attribution and value scores as pure functions: credits checked against figures worked out by
// hand, and the exact-sum guarantee against many awkward splits.
import { describe, expect, it } from 'vitest';
import { applyEvents, withTouch } from '../../workflows/lifecycle/apply.js';
import { defaultLifecycleRules as rules } from '../../workflows/lifecycle/rules.js';
import { initialState } from '../../workflows/lifecycle/state.js';
import { scoresOf } from '../../workflows/lifecycle/scores.js';
import { apportion, convert, maxTouches, recordTouch } from '../../workflows/attribution/credit.js';
import { attributionModels, defaultAttribution, type Conversion, type Touch } from '../../workflows/attribution/types.js';
import type { CustomerEvent } from '../../workflows/lifecycle/event.js';

const day = 86_400_000;
const t0 = Date.parse('2026-06-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
let n = 0;
const event = (name: string, at: number, properties: Record<string, unknown> = {}, extra: Partial<CustomerEvent> = {}): CustomerEvent =>
  ({ messageId: `e${++n}`, kind: 'track', name, properties, traits: {}, timestamp: iso(at), ...extra });

/** Per model: the channel of each credited touch and its amount. */
const byModel = (c: Conversion) => Object.fromEntries(attributionModels.map((m) => [m, c.credits.filter((x) => x.model === m).map((x) => [c.touches[x.touch]!.channel, x.amount])]));
const cents = (c: Conversion, model: string) => c.credits.filter((x) => x.model === model).reduce((s, x) => s + Math.round(x.amount * 100), 0);

describe('attribution', () => {
  // An e-mail sent on day 0, opened on day 2, an SMS clicked on day 5, an order of 100 on day 6.
  const journey: Touch[] = [
    { at: t0, kind: 'sent', channel: 'email', journeyId: 'welcome', messageKey: 'k1' },
    { at: t0 + 2 * day, kind: 'opened', channel: 'email', journeyId: 'welcome', messageKey: 'k1' },
    { at: t0 + 5 * day, kind: 'clicked', channel: 'sms', campaignId: 'sale', messageKey: 'k2' },
  ];

  it('credits each model as worked out by hand', () => {
    const c = convert(journey, { messageId: 'o1', event: 'Order Completed', revenue: 100, at: t0 + 6 * day }, defaultAttribution);
    expect(byModel(c)).toEqual({
      first_touch: [['email', 100]],
      last_touch: [['sms', 100]],
      // 33.333… each: the leftover cent goes to the earliest touch.
      linear: [['email', 33.34], ['email', 33.33], ['sms', 33.33]],
      // Half-life 7 days: weights 2^(-6/7), 2^(-4/7), 2^(-1/7) → 25.908…, 31.583…, 42.507…
      time_decay: [['email', 25.91], ['email', 31.58], ['sms', 42.51]],
      position_based: [['email', 40], ['email', 20], ['sms', 40]],
    });
  });

  it('leaves out touches before the lookback window and after the conversion', () => {
    const touches = [{ at: t0 - 40 * day, kind: 'sent', channel: 'push' } as Touch, ...journey, { at: t0 + 7 * day, kind: 'sent', channel: 'wechat' } as Touch];
    const c = convert(touches, { messageId: 'o2', event: 'Order Completed', revenue: 10, at: t0 + 6 * day }, defaultAttribution);
    expect(c.touches.map((t) => t.channel)).toEqual(['email', 'email', 'sms']);
    const none = convert(touches, { messageId: 'o3', event: 'Order Completed', revenue: 10, at: t0 - 50 * day }, defaultAttribution);
    expect(none).toMatchObject({ touches: [], credits: [] });
  });

  it('splits two touches evenly under position-based', () => {
    const c = convert(journey.slice(1), { messageId: 'o4', event: 'Order Completed', revenue: 0.01, at: t0 + 6 * day }, defaultAttribution);
    expect(byModel(c).position_based).toEqual([['email', 0.01], ['sms', 0]]);
  });

  it('makes every model\'s credits sum to the revenue exactly, to the cent', () => {
    for (let k = 1; k <= 12; k++) {
      const touches = Array.from({ length: k }, (_, i): Touch => ({ at: t0 + i * 3_600_000 * 7, kind: 'sent', channel: `c${i % 3}` }));
      for (const revenue of [0, 0.01, 0.07, 1, 99.99, 100, 123456.78]) {
        const c = convert(touches, { messageId: `s${k}`, event: 'Order Completed', revenue, at: t0 + k * 4 * 3_600_000 * 7 }, defaultAttribution);
        for (const model of attributionModels) expect(cents(c, model)).toBe(Math.round(revenue * 100));
      }
    }
  });

  it('apportions cents by largest remainder', () => {
    expect(apportion(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(apportion(5, [0.4, 0.2, 0.4])).toEqual([2, 1, 2]);
    expect(apportion(7, [0, 0])).toEqual([0, 0]);
  });

  it('keeps touches in time order, inside the window and under the cap', () => {
    let touches: Touch[] = [];
    touches = recordTouch(touches, { at: t0 + day, kind: 'sent', channel: 'sms' }, defaultAttribution);
    touches = recordTouch(touches, { at: t0, kind: 'sent', channel: 'email' }, defaultAttribution);
    expect(touches.map((t) => t.channel)).toEqual(['email', 'sms']);
    touches = recordTouch(touches, { at: t0 + 31 * day, kind: 'sent', channel: 'push' }, defaultAttribution);
    expect(touches.map((t) => t.channel)).toEqual(['sms', 'push']);
    for (let i = 0; i < 80; i++) touches = recordTouch(touches, { at: t0 + 31 * day + i, kind: 'sent', channel: 'email' }, defaultAttribution);
    expect(touches).toHaveLength(maxTouches);
  });

  it('records opens, clicks and UTM arrivals as touches and credits an order in the workflow state', () => {
    let s = initialState('c1');
    s = withTouch(s, { at: t0, kind: 'sent', channel: 'email', journeyId: 'welcome', messageKey: 'k1' }, rules);
    const out = applyEvents(s, [
      event('Message Opened', t0 + day, { messageId: 'k1', channel: 'email', journeyId: 'welcome' }),
      event('Page Viewed', t0 + 2 * day, {}, { campaign: { source: 'weibo', medium: 'social', name: '618' } }),
      event('Product Viewed', t0 + 2 * day),
      event('Order Completed', t0 + 3 * day, { total: 90 }),
    ], rules, t0 + 3 * day);
    expect(out.state.touches!.map((t) => [t.kind, t.channel])).toEqual([['sent', 'email'], ['opened', 'email'], ['inbound', 'social']]);
    expect(out.state.touches![2]).toMatchObject({ source: 'weibo', medium: 'social', campaign: '618' });
    expect(out.conversions).toHaveLength(1);
    expect(byModel(out.conversions[0]!).last_touch).toEqual([['social', 90]]);
    expect(byModel(out.conversions[0]!).linear).toEqual([['email', 30], ['email', 30], ['social', 30]]);
  });

  it('counts the configured conversion events, with revenue from the revenue property', () => {
    const configured = { ...rules, attribution: { conversionEvents: ['Card Bound', 'Order Completed'] } };
    const out = applyEvents(initialState('c1'), [event('Card Bound', t0), event('Order Completed', t0, { total: '12.5' }), event('Page Viewed', t0)], configured, t0);
    expect(out.conversions.map((c) => [c.event, c.revenue])).toEqual([['Card Bound', 0], ['Order Completed', 12.5]]);
    // A retried event is applied once: no second conversion.
    const again = applyEvents(out.state, [{ ...event('Order Completed', t0, { total: 12.5 }), messageId: out.applied[1]!.messageId }], configured, t0);
    expect(again.conversions).toEqual([]);
  });
});

describe('value scores', () => {
  const now = Date.parse('2026-06-30T00:00:00Z');
  it('scores recency, frequency and monetary against the thresholds', () => {
    expect(scoresOf({ events: 20, orders: 6, spend: 2500, firstSeenAt: iso(now - 200 * day), lastSeenAt: iso(now - day), lastOrderAt: iso(now - 10 * day) }, now))
      .toMatchObject({ r: 5, f: 4, m: 4, rfm: '544' });
    expect(scoresOf({ events: 3, orders: 1, spend: 50, firstSeenAt: iso(now - 400 * day), lastSeenAt: iso(now - 365 * day), lastOrderAt: iso(now - 365 * day) }, now))
      .toMatchObject({ r: 1, f: 1, m: 1, rfm: '111', value: 1 });
  });

  it('rates attrition against the customer\'s own rhythm, and potential as engagement not yet spent', () => {
    // Bought every 10 days for 100 days, last 35 days ago: 3.5 intervals late.
    const lapsing = scoresOf({ events: 40, orders: 11, spend: 800, firstSeenAt: iso(now - 135 * day), lastSeenAt: iso(now - 35 * day), lastOrderAt: iso(now - 35 * day) }, now);
    expect(lapsing.attrition).toBe(5);
    const steady = scoresOf({ events: 5, orders: 2, spend: 100, firstSeenAt: iso(now - 60 * day), lastSeenAt: iso(now - 20 * day), lastOrderAt: iso(now - 20 * day) }, now);
    expect(steady.attrition).toBe(1);
    const browser = scoresOf({ events: 30, orders: 0, spend: 0, firstSeenAt: iso(now - 20 * day), lastSeenAt: iso(now - day) }, now);
    expect(browser).toMatchObject({ r: 0, f: 0, m: 0, attrition: 0, potential: 5 });
    const whale = scoresOf({ events: 30, orders: 12, spend: 9000, firstSeenAt: iso(now - 300 * day), lastSeenAt: iso(now - day), lastOrderAt: iso(now - day) }, now);
    expect(whale.potential).toBe(1);
  });

  it('keeps the profile\'s scores current as events arrive', () => {
    const s = applyEvents(initialState('c1'), [event('Order Completed', now - day, { total: 2100 })], rules, now).state;
    expect(s.scores).toMatchObject({ r: 5, f: 1, m: 4, value: 4 });
  });
});
