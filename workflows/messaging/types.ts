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
  /** When the workflow decided to send (workflow time, ISO): the journey's clock, not the worker's. */
  requestedAt?: string;
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
  | 'no_consent' | 'frequency_cap' | 'quiet_hours_expired' | 'no_reaction' | 'journey_paused' | 'holdout';

export interface SuppressedSend extends Omit<SendRequest, 'variables'> {
  reason: SuppressionReason;
}
