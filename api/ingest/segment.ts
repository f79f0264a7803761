// The Segment tracking API spec, as zod schemas: what /v1/track, /v1/identify… and /v1/batch take.
import { z } from 'zod';

const id = z.union([z.string().min(1).max(256), z.number().transform(String)]);
const dict = z.record(z.string(), z.unknown());
const isoDate = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

const common = {
  messageId: z.string().min(1).max(256).optional(),
  userId: id.nullish(),
  anonymousId: id.nullish(),
  timestamp: isoDate.optional(),
  sentAt: isoDate.optional(),
  context: dict.optional(),
  integrations: dict.optional(),
};
const needsAnId = (e: { userId?: string | null; anonymousId?: string | null }) => Boolean(e.userId || e.anonymousId);
const anIdMessage = { message: 'userId or anonymousId is required', path: ['userId'] };

export const Track = z.object({ ...common, type: z.literal('track').optional(), event: z.string().min(1).max(200), properties: dict.default({}) }).refine(needsAnId, anIdMessage)
  .meta({ id: 'Track', examples: [{ userId: 'u-1', event: 'Order Completed', properties: { total: 99 } }] });
/** An identify call's fields, without the check that it names userId or anonymousId (a CSV import's customer may be named by a trait alone). */
export const IdentifyFields = z.object({ ...common, type: z.literal('identify').optional(), traits: dict.default({}) });
export const Identify = IdentifyFields.refine(needsAnId, anIdMessage)
  .meta({ id: 'Identify', examples: [{ userId: 'u-1', traits: { name: 'Ada', email: 'ada@example.com' } }] });
export const Page = z.object({ ...common, type: z.literal('page').optional(), name: z.string().max(200).optional(), category: z.string().optional(), properties: dict.default({}) }).refine(needsAnId, anIdMessage).meta({ id: 'Page' });
export const Screen = z.object({ ...common, type: z.literal('screen').optional(), name: z.string().max(200).optional(), properties: dict.default({}) }).refine(needsAnId, anIdMessage).meta({ id: 'Screen' });
export const Group = z.object({ ...common, type: z.literal('group').optional(), groupId: id, traits: dict.default({}) }).refine(needsAnId, anIdMessage).meta({ id: 'Group' });
export const Alias = z.object({ ...common, type: z.literal('alias').optional(), previousId: id, userId: id }).meta({ id: 'Alias' });

export const kinds = { track: Track, identify: Identify, page: Page, screen: Screen, group: Group, alias: Alias } as const;
export type Kind = keyof typeof kinds;
export type SegmentEvent =
  | ({ type: 'track' } & z.output<typeof Track>)
  | ({ type: 'identify' } & z.output<typeof Identify>)
  | ({ type: 'page' } & z.output<typeof Page>)
  | ({ type: 'screen' } & z.output<typeof Screen>)
  | ({ type: 'group' } & z.output<typeof Group>)
  | ({ type: 'alias' } & z.output<typeof Alias>);

export const Batch = z.object({
  batch: z.array(z.object({ type: z.enum(Object.keys(kinds) as [Kind, ...Kind[]]) }).loose()).min(1).max(2500),
  sentAt: isoDate.optional(),
  context: dict.optional(),
}).meta({
  id: 'Batch', examples: [{ batch: [{ type: 'identify', userId: 'u-1', traits: { name: 'Ada' } }, { type: 'track', userId: 'u-1', event: 'Followed' }] }],
  description: 'Each item is then checked as its `type`\'s event (Track, Identify, …); a batch is all or nothing.',
});

/** What ingestion answers once Temporal has accepted every event. */
export const Accepted = z.object({
  success: z.literal(true),
  accepted: z.number().int().meta({ description: 'events accepted' }),
  customers: z.number().int().meta({ description: 'customers they belong to (0 while deferred)' }),
  deferred: z.literal(true).optional().meta({ description: 'MongoDB was unreachable: the events wait in Temporal and are applied once it is back' }),
}).meta({ id: 'Accepted' });

/** Segment's limits. */
export const maxEventBytes = 32 * 1024;
export const maxBatchBytes = 500 * 1024;
