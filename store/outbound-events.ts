// The outbound event stream's queue: the `outbound_events` collection, one document per event
// and endpoint subscribed to it (a transactional outbox). `_id` is `<endpoint>:<event id>`, so a
// retried write queues an event once; each endpoint's lanes read theirs in `seq` order.
import { Schema, type Connection, type Model } from 'mongoose';
import type { Collection } from 'mongodb';
import type { OutboundEventType, OutboundPayload } from '../activities/event-stream/types.js';
import { collectionOf } from './collection.js';

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

export interface OutboundEventDoc {
  _id: string;
  endpointId: string;
  lane: number;
  /** The `webhook-id`: one per event, the same for every endpoint, attempt and replay. */
  eventId: string;
  type: OutboundEventType;
  customerId: string;
  payload: OutboundPayload;
  /** Emission order (microseconds, increasing within a process): a lane delivers in this order. */
  seq: number;
  createdAt: Date;
  status: DeliveryStatus;
  /** Failed attempts since it was queued (or replayed). */
  attempts: number;
  lastError?: string;
  lastAttemptAt?: Date;
  deliveredAt?: Date;
  deadAt?: Date;
}

const outboundEventSchema = new Schema<OutboundEventDoc>({
  _id: String,
  endpointId: { type: String, required: true },
  lane: Number,
  eventId: String,
  type: String,
  customerId: String,
  payload: Schema.Types.Mixed,
  seq: Number,
  createdAt: Date,
  status: String,
  attempts: Number,
  lastError: String,
  lastAttemptAt: Date,
  deliveredAt: Date,
  deadAt: Date,
}, { versionKey: false, minimize: false });
// A lane's next events; an endpoint's dead letters; a replay's time range; an erasure.
outboundEventSchema.index({ endpointId: 1, lane: 1, status: 1, seq: 1 });
outboundEventSchema.index({ endpointId: 1, status: 1, seq: 1 });
outboundEventSchema.index({ endpointId: 1, createdAt: 1 });
outboundEventSchema.index({ customerId: 1 });

export interface OutboundEventModels {
  OutboundEvent: Model<OutboundEventDoc>;
  outboundEvents: Collection<OutboundEventDoc>;
}

export function createOutboundEventModels(connection: Connection): OutboundEventModels {
  const OutboundEvent = connection.model<OutboundEventDoc>('OutboundEvent', outboundEventSchema, 'outbound_events');
  return { OutboundEvent, outboundEvents: collectionOf(OutboundEvent) };
}

// The unique _id, checked inline: connection.ts imports models.ts, which imports this one.
const isDuplicateKey = (err: unknown): boolean => {
  const e = err as { code?: number; writeErrors?: { code?: number }[] };
  return e.code === 11000 || (Array.isArray(e.writeErrors) && e.writeErrors.length > 0 && e.writeErrors.every((w) => w.code === 11000));
};

export function outboundEventRepository({ outboundEvents }: OutboundEventModels) {
  return {
    /** Queues each document once: a retried write finds its earlier ones as duplicate keys. */
    async queue(docs: OutboundEventDoc[]): Promise<void> {
      if (docs.length === 0) return;
      try {
        await outboundEvents.insertMany(docs, { ordered: false });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    },

    /** A lane's next events to deliver, oldest first. */
    pending: (endpointId: string, lane: number, limit: number): Promise<OutboundEventDoc[]> =>
      outboundEvents.find({ endpointId, lane, status: 'pending' }).sort({ seq: 1 }).limit(limit).toArray(),

    async delivered(id: string): Promise<void> {
      const now = new Date();
      await outboundEvents.updateOne({ _id: id, status: 'pending' }, { $set: { status: 'delivered', deliveredAt: now, lastAttemptAt: now } });
    },

    /** A failed attempt, to be retried. */
    async failed(id: string, error: string): Promise<void> {
      await outboundEvents.updateOne({ _id: id, status: 'pending' }, { $inc: { attempts: 1 }, $set: { lastError: error, lastAttemptAt: new Date() } });
    },

    /** The last attempt failed: a dead letter, until replayed. */
    async dead(id: string, error: string): Promise<void> {
      const now = new Date();
      await outboundEvents.updateOne({ _id: id, status: 'pending' }, { $inc: { attempts: 1 }, $set: { status: 'dead', lastError: error, lastAttemptAt: now, deadAt: now } });
    },

    /** An endpoint's dead letters in emission order, after the `seq` of a page's last one. */
    deadLetters: (endpointId: string, limit: number, afterSeq?: number): Promise<OutboundEventDoc[]> =>
      outboundEvents.find({ endpointId, status: 'dead', ...(afterSeq !== undefined && { seq: { $gt: afterSeq } }) }).sort({ seq: 1 }).limit(limit).toArray(),

    /** Dead letters, or every event queued in [from, to), sent again from their first attempt. */
    async replay(endpointId: string, range?: { from: Date; to: Date }): Promise<number> {
      const which = range ? { endpointId, createdAt: { $gte: range.from, $lt: range.to }, status: { $in: ['delivered', 'dead'] } } : { endpointId, status: 'dead' };
      const res = await outboundEvents.updateMany(which as never, { $set: { status: 'pending', attempts: 0 }, $unset: { deadAt: '', deliveredAt: '', lastError: '' } });
      return res.modifiedCount;
    },

    /** Delivered events older than the retention (replay of a range reaches back this far). */
    async prune(endpointId: string, lane: number, before: Date): Promise<void> {
      await outboundEvents.deleteMany({ endpointId, lane, status: 'delivered', seq: { $lt: before.getTime() * 1000 } });
    },

    async removeEndpoint(endpointId: string): Promise<void> {
      await outboundEvents.deleteMany({ endpointId });
    },
  };
}

export type OutboundEventRepository = ReturnType<typeof outboundEventRepository>;
