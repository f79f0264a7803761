// The Segment-compatible ingestion endpoints: /v1/{track,identify,page,screen,group,alias,batch}.
import { Router, type Request } from 'express';
import type { z } from 'zod';
import { ApiError, invalid, zodDetails, type ErrorDetail } from '../errors.js';
import { Accepted, Batch, kinds, maxEventBytes, type Kind, type SegmentEvent } from './segment.js';
import type { IngestItem, IngestService } from './service.js';
import type { ApiRoute } from '../route.js';
import { eventLimits } from './limits.js';
import { refuseDeep } from '../body.js';

const bytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v));

/** Context and properties nest a few levels; past this a body is refused before anything reads it deeply. */
const maxDepth = eventLimits.depth + 4;

function parseEvent(kind: Kind, body: unknown, at: string, details: ErrorDetail[]): SegmentEvent | undefined {
  const parsed = kinds[kind].safeParse(body);
  if (!parsed.success) { details.push(...zodDetails(parsed.error, at ? at.split('.') : [])); return undefined; }
  return { ...parsed.data, type: kind } as SegmentEvent;
}

const ingestion = (path: string, summary: string, body: z.ZodType): ApiRoute => ({
  method: 'post', path, key: 'write', summary, body,
  description: 'Answers once Temporal has durably accepted every event; a retry is safe (each workflow drops `messageId`s it has applied).',
  responses: { 200: { description: 'accepted', schema: Accepted } },
  errors: {
    400: '`invalid_request`: every bad field named, e.g. `batch.3.traits.phone`',
    413: `\`event_too_large\`: an event over ${maxEventBytes} bytes`,
    503: '`temporal_unavailable`, `mongodb_unavailable`, or `overloaded` (too many signals already waiting; see Retry-After): nothing was applied twice; retry',
  },
});

export const ingestApi: ApiRoute[] = [
  ...(Object.keys(kinds) as Kind[]).map((kind) => ingestion(`/v1/${kind}`, `Segment ${kind}`, kinds[kind])),
  ingestion('/v1/batch', 'Segment batch: up to 2,500 events, all or nothing at validation', Batch),
];

export function ingestRouter(service: IngestService): Router {
  const router = Router();

  for (const kind of Object.keys(kinds) as Kind[]) {
    router.post(`/v1/${kind}`, async (req: Request, res) => {
      // No body (or one of a type the JSON parser skips) leaves req.body undefined: an empty event.
      const body: unknown = req.body ?? {};
      refuseDeep(body, maxDepth);
      if (bytes(body) > maxEventBytes) throw new ApiError(413, 'event_too_large', `an event may be at most ${maxEventBytes} bytes`);
      const details: ErrorDetail[] = [];
      const event = parseEvent(kind, body, '', details);
      if (!event) throw invalid(details);
      const result = await service.ingest([{ event, at: '' }]);
      res.json({ success: true, ...result } satisfies z.input<typeof Accepted>);
    });
  }

  router.post('/v1/batch', async (req, res) => {
    refuseDeep(req.body, maxDepth + 2);
    const envelope = Batch.safeParse(req.body ?? {});
    if (!envelope.success) throw invalid(zodDetails(envelope.error));
    const tooLarge = envelope.data.batch.flatMap((e, i) => (bytes(e) > maxEventBytes ? [{ field: `batch.${i}`, message: `over ${maxEventBytes} bytes` }] : []));
    if (tooLarge.length > 0) throw new ApiError(413, 'event_too_large', `an event may be at most ${maxEventBytes} bytes`, tooLarge);
    const details: ErrorDetail[] = [];
    const items: IngestItem[] = [];
    envelope.data.batch.forEach((raw, i) => {
      const event = parseEvent(raw.type, raw, `batch.${i}`, details);
      if (event) items.push({ event, at: `batch.${i}` });
    });
    if (details.length > 0) throw invalid(details);
    const result = await service.ingest(items, envelope.data.sentAt);
    res.json({ success: true, ...result } satisfies z.input<typeof Accepted>);
  });

  return router;
}
