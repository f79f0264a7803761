// The MongoDB collections Closedloop owns. Shapes live here; queries live in the repositories.
import { Schema, type Connection, type Model } from 'mongoose';
import type { Collection } from 'mongodb';
import type { CustomerState } from '../workflows/lifecycle/state.js';
import type { JourneysState } from '../workflows/journeys/state.js';
import type { EnrollmentSummary } from '../workflows/customer-contract.js';
import { createMessageModels, type MessageModels } from './messages.js';
import { createWebhookReceiptModels, type WebhookReceiptModels } from './webhook-receipts.js';
import { createTemplateModels, type TemplateModels } from './templates.js';
import { createOutboxModels, type OutboxModels } from './outbox.js';
import { createJourneyModels, type JourneyModels } from './journey-models.js';
import { createSegmentModels, type SegmentModels } from './segments.js';
import { createAnalyticsModels, type AnalyticsModels } from './analytics.js';
import { createCampaignModels, type CampaignModels } from './campaigns.js';
import { createDeferredIngestModels, type DeferredIngestModels } from './deferred-ingests.js';
import { createBacktestModels, type BacktestModels } from './backtests.js';
import { createSubscriptionGroupModels, type SubscriptionGroupModels } from './subscription-groups.js';
import { createAuditModels, type AuditModels } from './audit.js';
import { createEventEndpointModels, type EventEndpointModels } from './event-endpoints.js';
import { createOutboundEventModels, type OutboundEventModels } from './outbound-events.js';
import { createImportModels, type ImportModels } from './imports.js';
import { collectionOf } from './collection.js';

/** A profile is the workflow's state as of its last write, keyed by customer id. */
export type CustomerDoc = Omit<CustomerState, 'customerId' | 'journeys'> & {
  _id: string;
  /** Where the customer is in journeys (for migration and reports). */
  journeys?: EnrollmentSummary[];
  /** The workflow's full journey state, so a restored workflow keeps its place. */
  journeyState?: JourneysState;
  /** The workflow's time of the write that stored this revision (a rerun task's write of the same revision wins). */
  writtenAt?: number;
  updatedAt: Date;
};

export interface EventDoc {
  /**
   * `<customer id>:<messageId>`, the customer the event was first stored for: a client's retry is
   * stored once, and two customers' events with the same client id are both kept. Events stored
   * before ids were scoped have the bare messageId.
   */
  _id: string;
  /** The client's id (absent on events stored before ids were scoped: then it is `_id`). */
  messageId?: string;
  customerId: string;
  kind: string;
  name?: string;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  channel?: string;
  timestamp: Date;
  /** The kinds of identity the call carried (never their values): membership triggers read them. */
  identities?: string[];
  /** Refused by MongoDB as sent, so never applied: why, and what it held as text. */
  setAside?: { reason: string; content: string };
}

export interface IdentityDoc {
  /** `${type}:${normalised value}`, e.g. `phone:+8613800000000`. */
  _id: string;
  type: string;
  customerId: string;
  /** The customer it belonged to before a merge, until that customer's workflow hands over. */
  movedFrom?: string;
  createdAt: Date;
}

const customerSchema = new Schema<CustomerDoc>({
  _id: String,
  stage: { type: String, index: true },
  tier: { type: String, index: true },
  points: Number,
  counters: { events: Number, orders: Number, spend: Number, firstSeenAt: String, lastSeenAt: String, lastOrderAt: String },
  followed: Boolean,
  registered: Boolean,
  tags: { type: [String], index: true },
  consent: { type: Schema.Types.Mixed, default: {} },
  subscriptions: { type: Schema.Types.Mixed, default: undefined },
  traits: { type: Schema.Types.Mixed, default: {} },
  recentMessageIds: [String],
  mergedFrom: [String],
  mergedInto: String,
  revision: Number,
  updatedAt: Date,
}, { versionKey: false, minimize: false });
// Who is in a journey (migrations, reports): the workflow keeps `journeys` (EnrollmentSummary[]) current.
customerSchema.index({ 'journeys.journeyId': 1 });

const eventSchema = new Schema<EventDoc>({
  _id: String,
  messageId: String,
  customerId: { type: String, required: true },
  kind: String,
  name: String,
  properties: { type: Schema.Types.Mixed, default: {} },
  traits: { type: Schema.Types.Mixed, default: {} },
  channel: String,
  timestamp: Date,
  identities: { type: [String], default: undefined },
  setAside: { type: Schema.Types.Mixed, default: undefined },
}, { versionKey: false, minimize: false });
// The timeline: one customer's events, newest first.
eventSchema.index({ customerId: 1, timestamp: -1, _id: -1 });
// Segments' behaviour: who did an event in a window (store/segment-query.ts).
eventSchema.index({ name: 1, timestamp: 1 });

const identitySchema = new Schema<IdentityDoc>({
  _id: String,
  type: String,
  customerId: { type: String, required: true, index: true },
  movedFrom: { type: String, index: { sparse: true } },
  createdAt: Date,
}, { versionKey: false });

/** Mongoose models give the shape and the indexes; hot paths use their typed driver collections. */
export interface Models extends MessageModels, WebhookReceiptModels, TemplateModels, OutboxModels, JourneyModels, SegmentModels, AnalyticsModels, CampaignModels, DeferredIngestModels, BacktestModels, SubscriptionGroupModels, AuditModels, EventEndpointModels, OutboundEventModels, ImportModels {
  Customer: Model<CustomerDoc>;
  Event: Model<EventDoc>;
  Identity: Model<IdentityDoc>;
  customers: Collection<CustomerDoc>;
  events: Collection<EventDoc>;
  identities: Collection<IdentityDoc>;
}

export function createModels(connection: Connection): Models {
  const Customer = connection.model<CustomerDoc>('Customer', customerSchema, 'customers');
  const Event = connection.model<EventDoc>('Event', eventSchema, 'events');
  const Identity = connection.model<IdentityDoc>('Identity', identitySchema, 'identities');
  return {
    Customer, Event, Identity,
    ...createMessageModels(connection),
    ...createWebhookReceiptModels(connection),
    ...createTemplateModels(connection),
    ...createOutboxModels(connection),
    ...createJourneyModels(connection),
    ...createSegmentModels(connection),
    ...createAnalyticsModels(connection),
    ...createCampaignModels(connection),
    ...createDeferredIngestModels(connection),
    ...createBacktestModels(connection),
    ...createSubscriptionGroupModels(connection),
    ...createAuditModels(connection),
    ...createEventEndpointModels(connection),
    ...createOutboundEventModels(connection),
    ...createImportModels(connection),
    customers: collectionOf(Customer),
    events: collectionOf(Event),
    identities: collectionOf(Identity),
  };
}
