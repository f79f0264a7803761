// Every message Closedloop sends or decides not to send: the `messages` collection.
import { Schema, type Connection, type Model } from 'mongoose';
import type { Collection } from 'mongodb';
import { collectionOf } from './collection.js';

export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'opened' | 'clicked' | 'failed' | 'bounced' | 'suppressed' | 'unknown';

export interface MessageDoc {
  /** The send's idempotency key (SendRequest.key): one document per logical send. */
  _id: string;
  customerId: string;
  channel: string;
  template: string;
  priority: string;
  journeyId?: string;
  journeyVersion?: number;
  stepId?: string;
  campaignId?: string;
  status: MessageStatus;
  /** Why it was suppressed or failed. */
  reason?: string;
  /** The address given with a transactional send (`POST /v1/messages` `to`); else the customer's own is used. */
  to?: string;
  /** The provider's own id (SMTP Message-ID, SMS gateway id…). */
  providerId?: string;
  /** Tracked links: a click token names an index here, so redirects go only to these URLs. */
  links: string[];
  /** Provider attempts claimed (see activities/messaging.ts for the exactly-once state machine). */
  attempts: number;
  /** Attempts that ended with a retryable error known not to have delivered: attempts > attemptsEnded while queued means one is open. */
  attemptsEnded: number;
  /**
   * Set on sends opened since the point of no return is recorded: then only `pastNoReturn` says an
   * attempt may have delivered (older documents: any open attempt may have).
   */
  recordsNoReturn?: boolean;
  /** The attempt that reached its point of no return (SMTP: about to send the final dot) and has not ended. */
  pastNoReturn?: number;
  /** When the last attempt reached its point of no return: to sentAt, the window in which a crash leaves the send unknown. */
  noReturnAt?: Date;
  /** When the outcome was found unknown (status `unknown`): an attempt ended past its point of no return without an answer. */
  unknownAt?: Date;
  /** The personalisation kept with an unknown send, so that an operator may send it again. */
  variables?: Record<string, unknown>;
  /** When an operator chose to send an unknown message again. */
  sentAgainAt?: Date;
  /** The provider's last answer, for support. */
  detail?: string;
  locale?: string;
  createdAt: Date;
  /** When the journey or campaign sent it on (its clock; also `createdAt`). */
  requestedAt?: Date;
  /** When the journey's send step was reached (its clock): earlier than `requestedAt` when quiet hours held the send. */
  decidedAt?: Date;
  sentAt?: Date;
  deliveredAt?: Date;
  openedAt?: Date;
  clickedAt?: Date;
  failedAt?: Date;
  updatedAt: Date;
}

const messageSchema = new Schema<MessageDoc>({
  _id: String,
  customerId: { type: String, required: true },
  channel: String,
  template: String,
  priority: String,
  journeyId: String,
  journeyVersion: Number,
  stepId: String,
  campaignId: String,
  status: String,
  reason: String,
  providerId: String,
  to: String,
  links: [String],
  attempts: Number,
  attemptsEnded: Number,
  recordsNoReturn: Boolean,
  pastNoReturn: Number,
  noReturnAt: Date,
  unknownAt: Date,
  variables: Schema.Types.Mixed,
  sentAgainAt: Date,
  detail: String,
  locale: String,
  createdAt: Date,
  requestedAt: Date,
  decidedAt: Date,
  sentAt: Date,
  deliveredAt: Date,
  openedAt: Date,
  clickedAt: Date,
  failedAt: Date,
  updatedAt: Date,
}, { versionKey: false, minimize: false });
// A customer's messages, newest first (timeline, caps audit); provider receipts look up by providerId.
messageSchema.index({ customerId: 1, createdAt: -1 });
messageSchema.index({ providerId: 1 }, { sparse: true });
// A campaign's messages by status (GET /v1/campaigns/:id).
messageSchema.index({ campaignId: 1 }, { sparse: true });
// Reports over a date range count messages by when they were sent.
messageSchema.index({ sentAt: 1 });
// Exports list the messages of a range, oldest first (GET /v1/messages/export.csv).
messageSchema.index({ createdAt: 1, _id: 1 });
// Operators list the sends whose outcome is unknown (GET /v1/messages?status=unknown): few, so sparse.
messageSchema.index({ unknownAt: -1 }, { sparse: true });

export interface MessageModels {
  Message: Model<MessageDoc>;
  messages: Collection<MessageDoc>;
}

export function createMessageModels(connection: Connection): MessageModels {
  const Message = connection.model<MessageDoc>('Message', messageSchema, 'messages');
  return { Message, messages: collectionOf(Message) };
}
