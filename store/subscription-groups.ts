// Subscription groups: the `subscription_groups` collection and every read and write of it.
// Customers' choices live in their profiles (`subscriptions`), never here.
import { Schema, type Connection, type Model } from 'mongoose';
import type { Collection } from 'mongodb';
import type { Channel, GroupRule } from '../workflows/messaging/types.js';
import { collectionOf } from './collection.js';

export interface GroupDoc {
  _id: string;
  name: string;
  description?: string;
  channel: Channel;
  type: GroupRule['type'];
  transactional: boolean;
  archived: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const groupSchema = new Schema<GroupDoc>({
  _id: String,
  name: { type: String, required: true },
  description: String,
  channel: { type: String, required: true },
  type: { type: String, required: true },
  transactional: Boolean,
  archived: Boolean,
  createdAt: Date,
  updatedAt: Date,
}, { versionKey: false, minimize: false });

export interface SubscriptionGroupModels {
  SubscriptionGroup: Model<GroupDoc>;
  subscriptionGroups: Collection<GroupDoc>;
}

export function createSubscriptionGroupModels(connection: Connection): SubscriptionGroupModels {
  const SubscriptionGroup = connection.model<GroupDoc>('SubscriptionGroup', groupSchema, 'subscription_groups');
  return { SubscriptionGroup, subscriptionGroups: collectionOf(SubscriptionGroup) };
}

export type GroupDraft = Pick<GroupDoc, 'name' | 'description' | 'channel' | 'type' | 'transactional'>;

/** What a send carries of a group. */
export const ruleOf = (g: Pick<GroupDoc, 'type' | 'transactional'>): GroupRule => ({ type: g.type, ...(g.transactional && { transactional: true }) });

const same = (a: GroupDraft, b: GroupDraft): boolean =>
  a.name === b.name && (a.description ?? null) === (b.description ?? null) && a.channel === b.channel && a.type === b.type && a.transactional === b.transactional;

export function subscriptionGroupRepository({ subscriptionGroups }: SubscriptionGroupModels) {
  const find = (id: string): Promise<GroupDoc | null> => subscriptionGroups.findOne({ _id: id });

  return {
    find,

    /** A retry of the same create answers the stored group with `created: false`; another group under a taken id is a conflict. */
    async create(id: string, draft: GroupDraft): Promise<{ group: GroupDoc; created: boolean } | { conflict: true }> {
      const now = new Date();
      const doc: GroupDoc = {
        _id: id, name: draft.name, ...(draft.description !== undefined && { description: draft.description }),
        channel: draft.channel, type: draft.type, transactional: draft.transactional, archived: false, createdAt: now, updatedAt: now,
      };
      try {
        await subscriptionGroups.insertOne(doc);
        return { group: doc, created: true };
      } catch (err) {
        // The unique _id, checked inline: connection.ts imports models.ts, which imports this one.
        if ((err as { code?: number }).code !== 11000) throw err;
        const existing = await find(id);
        return existing && !existing.archived && same(existing, draft) ? { group: existing, created: false } : { conflict: true };
      }
    },

    async list(includeArchived = false): Promise<GroupDoc[]> {
      return subscriptionGroups.find(includeArchived ? {} : { archived: false }).sort({ channel: 1, _id: 1 }).limit(1000).toArray();
    },

    /** These groups, archived or not (a customer's choices may name archived ones). */
    async findMany(ids: string[]): Promise<GroupDoc[]> {
      return ids.length === 0 ? [] : subscriptionGroups.find({ _id: { $in: ids } }).toArray();
    },

    /** Name and description only; null when there is no such group. */
    async update(id: string, change: Pick<GroupDoc, 'name' | 'description'>): Promise<GroupDoc | null> {
      const set = { name: change.name, updatedAt: new Date(), ...(change.description !== undefined && { description: change.description }) };
      const res = await subscriptionGroups.updateOne({ _id: id }, { $set: set });
      return res.matchedCount === 0 ? null : find(id);
    },

    /** Archived groups stay readable (published sends keep their rule); null when there is no such group. */
    async archive(id: string): Promise<GroupDoc | null> {
      const res = await subscriptionGroups.updateOne({ _id: id }, { $set: { archived: true, updatedAt: new Date() } });
      return res.matchedCount === 0 ? null : find(id);
    },
  };
}

export type SubscriptionGroupRepository = ReturnType<typeof subscriptionGroupRepository>;
