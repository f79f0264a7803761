// Segments: the `segments` collection and every read and write of it. Each write is one
// single-document operation, safe to retry.
import { Schema, type Connection, type Model } from 'mongoose';
import type { Collection } from 'mongodb';
import type { Segment, SegmentRule } from '../workflows/segments/types.js';
import { collectionOf } from './collection.js';

export interface SegmentDoc {
  _id: string;
  name: string;
  rule: SegmentRule;
  createdAt: Date;
  updatedAt: Date;
}

const segmentSchema = new Schema<SegmentDoc>({
  _id: String,
  name: { type: String, required: true },
  rule: { type: Schema.Types.Mixed, required: true },
  createdAt: Date,
  updatedAt: Date,
}, { versionKey: false, minimize: false });

export interface SegmentModels {
  Segment: Model<SegmentDoc>;
  segments: Collection<SegmentDoc>;
}

export function createSegmentModels(connection: Connection): SegmentModels {
  const SegmentModel = connection.model<SegmentDoc>('Segment', segmentSchema, 'segments');
  return { Segment: SegmentModel, segments: collectionOf(SegmentModel) };
}

export type SegmentDraft = Pick<Segment, 'name' | 'rule'>;
/** A stored segment always has its dates. */
export type StoredSegment = Required<Segment>;

/** The API's and the workflows' view: plain JSON, dates as ISO 8601. */
const view = ({ _id, name, rule, createdAt, updatedAt }: SegmentDoc): StoredSegment =>
  ({ id: _id, name, rule, createdAt: createdAt.toISOString(), updatedAt: updatedAt.toISOString() });

/** Key order does not matter: two drafts are the same when their sorted JSON is. */
const canonical = (value: unknown): string => JSON.stringify(value, (_k, v: unknown) =>
  (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));

export function segmentRepository({ segments }: SegmentModels) {
  const find = async (id: string): Promise<StoredSegment | null> => {
    const doc = await segments.findOne({ _id: id });
    return doc && view(doc);
  };

  return {
    /**
     * Stores a new segment. A retry of the same create (same id, name and rule) answers the stored
     * segment with `created: false`; a different segment under a taken id is a conflict.
     */
    async create(id: string, draft: SegmentDraft): Promise<{ segment: StoredSegment; created: boolean } | { conflict: true }> {
      const now = new Date();
      const doc: SegmentDoc = { _id: id, name: draft.name, rule: draft.rule, createdAt: now, updatedAt: now };
      try {
        await segments.insertOne(doc);
        return { segment: view(doc), created: true };
      } catch (err) {
        // The unique _id, checked inline: isDuplicateKey's module imports models.ts, which imports this one.
        if ((err as { code?: number }).code !== 11000) throw err;
        const existing = await segments.findOne({ _id: id });
        if (existing && canonical({ name: existing.name, rule: existing.rule }) === canonical(draft)) return { segment: view(existing), created: false };
        return { conflict: true };
      }
    },

    async list(): Promise<StoredSegment[]> {
      return (await segments.find({}).sort({ _id: 1 }).limit(1000).toArray()).map(view);
    },

    find,

    /** null when there is no such segment. */
    async replace(id: string, draft: SegmentDraft): Promise<StoredSegment | null> {
      const res = await segments.updateOne({ _id: id }, { $set: { name: draft.name, rule: draft.rule, updatedAt: new Date() } });
      if (res.matchedCount === 0) return null;
      return find(id);
    },

    async remove(id: string): Promise<boolean> {
      return (await segments.deleteOne({ _id: id })).deletedCount === 1;
    },
  };
}

export type SegmentRepository = ReturnType<typeof segmentRepository>;
