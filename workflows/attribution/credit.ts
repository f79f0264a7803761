// Attribution as pure functions: the touches a customer's workflow keeps, and how a conversion's
// revenue is shared among them under every model at once (so a report switches models without
// recomputing anything).
import type { CustomerEvent } from '../lifecycle/event.js';
import { attributionModels, type AttributionModel, type AttributionSettings, type Conversion, type Credit, type Touch } from './types.js';

const dayMs = 86_400_000;
/** Touches kept per customer: the newest, inside the lookback window. */
export const maxTouches = 50;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The touch an event is, if any: a reaction to a message, or an arrival with campaign context. */
export function touchOf(e: CustomerEvent): Touch | undefined {
  const at = Date.parse(e.timestamp);
  const p = e.properties;
  const kind = e.name === 'Message Opened' ? 'opened' : e.name === 'Message Clicked' ? 'clicked' : undefined;
  if (kind) {
    return compact({
      at, kind, channel: str(p.channel) ?? e.channel ?? 'unknown',
      journeyId: str(p.journeyId), campaignId: str(p.campaignId), stepId: str(p.stepId), messageKey: str(p.messageId),
    });
  }
  const utm = e.campaign;
  if (!utm) return undefined;
  // The medium names the paid or owned channel (cpc, social, email); the touchpoint is the fallback.
  return compact({ at, kind: 'inbound', channel: utm.medium ?? e.channel ?? 'inbound', source: utm.source, medium: utm.medium, campaign: utm.name });
}

/** Adds a touch in time order, dropping those past the lookback window and the oldest beyond the cap. */
export function recordTouch(touches: Touch[], touch: Touch, settings: AttributionSettings): Touch[] {
  const out = [...touches];
  let i = out.length;
  while (i > 0 && out[i - 1]!.at > touch.at) i -= 1;
  out.splice(i, 0, touch);
  const newest = out[out.length - 1]!.at;
  const kept = out.filter((t) => t.at >= newest - settings.lookbackDays * dayMs);
  return kept.slice(Math.max(0, kept.length - maxTouches));
}

/** Credits a conversion to the touches inside its lookback window, under every model. */
export function convert(touches: Touch[], conversion: Omit<Conversion, 'touches' | 'credits'>, settings: AttributionSettings): Conversion {
  const window = touches.filter((t) => t.at <= conversion.at && t.at >= conversion.at - settings.lookbackDays * dayMs);
  const cents = Math.round(conversion.revenue * 100);
  const credits: Credit[] = [];
  if (window.length > 0) {
    for (const model of attributionModels) {
      const w = weights(model, window, conversion.at, settings.halfLifeDays * dayMs);
      const parts = apportion(cents, w);
      w.forEach((weight, touch) => { if (weight > 0) credits.push({ model, touch, amount: parts[touch]! / 100 }); });
    }
  }
  return { ...conversion, revenue: cents / 100, touches: window, credits };
}

/** Each touch's share under a model, before normalising. Touches are oldest first. */
function weights(model: AttributionModel, touches: Touch[], at: number, halfLifeMs: number): number[] {
  const n = touches.length;
  switch (model) {
    case 'first_touch': return touches.map((_, i) => (i === 0 ? 1 : 0));
    case 'last_touch': return touches.map((_, i) => (i === n - 1 ? 1 : 0));
    case 'linear': return touches.map(() => 1);
    case 'time_decay': return touches.map((t) => 2 ** (-(at - t.at) / halfLifeMs));
    // 40% each to the first and the last touch, 20% shared by those between; one or two touches share evenly.
    case 'position_based': return n <= 2 ? touches.map(() => 1) : touches.map((_, i) => (i === 0 || i === n - 1 ? 0.4 : 0.2 / (n - 2)));
  }
}

/**
 * Splits whole cents in proportion to the weights, handing the leftover cents to the largest
 * fractions (earlier touch first on a tie), so the parts always sum to the total exactly.
 */
export function apportion(totalCents: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0) return weights.map(() => 0);
  const raw = weights.map((w) => (totalCents * w) / sum);
  const parts = raw.map((r) => Math.floor(r));
  let left = totalCents - parts.reduce((a, b) => a + b, 0);
  const byFraction = raw.map((r, i) => ({ i, f: r - Math.floor(r) })).sort((a, b) => b.f - a.f || a.i - b.i);
  for (const { i } of byFraction) {
    if (left <= 0) break;
    parts[i]! += 1;
    left -= 1;
  }
  return parts;
}

function compact(t: Touch): Touch {
  return Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) as unknown as Touch;
}
