// The Segment-compatible ingestion endpoints: /v1/{track,identify,page,screen,group,alias,batch}.
import { Router, type Request } from 'express';
import { ApiError, invalid, zodDetails, type ErrorDetail } from '../errors.js';
import { Batch, kinds, maxEventBytes, type Kind, type SegmentEvent } from '../ingest/segment.js';
import type { IngestItem, IngestService } from '../ingest/service.js';

const bytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v));

function parseEvent(kind: Kind, body: unknown, at: string, details: ErrorDetail[]): SegmentEvent | undefined {
  const parsed = kinds[kind].safeParse(body);
  if (!parsed.success) { details.push(...zodDetails(parsed.error, at ? at.split('.') : [])); return undefined; }
  return { ...parsed.data, type: kind } as SegmentEvent;
}

export function ingestRouter(service: IngestService): Router {
  const router = Router();

  for (const kind of Object.keys(kinds) as Kind[]) {
    router.post(`/v1/${kind}`, async (req: Request, res) => {
      if (bytes(req.body) > maxEventBytes) throw new ApiError(413, 'event_too_large', `an event may be at most ${maxEventBytes} bytes`);
      const details: ErrorDetail[] = [];
      const event = parseEvent(kind, req.body ?? {}, '', details);
      if (!event) throw invalid(details);
      const result = await service.ingest([{ event, at: '(body)' }]);
      res.json({ success: true, ...result });
    });
  }

  router.post('/v1/batch', async (req, res) => {
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
    res.json({ success: true, ...result });
  });

  return router;
}
