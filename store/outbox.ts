// What the outbox provider would have sent (local demo, no real provider): the `outbox` collection.
import { Schema, type Connection, type Model } from 'mongoose';
import type { Collection } from 'mongodb';
import { collectionOf } from './collection.js';

export interface OutboxDoc {
  /** The send's idempotency key. */
  _id: string;
  customerId: string;
  channel: string;
  template: string;
  to?: string;
  subject?: string;
  body: string;
  html: boolean;
  unsubscribeUrl?: string;
  recordedAt: Date;
}

const outboxSchema = new Schema<OutboxDoc>({
  _id: String,
  customerId: String,
  channel: String,
  template: String,
  to: String,
  subject: String,
  body: String,
  html: Boolean,
  unsubscribeUrl: String,
  recordedAt: Date,
}, { versionKey: false });

export interface OutboxModels {
  Outbox: Model<OutboxDoc>;
  outbox: Collection<OutboxDoc>;
}

export function createOutboxModels(connection: Connection): OutboxModels {
  const Outbox = connection.model<OutboxDoc>('Outbox', outboxSchema, 'outbox');
  return { Outbox, outbox: collectionOf(Outbox) };
}
