// Campaigns: the `campaigns` collection and every read and write of it. The API creates and
// cancels them; each broadcast run records its start and its end here.
import { Schema, type Connection, type Model } from 'mongoose';
import type { Collection } from 'mongodb';
import type { CampaignProgress } from '../workflows/campaign-contract.js';
import type { CampaignMessage } from '../workflows/campaigns/journey.js';
import type { GroupRule } from '../workflows/messaging/types.js';
import type { MessageModels, MessageStatus } from './messages.js';
import { collectionOf } from './collection.js';

export type CampaignStatus = 'scheduled' | 'running' | 'completed' | 'cancelled';

/** Absent: sent once, at creation. */
export type CampaignSchedule = { at: Date } | { cron: string; timeZone: string };

/** The latest broadcast run (a recurring campaign has one per occurrence). */
export interface CampaignRun {
  workflowId: string;
  /** As the run last reported it: at its start and at its end (live figures come from its query). */
  progress: CampaignProgress;
  finishedAt?: Date;
  /** Why the run sent nothing, e.g. its segment was deleted. */
  error?: string;
}

export interface CampaignDoc {
  _id: string;
  name: string;
  segmentId: string;
  message: CampaignMessage;
  /** The rule of the message's subscription group as the campaign was created (its sends carry it). */
  groups?: Record<string, GroupRule>;
  ratePerSecond: number;
  schedule?: CampaignSchedule;
  status: CampaignStatus;
  lastRun?: CampaignRun;
  createdAt: Date;
  updatedAt: Date;
}

const campaignSchema = new Schema<CampaignDoc>({
  _id: String,
  name: { type: String, required: true },
  segmentId: { type: String, required: true },
  message: { type: Schema.Types.Mixed, required: true },
  groups: Schema.Types.Mixed,
  ratePerSecond: Number,
  schedule: Schema.Types.Mixed,
  status: String,
  lastRun: Schema.Types.Mixed,
  createdAt: Date,
  updatedAt: Date,
}, { versionKey: false, minimize: false });

export interface CampaignModels {
  Campaign: Model<CampaignDoc>;
  campaigns: Collection<CampaignDoc>;
}

export function createCampaignModels(connection: Connection): CampaignModels {
  const Campaign = connection.model<CampaignDoc>('Campaign', campaignSchema, 'campaigns');
  return { Campaign, campaigns: collectionOf(Campaign) };
}

/** What a marketer decides; the rest (status, runs, dates) is the system's. */
export type CampaignDraft = Pick<CampaignDoc, 'name' | 'segmentId' | 'message' | 'ratePerSecond' | 'schedule' | 'groups'>;

/** Key order does not matter: two drafts are the same when their sorted JSON is. */
const canonical = (value: unknown): string => JSON.stringify(value, (_k, v: unknown) =>
  (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
const draftOf = ({ name, segmentId, message, ratePerSecond, schedule, groups }: CampaignDoc): CampaignDraft =>
  ({ name, segmentId, message, ratePerSecond, ...(schedule && { schedule }), ...(groups && { groups }) });

export function campaignRepository({ campaigns, messages }: CampaignModels & MessageModels) {
  const find = (id: string): Promise<CampaignDoc | null> => campaigns.findOne({ _id: id });

  return {
    find,

    /**
     * Stores a new campaign. A retry of the same create answers the stored one with `created:
     * false`; a different campaign under a taken id is a conflict.
     */
    async create(id: string, draft: CampaignDraft, status: CampaignStatus): Promise<{ campaign: CampaignDoc; created: boolean } | { conflict: true }> {
      const now = new Date();
      const doc: CampaignDoc = { _id: id, ...draft, status, createdAt: now, updatedAt: now };
      try {
        await campaigns.insertOne(doc);
        return { campaign: doc, created: true };
      } catch (err) {
        // The unique _id, checked inline: isDuplicateKey's module imports models.ts, which imports this one.
        if ((err as { code?: number }).code !== 11000) throw err;
        const existing = await find(id);
        if (existing && canonical(draftOf(existing)) === canonical(draft)) return { campaign: existing, created: false };
        return { conflict: true };
      }
    },

    /** Only for a create that Temporal refused: nothing else refers to it yet. */
    async remove(id: string): Promise<void> {
      await campaigns.deleteOne({ _id: id });
    },

    async list(): Promise<CampaignDoc[]> {
      return campaigns.find({}).sort({ _id: 1 }).limit(1000).toArray();
    },

    /** A run begins; false when the campaign is gone or cancelled (the run must send nothing). */
    async startRun(id: string, run: CampaignRun): Promise<boolean> {
      const res = await campaigns.updateOne({ _id: id, status: { $ne: 'cancelled' } }, { $set: { status: 'running', lastRun: run, updatedAt: new Date() } });
      return res.matchedCount === 1;
    },

    /** A page of a run went out: its figures, never behind the ones stored, and never once the run has ended. */
    async recordProgress(id: string, workflowId: string, progress: CampaignProgress): Promise<void> {
      const current = { _id: id, 'lastRun.workflowId': workflowId, 'lastRun.finishedAt': { $exists: false }, 'lastRun.progress.signalled': { $lt: progress.signalled } };
      await campaigns.updateOne(current, { $set: { 'lastRun.progress': progress, updatedAt: new Date() } });
    },

    /** A run ended (or was cancelled): its figures stay; a recurring campaign waits for its next time. */
    async finishRun(id: string, workflowId: string, progress: CampaignProgress, error?: string): Promise<void> {
      const now = new Date();
      const ran = { _id: id, 'lastRun.workflowId': workflowId };
      await campaigns.updateOne(ran, { $set: { 'lastRun.progress': progress, 'lastRun.finishedAt': now, ...(error !== undefined && { 'lastRun.error': error }), updatedAt: now } });
      const doc = await find(id);
      const next: CampaignStatus = doc?.schedule && 'cron' in doc.schedule ? 'scheduled' : 'completed';
      // Only a run still marked running moves the status on: a cancel in between stays.
      await campaigns.updateOne({ ...ran, status: 'running' }, { $set: { status: next } });
    },

    /** The campaign's messages (every run's) by status; statuses without any are left out. */
    async messageCounts(id: string): Promise<Partial<Record<MessageStatus, number>>> {
      const groups = await messages.aggregate<{ _id: MessageStatus; n: number }>([{ $match: { campaignId: id } }, { $group: { _id: '$status', n: { $sum: 1 } } }]).toArray();
      return Object.fromEntries(groups.map((g) => [g._id, g.n]));
    },

    /** The campaigns that will still send to this segment: scheduled or running (at most 20). */
    async usingSegment(segmentId: string): Promise<{ id: string; status: CampaignStatus }[]> {
      const found = await campaigns.find({ segmentId, status: { $in: ['scheduled', 'running'] } }, { projection: { status: 1 } }).sort({ _id: 1 }).limit(20).toArray();
      return found.map((c) => ({ id: c._id, status: c.status }));
    },

    /** null when there is no such campaign; a completed one stays completed. */
    async cancel(id: string): Promise<CampaignDoc | null> {
      await campaigns.updateOne({ _id: id, status: { $nin: ['completed', 'cancelled'] } }, { $set: { status: 'cancelled', updatedAt: new Date() } });
      return find(id);
    },
  };
}

export type CampaignRepository = ReturnType<typeof campaignRepository>;
