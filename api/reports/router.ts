// Reports for marketers (admin keys): channels, one journey, the lifecycle, over a date range.
import { Router } from 'express';
import { z } from 'zod';
import { parse } from '../errors.js';
import { JourneyId } from '../journeys/schema.js';
import { ChannelQuery, ChannelReport, JourneyReport, LifecycleReport, RangeQuery } from './schema.js';
import type { ReportService } from './service.js';
import type { ApiRoute } from '../route.js';

const byJourney = z.object({ journeyId: JourneyId });
const badRange = '`invalid_request`: `from` or `to` not an ISO 8601 date, or `to` not after `from`';
const admin = (route: Omit<ApiRoute, 'key'>): ApiRoute => ({ ...route, key: 'admin' });

export const reportsApi: ApiRoute[] = [
  admin({
    method: 'get', path: '/v1/reports/channels', summary: 'Per channel: reach, engagement, conversions, revenue and cost', query: ChannelQuery,
    description: 'Messages count by `sentAt` in [from, to), conversions by their time in it; conversions and revenue are those the attribution `model` credits to the channel.',
    responses: { 200: { description: 'the report', schema: ChannelReport } }, errors: { 400: `${badRange}, or an unknown \`model\`` },
  }),
  admin({
    method: 'get', path: '/v1/reports/journeys/:journeyId', summary: "A journey's funnel, exits and A/B/n variants against the holdout", params: byJourney, query: RangeQuery,
    description: 'Counts distinct customers from the journey events in [from, to). The holdout converted when it did the goal event after being held out, before `to`. '
      + '`now` is who is in the journey at the moment of asking, whatever the range: each customer\'s place (version, step) as their workflow last stored it with the profile.',
    responses: { 200: { description: 'the report', schema: JourneyReport } }, errors: { 400: `${badRange}, or not a journey id`, 404: '`not_found`: no such journey' },
  }),
  admin({
    method: 'get', path: '/v1/reports/lifecycle', summary: 'Customers per lifecycle stage now, and the moves between stages', query: RangeQuery,
    responses: { 200: { description: 'the report', schema: LifecycleReport } }, errors: { 400: badRange },
  }),
];

const rangeOf = (q: { from: string; to: string }) => ({ from: new Date(q.from), to: new Date(q.to) });

export function reportsRouter(service: ReportService): Router {
  const router = Router();

  router.get('/v1/reports/channels', async (req, res) => {
    const q = parse(ChannelQuery, req.query);
    res.json((await service.channels(rangeOf(q), q.model)) satisfies z.input<typeof ChannelReport>);
  });

  router.get('/v1/reports/journeys/:journeyId', async (req, res) => {
    const { journeyId } = parse(byJourney, req.params);
    res.json((await service.journey(journeyId, rangeOf(parse(RangeQuery, req.query)))) satisfies z.input<typeof JourneyReport>);
  });

  router.get('/v1/reports/lifecycle', async (req, res) => {
    res.json((await service.lifecycle(rangeOf(parse(RangeQuery, req.query)))) satisfies z.input<typeof LifecycleReport>);
  });

  return router;
}
