// Exports read straight from MongoDB cursors, a batch at a time: a segment's members with their
// identities, the messages of a range, the conversions of a range. Nothing holds the whole result.
import type { FindCursor } from 'mongodb';
import type { SegmentRule } from '../workflows/segments/types.js';
import type { ConversionDoc } from './analytics.js';
import type { MessageDoc } from './messages.js';
import type { CustomerDoc, Models } from './models.js';
import { segmentFilter } from './segment-query.js';

export interface MemberRecord {
  customer: Pick<CustomerDoc, '_id' | 'stage' | 'tier' | 'scores' | 'traits'>;
  /** `type:value` of each identity, sorted. */
  identities: string[];
}

/** What a message export carries: no address, personalisation, links or provider text (personal data stays in the profile). */
export type ExportedMessage = Omit<MessageDoc, 'to' | 'variables' | 'links' | 'detail'>;

export function exportQueries({ customers, events, identities, messages, conversions }: Pick<Models, 'customers' | 'events' | 'identities' | 'messages' | 'conversions'>) {
  async function* withIdentities(batch: MemberRecord['customer'][]): AsyncGenerator<MemberRecord> {
    const owned = new Map<string, string[]>();
    const docs = await identities.find({ customerId: { $in: batch.map((c) => c._id) } }, { projection: { customerId: 1 } }).toArray();
    for (const d of docs) owned.set(d.customerId, [...(owned.get(d.customerId) ?? []), d._id]);
    for (const customer of batch) yield { customer, identities: (owned.get(customer._id) ?? []).sort() };
  }

  return {
    /** The segment's members at `now`, by customer id, `batchSize` profiles (and their identities) at a time. */
    async *segmentMembers(rule: SegmentRule, now: number, traits: string[], batchSize = 500): AsyncGenerator<MemberRecord> {
      const filter = await segmentFilter(events, rule, now);
      const projection = { stage: 1, tier: 1, scores: 1, ...Object.fromEntries(traits.map((t) => [`traits.${t}`, 1])) };
      const cursor = customers.find(filter, { projection }).sort({ _id: 1 }).batchSize(batchSize) as FindCursor<MemberRecord['customer']>;
      let batch: MemberRecord['customer'][] = [];
      try {
        for await (const customer of cursor) {
          batch.push(customer);
          if (batch.length >= batchSize) { yield* withIdentities(batch); batch = []; }
        }
        if (batch.length > 0) yield* withIdentities(batch);
      } finally {
        await cursor.close();
      }
    },

    /** Messages created in [from, to), oldest first. */
    messages(from: Date, to: Date, batchSize = 1000): FindCursor<ExportedMessage> {
      return messages.find({ createdAt: { $gte: from, $lt: to } }, { projection: { to: 0, variables: 0, links: 0, detail: 0 } })
        .sort({ createdAt: 1, _id: 1 }).batchSize(batchSize);
    },

    /** Conversions in [from, to), oldest first, with their touches and credits. */
    conversions(from: Date, to: Date, batchSize = 1000): FindCursor<ConversionDoc> {
      return conversions.find({ at: { $gte: from, $lt: to } }).sort({ at: 1 }).batchSize(batchSize);
    },
  };
}

export type ExportQueries = ReturnType<typeof exportQueries>;
