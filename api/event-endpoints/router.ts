// The outbound event stream's endpoints (admin keys): register, change, rotate the secret,
// list dead letters and replay them or a time range.
import { Router } from 'express';
import { z } from 'zod';
import { parse } from '../errors.js';
import {
  DeadLetterList, DeadLetterQuery, Endpoint, EndpointId, EndpointInput, EndpointList, EndpointUpdate, EndpointWithSecret, ReplayRequest, ReplayResult,
} from './schema.js';
import type { EventEndpointService } from './service.js';
import type { ApiRoute } from '../route.js';

const byId = z.object({ id: EndpointId });
const Deleted = z.object({ deleted: z.literal(true) }).meta({ id: 'EventEndpointDeleted' });
const invalidEndpoint = '`invalid_request`: every bad field named (`url` not http(s), `events.N` an unknown type, `events` empty), nothing stored';
const notFound = '`not_found`';
const admin = (route: Omit<ApiRoute, 'key'>): ApiRoute => ({ ...route, key: 'admin' });

export const eventEndpointsApi: ApiRoute[] = [
  admin({
    method: 'post', path: '/v1/event-endpoints', summary: 'Register an endpoint for the outbound event stream', body: EndpointInput,
    description: 'Each event of the chosen types is POSTed to `url` as JSON `{ type, timestamp, data }`, signed with Standard Webhooks headers '
      + '(`webhook-id`, `webhook-timestamp`, `webhook-signature`), at least once, in order per customer, retried with exponential backoff; '
      + 'after the configured attempts or age it becomes a dead letter. The answer holds the signing secret, shown only here.',
    responses: { 201: { description: 'the endpoint and its secret', schema: EndpointWithSecret } },
    errors: { 400: invalidEndpoint, 503: '`temporal_unavailable`: nothing stored; retry' },
  }),
  admin({ method: 'get', path: '/v1/event-endpoints', summary: 'List event endpoints', responses: { 200: { description: 'every endpoint, oldest first', schema: EndpointList } } }),
  admin({ method: 'get', path: '/v1/event-endpoints/:id', summary: 'An event endpoint', params: byId, responses: { 200: { description: 'the endpoint', schema: Endpoint } }, errors: { 400: invalidEndpoint, 404: notFound } }),
  admin({
    method: 'patch', path: '/v1/event-endpoints/:id', summary: 'Change an event endpoint', params: byId, body: EndpointUpdate,
    description: 'Only the fields given change; they apply from the next event delivered. Disabled, it receives nothing and nothing is kept for it.',
    responses: { 200: { description: 'the endpoint', schema: Endpoint } }, errors: { 400: invalidEndpoint, 404: notFound, 503: '`temporal_unavailable`: retry' },
  }),
  admin({
    method: 'delete', path: '/v1/event-endpoints/:id', summary: 'Delete an event endpoint', params: byId,
    description: 'Its undelivered events and dead letters are deleted with it.',
    responses: { 200: { description: 'deleted', schema: Deleted } }, errors: { 400: invalidEndpoint, 404: notFound },
  }),
  admin({
    method: 'post', path: '/v1/event-endpoints/:id/rotate-secret', summary: 'Rotate an event endpoint\'s signing secret', params: byId,
    description: 'The new secret is shown only here. For 24 hours events carry two signatures (new and old), so the receiver can switch without losing any.',
    responses: { 200: { description: 'the endpoint and its new secret', schema: EndpointWithSecret } }, errors: { 400: invalidEndpoint, 404: notFound },
  }),
  admin({
    method: 'get', path: '/v1/event-endpoints/:id/dead-letters', summary: 'An event endpoint\'s dead letters', params: byId, query: DeadLetterQuery,
    description: 'Events that failed every attempt (or were refused with a 4xx), oldest first, until replayed.',
    responses: { 200: { description: 'one page', schema: DeadLetterList } }, errors: { 400: '`invalid_request`: a bad limit, or not a cursor from a previous page', 404: notFound },
  }),
  admin({
    method: 'post', path: '/v1/event-endpoints/:id/replay', summary: 'Send dead letters, or a time range of events, again', params: byId, body: ReplayRequest, optionalBody: true,
    description: 'Without a range: every dead letter. With `from` and `to`: every event queued for the endpoint in that range (kept for EVENT_STREAM_RETENTION after delivery). '
      + 'They are delivered again with their original `webhook-id`, in their original order.',
    responses: { 200: { description: 'queued again', schema: ReplayResult } },
    errors: { 400: '`invalid_request`: `from` without `to` (or the reverse), or `to` not after `from`', 404: notFound, 503: '`temporal_unavailable`: retry' },
  }),
];

export function eventEndpointsRouter(service: EventEndpointService): Router {
  const router = Router();
  const id = (raw: unknown): string => parse(EndpointId, raw, ['id']);

  router.post('/v1/event-endpoints', async (req, res) => {
    res.status(201).json((await service.create(parse(EndpointInput, req.body ?? {}))) satisfies z.input<typeof EndpointWithSecret>);
  });
  router.get('/v1/event-endpoints', async (_req, res) => {
    res.json((await service.list()) satisfies z.input<typeof EndpointList>);
  });
  router.get('/v1/event-endpoints/:id', async (req, res) => {
    res.json((await service.get(id(req.params.id))) satisfies z.input<typeof Endpoint>);
  });
  router.patch('/v1/event-endpoints/:id', async (req, res) => {
    const endpointId = id(req.params.id);
    res.json((await service.update(endpointId, parse(EndpointUpdate, req.body ?? {}))) satisfies z.input<typeof Endpoint>);
  });
  router.delete('/v1/event-endpoints/:id', async (req, res) => {
    await service.remove(id(req.params.id));
    res.json({ deleted: true } satisfies z.input<typeof Deleted>);
  });
  router.post('/v1/event-endpoints/:id/rotate-secret', async (req, res) => {
    res.json((await service.rotateSecret(id(req.params.id))) satisfies z.input<typeof EndpointWithSecret>);
  });
  router.get('/v1/event-endpoints/:id/dead-letters', async (req, res) => {
    const endpointId = id(req.params.id);
    const query = parse(DeadLetterQuery, req.query);
    res.json((await service.deadLetters(endpointId, query.limit, query.cursor)) satisfies z.input<typeof DeadLetterList>);
  });
  router.post('/v1/event-endpoints/:id/replay', async (req, res) => {
    const endpointId = id(req.params.id);
    const body = parse(ReplayRequest, req.body ?? {});
    const range = body.from !== undefined && body.to !== undefined ? { from: new Date(body.from), to: new Date(body.to) } : undefined;
    res.json((await service.replay(endpointId, range)) satisfies z.input<typeof ReplayResult>);
  });
  return router;
}
