// Provider webhooks we have applied: `webhook_receipts`, one document per provider event id, so
// a replayed request (same provider, same event id) is applied once.
import { Schema, type Connection, type Model } from 'mongoose';
import type { Collection } from 'mongodb';
import { collectionOf } from './collection.js';

export interface WebhookReceiptDoc {
  /** `${provider}:${the provider's event id}`. */
  _id: string;
  /** The message it was about and whose it was, so erasing the customer erases the receipt. */
  messageId?: string;
  customerId?: string;
  receivedAt: Date;
}

const receiptSchema = new Schema<WebhookReceiptDoc>({ _id: String, messageId: String, customerId: String, receivedAt: Date }, { versionKey: false });

export interface WebhookReceiptModels {
  WebhookReceipt: Model<WebhookReceiptDoc>;
  webhookReceipts: Collection<WebhookReceiptDoc>;
}

export function createWebhookReceiptModels(connection: Connection): WebhookReceiptModels {
  const WebhookReceipt = connection.model<WebhookReceiptDoc>('WebhookReceipt', receiptSchema, 'webhook_receipts');
  return { WebhookReceipt, webhookReceipts: collectionOf(WebhookReceipt) };
}

export function webhookReceiptRepository({ webhookReceipts }: WebhookReceiptModels) {
  return {
    /** true for the first claim of this receipt; false when it was already claimed. */
    async claim(key: string, receivedAt: Date, about: { messageId: string; customerId: string }): Promise<boolean> {
      try {
        await webhookReceipts.insertOne({ _id: key, ...about, receivedAt });
        return true;
      } catch (err) {
        // The unique _id is the replay guard (checked inline: connection.ts imports this module).
        if ((err as { code?: number }).code === 11000) return false;
        throw err;
      }
    },

    /** Undoes a claim whose effects could not be applied, so the provider's retry is not dropped. */
    async release(key: string): Promise<void> {
      await webhookReceipts.deleteOne({ _id: key });
    },
  };
}

export type WebhookReceiptRepository = ReturnType<typeof webhookReceiptRepository>;
