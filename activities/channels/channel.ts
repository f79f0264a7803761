// What every channel provider does: take one rendered message to its provider, once.
import type { Channel } from '../../workflows/messaging/types.js';

/** A message ready to leave: rendered, personalised, links tracked. */
export interface OutgoingMessage {
  /** The send's idempotency key: the messages document's _id, and the providers' Idempotency-Key. */
  key: string;
  customerId: string;
  channel: Channel;
  template: string;
  /** E-mail address, E.164 phone, WeChat openid or userId; none for webhooks. */
  to?: string;
  subject?: string;
  body: string;
  html: boolean;
  /** One-click unsubscribe (e-mail's List-Unsubscribe header). */
  unsubscribeUrl?: string;
}

/** What the send ledger lends a provider that cannot dedupe (SMTP). */
export interface DeliveryHooks {
  /**
   * Called once, at the last moment the provider can still drop the message (SMTP: every byte
   * of the message sent, its final dot not yet), with the id the provider will know it by.
   * The hand-over goes on only once this resolves (the moment is recorded); a rejection aborts
   * it, and the provider discards what it got.
   */
  pointOfNoReturn(providerId: string): Promise<void>;
  /** Aborts the hand-over while it can still be abandoned (the activity was cancelled). */
  signal?: AbortSignal;
}

export interface ChannelProvider {
  /**
   * true when sending the same key twice reaches the customer once (the provider dedupes on the
   * Idempotency-Key), so a send whose outcome is unknown may be repeated.
   */
  readonly idempotent: boolean;
  /**
   * Hands the message over; throws a DeliveryError (see errors.ts) when it cannot. A provider
   * that is not idempotent calls `hooks.pointOfNoReturn` before the moment it cannot take back.
   */
  deliver(message: OutgoingMessage, hooks?: DeliveryHooks): Promise<{ providerId: string }>;
}

export type Channels = Record<Channel, ChannelProvider>;
