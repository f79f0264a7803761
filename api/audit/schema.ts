// The audit trail as the API takes and answers it: `GET /v1/audit`, newest first, a page at a time.
import { z } from 'zod';
import { Instant } from '../reports/schema.js';

export const AuditQuery = z.object({
  entity: z.string().regex(/^[a-z][a-z_]{0,39}$/, 'an entity type: journey, template, segment, campaign, subscription_group, customer, message').optional(),
  entityId: z.string().min(1).max(200).optional(),
  from: Instant.meta({ description: 'the first instant listed' }).optional(),
  to: Instant.meta({ description: 'the end of the range, not listed' }).optional(),
  cursor: z.string().optional().meta({ description: '`nextCursor` of the previous page' }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
}).refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to), { path: ['to'], message: 'must be after from' });

const Snapshot = z.record(z.string(), z.unknown()).nullable();

export const AuditEntry = z.object({
  id: z.string(),
  at: z.iso.datetime(),
  key: z.string().meta({ description: 'the label of the key that made the change (never the key)' }),
  route: z.string().meta({ description: 'the route as documented, e.g. `POST /v1/journeys/:id/publish`' }),
  action: z.string().meta({ description: '`<entity>.<verb>`, e.g. `journey.publish`' }),
  entity: z.string(),
  entityId: z.string(),
  status: z.number().int().meta({ description: 'the HTTP status answered' }),
  before: Snapshot.meta({ description: 'the stored document before; null when it did not exist, or for a customer (whose profile is never copied here)' }),
  after: Snapshot.meta({ description: 'the stored document after; null when deleted, or for a customer' }),
  outcome: z.unknown().optional().meta({ description: 'the answer, for changes that are not one document (an erasure\'s counts, a migration\'s customers, a customer\'s subscriptions)' }),
}).meta({ id: 'AuditEntry' });

export const AuditPage = z.object({
  items: z.array(AuditEntry).meta({ description: 'newest first' }),
  nextCursor: z.string().nullable(),
}).meta({ id: 'AuditPage' });
