// Segments for marketers (admin keys): CRUD, and previews of who is in one, saved or not.
import { Router } from 'express';
import { z } from 'zod';
import { invalid, parse } from '../errors.js';
import { PreviewRequest, SavedSegment, SegmentDeleted, SegmentId, SegmentInput, SegmentList, SegmentPreview } from './schema.js';
import type { SegmentService } from './service.js';
import type { ApiRoute } from '../route.js';

const byId = z.object({ id: SegmentId });
const invalidRule = '`invalid_request`: every bad field named, e.g. `rule.rules.1.within`';
const admin = (route: Omit<ApiRoute, 'key'>): ApiRoute => ({ ...route, key: 'admin' });
const previewed = { 200: { description: 'how many customers are in it now, and the first 20 by id', schema: SegmentPreview } };

export const segmentsApi: ApiRoute[] = [
  admin({
    method: 'post', path: '/v1/segments', summary: 'Create a segment', body: SegmentInput,
    description: 'Without an `id`, one is made. Repeating the same create answers 200 with the stored segment.',
    responses: { 201: { description: 'the segment', schema: SavedSegment }, 200: { description: 'this exact segment was already stored', schema: SavedSegment } },
    errors: { 400: invalidRule, 409: '`conflict`: a different segment has this id' },
  }),
  admin({ method: 'get', path: '/v1/segments', summary: 'List segments', responses: { 200: { description: 'segments by id', schema: SegmentList } } }),
  admin({
    method: 'post', path: '/v1/segments/preview', summary: 'Preview a rule before saving it', body: PreviewRequest,
    responses: previewed, errors: { 400: invalidRule },
  }),
  admin({
    method: 'get', path: '/v1/segments/:id', summary: 'A segment', params: byId,
    responses: { 200: { description: 'the segment', schema: SavedSegment } }, errors: { 400: invalidRule, 404: '`not_found`' },
  }),
  admin({
    method: 'put', path: '/v1/segments/:id', summary: 'Replace a segment', params: byId, body: SegmentInput,
    responses: { 200: { description: 'the segment', schema: SavedSegment } }, errors: { 400: `${invalidRule}, or a body \`id\` other than the URL's`, 404: '`not_found`' },
  }),
  admin({
    method: 'delete', path: '/v1/segments/:id', summary: 'Delete a segment', params: byId,
    responses: { 200: { description: 'deleted', schema: SegmentDeleted } },
    errors: { 400: invalidRule, 404: '`not_found`', 409: '`segment_in_use`: an active or paused journey is triggered by it, or a scheduled or running campaign sends to it (each named in `details`)' },
  }),
  admin({
    method: 'post', path: '/v1/segments/:id/preview', summary: 'Preview a saved segment', params: byId,
    responses: previewed, errors: { 400: invalidRule, 404: '`not_found`' },
  }),
];

export function segmentsRouter(service: SegmentService): Router {
  const router = Router();
  const id = (raw: unknown): string => parse(SegmentId, raw, ['id']);

  router.post('/v1/segments', async (req, res) => {
    const { segment, created } = await service.create(parse(SegmentInput, req.body ?? {}));
    res.status(created ? 201 : 200).json(segment satisfies z.input<typeof SavedSegment>);
  });

  router.get('/v1/segments', async (_req, res) => {
    res.json((await service.list()) satisfies z.input<typeof SegmentList>);
  });

  router.post('/v1/segments/preview', async (req, res) => {
    res.json((await service.preview(parse(PreviewRequest, req.body ?? {}).rule)) satisfies z.input<typeof SegmentPreview>);
  });

  router.get('/v1/segments/:id', async (req, res) => {
    res.json((await service.get(id(req.params.id))) satisfies z.input<typeof SavedSegment>);
  });

  router.put('/v1/segments/:id', async (req, res) => {
    const segmentId = id(req.params.id);
    const { id: bodyId, ...draft } = parse(SegmentInput, req.body ?? {});
    if (bodyId !== undefined && bodyId !== segmentId) throw invalid([{ field: 'id', message: `does not match the URL's ${segmentId}` }]);
    res.json((await service.replace(segmentId, draft)) satisfies z.input<typeof SavedSegment>);
  });

  router.delete('/v1/segments/:id', async (req, res) => {
    res.json((await service.remove(id(req.params.id))) satisfies z.input<typeof SegmentDeleted>);
  });

  router.post('/v1/segments/:id/preview', async (req, res) => {
    res.json((await service.previewSaved(id(req.params.id))) satisfies z.input<typeof SegmentPreview>);
  });

  return router;
}
