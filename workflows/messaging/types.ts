// What a customer's workflow asks the channel layer to do. Types only: shared by the workflow
// (journeys, the send arbiter) and the activities that deliver.

export const channels = ['email', 'sms', 'wechat', 'push', 'webhook'] as const;
export type Channel = (typeof channels)[number];

/** Transactional messages go before marketing ones and are not frequency-capped. */
export type Priority = 'transactional' | 'marketing';

export interface SendRequest {
  /**
   * Idempotency key of this logical send, made deterministically in the workflow (workflow id +
   * journey enrollment + step). The same key never reaches a provider twice.
   */
  key: string;
  customerId: string;
  channel: Channel;
  /** Template id (see the templates collection). */
  template: string;
  priority: Priority;
  /** Personalisation: `profile` (traits, stage, tier, points…) and `event` (what triggered it). */
  variables: Record<string, unknown>;
  locale?: string;
  journeyId?: string;
  journeyVersion?: number;
  stepId?: string;
  campaignId?: string;
  /** The subscription group the send belongs to (never a transactional one): its e-mail's List-Unsubscribe leaves that group. */
  group?: string;
  /** When the workflow decided to send (workflow time, ISO): the journey's clock, not the worker's. */
  requestedAt?: string;
  /** When the send step was reached (workflow time, ISO): before `requestedAt` when quiet hours held it. */
  decidedAt?: string;
  /** An address given with the send (the transactional API's `to`) instead of the customer's own. */
  to?: string;
}

export type SendOutcome =
  | { status: 'sent'; messageId: string; providerId?: string }
  /** Permanent failure (bad address, unsubscribed at the provider, no address): not retried. */
  | { status: 'failed'; messageId: string; reason: string }
  /**
   * An attempt ended past its point of no return without an answer (a crash just as SMTP's final
   * dot went out): the message may or may not have arrived, and is not sent again by itself.
   */
  | { status: 'unknown'; messageId: string; reason: 'outcome_unknown' };

export type SuppressionReason =
  | 'no_consent' | 'frequency_cap' | 'quiet_hours_expired' | 'no_reaction' | 'journey_paused' | 'holdout'
  /** A transactional send to a customer who opted out where the law makes it final (an SMS STOP). */
  | 'hard_opt_out'
  /** A send in a subscription group the customer is out of (messaging/subscriptions.ts). */
  | 'unsubscribed_group';

export interface SuppressedSend extends Omit<SendRequest, 'variables'> {
  reason: SuppressionReason;
}

/**
 * What a send needs to know of its subscription group, copied from the group when a journey is
 * published or a campaign created (both fixed for the group's life), so that the customer's
 * workflow never carries the brand's group catalog.
 */
export interface GroupRule {
  /** `opt_in`: out until the customer joins; `opt_out`: in until they leave. */
  type: 'opt_in' | 'opt_out';
  /** Cannot be left: its sends go whatever the customer said. */
  transactional?: boolean;
}
