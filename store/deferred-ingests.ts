// Which deferred-ingest workflows (workflows/deferred-ingest.ts) delivered whose events: their
// histories hold those events as the client sent them, so erasing a customer deletes them too.
import { Schema, type Connection, type Model } from 'mongoose';
import type { Collection } from 'mongodb';
import { collectionOf } from './collection.js';

export interface DeferredIngestDoc {
  /** `${workflowId}|${customerId}`: one per customer of a deferred request, written once. */
  _id: string;
  workflowId: string;
  customerId: string;
  resolvedAt: Date;
}

const deferredIngestSchema = new Schema<DeferredIngestDoc>({
  _id: String,
  workflowId: String,
  customerId: { type: String, index: true },
  resolvedAt: Date,
}, { versionKey: false });

export interface DeferredIngestModels {
  DeferredIngest: Model<DeferredIngestDoc>;
  deferredIngests: Collection<DeferredIngestDoc>;
}

export function createDeferredIngestModels(connection: Connection): DeferredIngestModels {
  const DeferredIngest = connection.model<DeferredIngestDoc>('DeferredIngest', deferredIngestSchema, 'deferred_ingests');
  return { DeferredIngest, deferredIngests: collectionOf(DeferredIngest) };
}

export function deferredIngestRepository({ deferredIngests }: DeferredIngestModels) {
  return {
    /** Before the events go out: a retried activity writes the same documents again. */
    async record(workflowId: string, customerIds: string[]): Promise<void> {
      if (customerIds.length === 0) return;
      const resolvedAt = new Date();
      await deferredIngests.bulkWrite(customerIds.map((customerId) => ({
        updateOne: { filter: { _id: `${workflowId}|${customerId}` }, update: { $setOnInsert: { workflowId, customerId, resolvedAt } }, upsert: true },
      })), { ordered: false });
    },

    /** The deferred-ingest workflows that delivered events of any of these customers. */
    async workflowsOf(customerIds: string[]): Promise<string[]> {
      const docs = await deferredIngests.find({ customerId: { $in: customerIds } }, { projection: { workflowId: 1 } }).toArray();
      return [...new Set(docs.map((d) => d.workflowId))];
    },
  };
}

export type DeferredIngestRepository = ReturnType<typeof deferredIngestRepository>;
