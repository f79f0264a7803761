// The audit trail: one `audit` document per change made through an admin route (who, when, what,
// the document before and after), and the snapshots of the documents it compares.
import { randomBytes } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import type { Collection, Document, Filter } from 'mongodb';
import type { CampaignModels } from './campaigns.js';
import type { EventEndpointModels } from './event-endpoints.js';
import type { JourneyModels } from './journey-models.js';
import type { MessageModels } from './messages.js';
import type { SegmentModels } from './segments.js';
import type { SubscriptionGroupModels } from './subscription-groups.js';
import type { TemplateModels } from './templates.js';
import { collectionOf } from './collection.js';

export interface AuditDoc {
  /** Time-ordered: `a<ms base36><random>`. */
  _id: string;
  at: Date;
  /** The key's label (never the key or its hash). */
  key: string;
  /** The route as the API documents it, e.g. `POST /v1/journeys/:id/publish`. */
  route: string;
  /** `<entity>.<verb>`, e.g. `journey.publish`. */
  action: string;
  entity: string;
  entityId: string;
  /** The HTTP status answered. */
  status: number;
  /** The stored document before and after the change; null when there was none (created, deleted) or it is not copied (a customer). */
  before: Document | null;
  after: Document | null;
  /** What the answer said, for changes that are not one document (an erasure's counts, a migration's customers). */
  outcome?: unknown;
}

const auditSchema = new Schema<AuditDoc>({
  _id: String,
  at: { type: Date, required: true },
  key: String,
  route: String,
  action: String,
  entity: String,
  entityId: String,
  status: Number,
  before: { type: Schema.Types.Mixed, default: null },
  after: { type: Schema.Types.Mixed, default: null },
  outcome: Schema.Types.Mixed,
}, { versionKey: false, minimize: false });
// GET /v1/audit: newest first, over everything or one entity.
auditSchema.index({ at: -1, _id: -1 });
auditSchema.index({ entity: 1, entityId: 1, at: -1, _id: -1 });

export interface AuditModels {
  Audit: Model<AuditDoc>;
  audit: Collection<AuditDoc>;
}

export function createAuditModels(connection: Connection): AuditModels {
  const Audit = connection.model<AuditDoc>('Audit', auditSchema, 'audit');
  return { Audit, audit: collectionOf(Audit) };
}

/** The entities whose stored document is copied before and after; a customer never is (an erasure would not erase it). */
export type SnapshotEntity = 'journey' | 'template' | 'segment' | 'campaign' | 'subscription_group' | 'message' | 'event_endpoint';
export const snapshotEntities: readonly SnapshotEntity[] = ['journey', 'template', 'segment', 'campaign', 'subscription_group', 'message', 'event_endpoint'];

export interface AuditQuery {
  entity?: string;
  entityId?: string;
  from?: Date;
  to?: Date;
  /** The last entry of the previous page. */
  after?: { timestamp: Date; id: string };
  limit: number;
}

/** The collections whose documents the trail snapshots, each named by its own file (models.ts, which gathers them, imports this one). */
type AuditSources = AuditModels & Pick<JourneyModels, 'journeys'> & Pick<TemplateModels, 'templates'> & Pick<SegmentModels, 'segments'>
  & Pick<CampaignModels, 'campaigns'> & Pick<SubscriptionGroupModels, 'subscriptionGroups'> & Pick<MessageModels, 'messages'> & Pick<EventEndpointModels, 'eventEndpoints'>;

/** Orders the records made in one millisecond by this process. */
let sequence = 0;

export function auditRepository(models: AuditSources) {
  const { audit } = models;
  const byId = <T extends { _id: string }>(collection: Collection<T>, projection?: Document) => async (id: string): Promise<Document | null> =>
    collection.findOne({ _id: id } as Filter<T>, projection && { projection });
  const snapshots: Record<SnapshotEntity, (id: string) => Promise<Document | null>> = {
    journey: byId(models.journeys),
    template: byId(models.templates),
    segment: byId(models.segments),
    campaign: byId(models.campaigns),
    subscription_group: byId(models.subscriptionGroups),
    // Not the personalisation kept for a send again, nor the address: personal data stays out of the trail.
    message: byId(models.messages, { variables: 0, to: 0, detail: 0 }),
    // Never a signing secret.
    event_endpoint: byId(models.eventEndpoints, { secret: 0, previousSecret: 0 }),
  };

  return {
    /** Whether the entity's stored document is copied before and after a change. */
    copies: (entity: string): boolean => (snapshotEntities as readonly string[]).includes(entity),

    /** The entity's stored document now, or null (none, or an entity that is not copied). */
    snapshot(entity: string, id: string): Promise<Document | null> {
      return (snapshotEntities as readonly string[]).includes(entity) ? snapshots[entity as SnapshotEntity](id) : Promise.resolve(null);
    },

    async record(entry: Omit<AuditDoc, '_id' | 'at'>, at = new Date()): Promise<AuditDoc> {
      sequence = (sequence + 1) % 36 ** 4;
      const id = `a${at.getTime().toString(36).padStart(9, '0')}${sequence.toString(36).padStart(4, '0')}${randomBytes(4).toString('hex')}`;
      const doc: AuditDoc = { _id: id, at, ...entry };
      await audit.insertOne(doc);
      return doc;
    },

    /** One page, newest first (`limit + 1` read, so the caller knows whether another page follows). */
    page({ entity, entityId, from, to, after, limit }: AuditQuery): Promise<AuditDoc[]> {
      const filter: Filter<AuditDoc> = {
        ...(entity !== undefined && { entity }),
        ...(entityId !== undefined && { entityId }),
        ...((from || to) && { at: { ...(from && { $gte: from }), ...(to && { $lt: to }) } }),
      };
      const page = after ? { $and: [filter, { $or: [{ at: { $lt: after.timestamp } }, { at: after.timestamp, _id: { $lt: after.id } }] }] } : filter;
      return audit.find(page).sort({ at: -1, _id: -1 }).limit(limit + 1).toArray();
    },
  };
}

export type AuditRepository = ReturnType<typeof auditRepository>;
