// Campaigns for marketers (admin keys): broadcasts to a segment now, at a time, or on a cron
// schedule; their progress and message counts; cancellation.
import { Router } from 'express';
import { z } from 'zod';
import { parse } from '../errors.js';
import { Campaign, CampaignDetail, CampaignId, CampaignInput, CampaignList } from './schema.js';
import type { CampaignService } from './service.js';
import type { ApiRoute } from '../route.js';

const byId = z.object({ id: CampaignId });
const invalidRequest = '`invalid_request`: every bad field named, including an unknown `segmentId` or `message.template`';
const notFound = '`not_found`: no such campaign';
const unavailable = '`temporal_unavailable`: retry; a repeated request does nothing twice';
const admin = (route: Omit<ApiRoute, 'key'>): ApiRoute => ({ ...route, key: 'admin' });

export const campaignsApi: ApiRoute[] = [
  admin({
    method: 'post', path: '/v1/campaigns', summary: 'Create a campaign: a broadcast now, at a time, or on a cron schedule', body: CampaignInput,
    description: 'Each customer in the segment is handed the message; their own frequency caps, quiet hours and consent decide whether and when it goes. '
      + 'Repeating the same create answers 200 with the stored campaign.',
    responses: { 201: { description: 'the campaign', schema: Campaign }, 200: { description: 'this exact campaign was already stored', schema: Campaign } },
    errors: { 400: invalidRequest, 409: '`conflict`: a different campaign has this id', 503: unavailable },
  }),
  admin({ method: 'get', path: '/v1/campaigns', summary: 'List campaigns', responses: { 200: { description: 'campaigns by id', schema: CampaignList } } }),
  admin({
    method: 'get', path: '/v1/campaigns/:id', summary: 'A campaign, its latest run\'s progress and its messages by status', params: byId,
    responses: { 200: { description: 'the campaign', schema: CampaignDetail } }, errors: { 400: invalidRequest, 404: notFound },
  }),
  admin({
    method: 'post', path: '/v1/campaigns/:id/cancel', summary: 'Cancel: no further runs; a broadcast under way stops', params: byId,
    responses: { 200: { description: 'the cancelled campaign', schema: Campaign } },
    errors: { 400: invalidRequest, 404: notFound, 409: '`invalid_transition`: the campaign has completed', 503: unavailable },
  }),
];

export function campaignsRouter(service: CampaignService): Router {
  const router = Router();
  const id = (raw: unknown): string => parse(CampaignId, raw, ['id']);

  router.post('/v1/campaigns', async (req, res) => {
    const { campaign, created } = await service.create(parse(CampaignInput, req.body ?? {}));
    res.status(created ? 201 : 200).json(campaign satisfies z.input<typeof Campaign>);
  });

  router.get('/v1/campaigns', async (_req, res) => {
    res.json((await service.list()) satisfies z.input<typeof CampaignList>);
  });

  router.get('/v1/campaigns/:id', async (req, res) => {
    res.json((await service.get(id(req.params.id))) satisfies z.input<typeof CampaignDetail>);
  });

  router.post('/v1/campaigns/:id/cancel', async (req, res) => {
    res.json((await service.cancel(id(req.params.id))) satisfies z.input<typeof Campaign>);
  });

  return router;
}
