// The one arbiter every send of a customer passes, from every journey and campaign: consent,
// quiet hours (defer, not drop, unless it expires), frequency caps. Transactional messages skip
// caps and quiet hours. A send in a subscription group the customer is out of never goes, whatever
// its priority (transactional groups cannot be left: see subscriptions.ts). Pure: the workflow owns the send log and the clock.
import { toMs } from '../duration.js';
import { quietUntil } from '../journeys/time.js';
import type { Channel, Priority, SuppressionReason } from './types.js';

export interface MessagingPolicy {
  /** Marketing messages per rolling window, across channels: e.g. 2 a day and 5 a week. */
  caps: { window: string; max: number }[];
  /** Local times (HH:MM) between which marketing messages wait; the window may wrap midnight. */
  quietHours?: { start: string; end: string };
  /** For customers without a `timezone` trait. */
  defaultTimeZone: string;
  /** Journeys one customer may be in at once. */
  maxConcurrentJourneys: number;
}

export const defaultMessagingPolicy: MessagingPolicy = {
  caps: [{ window: '1 day', max: 2 }, { window: '7 days', max: 5 }],
  quietHours: { start: '21:00', end: '08:00' },
  defaultTimeZone: 'Asia/Shanghai',
  maxConcurrentJourneys: 3,
};

export interface SendLogEntry { at: number; channel: Channel; priority: Priority }

export type Decision =
  | { action: 'send' }
  | { action: 'defer'; until: number }
  | { action: 'suppress'; reason: SuppressionReason };

export interface SendContext {
  channel: Channel;
  priority: Priority;
  consent: Record<string, boolean>;
  sendLog: SendLogEntry[];
  timeZone: string;
  now: number;
  /** A deferred send past this moment is dropped (quiet_hours_expired). */
  expiresAt?: number;
  /** The send names a subscription group: whether the customer is in it (subscriptions.ts `inGroup`). */
  inGroup?: boolean;
}

export function decide(ctx: SendContext, policy: MessagingPolicy): Decision {
  if (ctx.inGroup === false) return { action: 'suppress', reason: 'unsubscribed_group' };
  if (ctx.priority === 'transactional') return { action: 'send' };
  if (ctx.consent['*'] === false || ctx.consent[ctx.channel] === false) return { action: 'suppress', reason: 'no_consent' };
  if (policy.quietHours) {
    const until = quietUntil(ctx.now, ctx.timeZone, policy.quietHours.start, policy.quietHours.end);
    if (until !== undefined) {
      return ctx.expiresAt !== undefined && until > ctx.expiresAt ? { action: 'suppress', reason: 'quiet_hours_expired' } : { action: 'defer', until };
    }
  }
  for (const cap of policy.caps) {
    const since = ctx.now - toMs(cap.window);
    if (ctx.sendLog.filter((s) => s.priority === 'marketing' && s.at > since).length >= cap.max) return { action: 'suppress', reason: 'frequency_cap' };
  }
  return { action: 'send' };
}

/** Keeps only what the longest cap window can still count. */
export function pruneSendLog(log: SendLogEntry[], policy: MessagingPolicy, now: number): SendLogEntry[] {
  const longest = Math.max(0, ...policy.caps.map((c) => toMs(c.window)));
  return log.filter((s) => s.at > now - longest);
}
