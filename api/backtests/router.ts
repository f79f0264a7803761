// Journey backtests and one customer's preview (admin keys): what a journey would have done over
// customers' recorded events, before it goes live.
import { Router } from 'express';
import { z } from 'zod';
import { parse } from '../errors.js';
import { JourneyId } from '../journeys/schema.js';
import { Backtest, BacktestRequest, Preview, PreviewRequest, type BacktestService } from './service.js';
import type { ApiRoute } from '../route.js';

const byId = z.object({ id: JourneyId });
const run = z.object({ id: JourneyId, backtestId: z.string().regex(/^bt[0-9a-f]{16}$/, 'not a backtest id') });
const invalidRequest = '`invalid_request`: every bad field named (an unknown `version`, `to` not after `from`, over 366 days, a sample over 1,000,000)';
const admin = (route: Omit<ApiRoute, 'key'>): ApiRoute => ({ ...route, key: 'admin' });

export const backtestsApi: ApiRoute[] = [
  admin({
    method: 'post', path: '/v1/journeys/:id/backtest', summary: 'Start a backtest: the journey (its draft, or a version) over customers\' recorded events', params: byId, body: BacktestRequest,
    description: 'Each sampled customer\'s profile is rebuilt at `from` from their recorded events, then the journey runs through `[from, to)` in simulated time with the workflow\'s own engine and send arbiter. Nothing is sent. Answers at once; `GET` the run for progress and the result.',
    responses: { 202: { description: 'the run, started', schema: Backtest } },
    errors: { 400: `${invalidRequest}; \`invalid_journey\`: the draft cannot run, each problem naming its step`, 404: '`not_found`: no such journey', 503: '`temporal_unavailable`: not started; retry' },
  }),
  admin({
    method: 'get', path: '/v1/journeys/:id/backtests/:backtestId', summary: 'A backtest: its progress, and when done its result', params: run,
    responses: { 200: { description: 'the run', schema: Backtest } }, errors: { 400: '`invalid_request`', 404: '`not_found`: no such backtest of this journey' },
  }),
  admin({
    method: 'post', path: '/v1/journeys/:id/backtests/:backtestId/cancel', summary: 'Stop a backtest; what was simulated is summed', params: run,
    responses: { 200: { description: 'the run as it was when asked', schema: Backtest } }, errors: { 400: '`invalid_request`', 404: '`not_found`', 503: '`temporal_unavailable`: retry' },
  }),
  admin({
    method: 'post', path: '/v1/journeys/:id/preview', summary: 'One customer\'s path through the journey, on their recorded events', params: byId, body: PreviewRequest,
    description: 'The customer enters at `enteredAt` whatever the trigger says; each step with its simulated time and why (the variant, a cap, quiet hours, no reaction). Nothing is sent.',
    responses: { 200: { description: 'the path', schema: Preview } }, errors: { 400: invalidRequest, 404: '`not_found`: no such journey or customer' },
  }),
];

export function backtestsRouter(service: BacktestService): Router {
  const router = Router();
  router.post('/v1/journeys/:id/backtest', async (req, res) => {
    const { id } = parse(byId, req.params);
    res.status(202).json((await service.start(id, parse(BacktestRequest, req.body ?? {}))) satisfies z.input<typeof Backtest>);
  });
  router.get('/v1/journeys/:id/backtests/:backtestId', async (req, res) => {
    const { id, backtestId } = parse(run, req.params);
    res.json((await service.get(id, backtestId)) satisfies z.input<typeof Backtest>);
  });
  router.post('/v1/journeys/:id/backtests/:backtestId/cancel', async (req, res) => {
    const { id, backtestId } = parse(run, req.params);
    res.json((await service.cancel(id, backtestId)) satisfies z.input<typeof Backtest>);
  });
  router.post('/v1/journeys/:id/preview', async (req, res) => {
    const { id } = parse(byId, req.params);
    res.json((await service.preview(id, parse(PreviewRequest, req.body ?? {}))) satisfies z.input<typeof Preview>);
  });
  return router;
}
