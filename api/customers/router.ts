// The single customer view: profile + live workflow state, timeline, lookup by identity, erasure.
import { Router } from 'express';
import { z } from 'zod';
import { ApiError, invalid, parse } from '../errors.js';
import { normaliseEmail, normalisePhone } from '../ingest/normalize.js';
import type { CustomerService } from './service.js';
import { CustomerId, CustomerView, Erased, Lookup, Timeline, TimelinePage } from './schema.js';
import type { ApiRoute } from '../route.js';

const byId = z.object({ id: CustomerId });
const badId = '`invalid_request`: not a customer id';

export const customersApi: ApiRoute[] = [
  {
    method: 'get', path: '/v1/customers', key: 'admin', summary: 'Find a customer by any one identity', query: Lookup,
    description: 'Give exactly one of the parameters; a phone without a country code is read in the configured default country.',
    responses: { 200: { description: 'the customer view', schema: CustomerView } },
    errors: { 400: '`invalid_request`: not exactly one identity, or not a valid phone or e-mail', 404: '`not_found`: no customer with that identity' },
  },
  {
    method: 'get', path: '/v1/customers/:id', key: 'admin', summary: 'Profile, identities and the workflow\'s live state', params: byId,
    responses: { 200: { description: 'the customer view', schema: CustomerView } },
    errors: { 400: badId, 404: '`not_found`: no such customer' },
  },
  {
    method: 'get', path: '/v1/customers/:id/timeline', key: 'admin', summary: 'Events and messages, newest first, a page at a time', params: byId, query: TimelinePage,
    responses: { 200: { description: 'one page', schema: Timeline } },
    errors: { 400: `${badId}, a bad limit, or not a cursor from a previous page` },
  },
  {
    method: 'delete', path: '/v1/customers/:id', key: 'admin', summary: 'End the workflows and erase the customer and every customer merged into it', params: byId,
    description: 'Follows merges at any depth (A merged into B, B into C: DELETE of C erases all three). Ends their workflows, deletes their histories '
      + 'and those of the deferred ingests that delivered their events, then erases profiles, timelines, messages, identities, conversions, '
      + 'journey and stage records, outbox rows and webhook receipts. A request stopped part-way and retried finishes the job.',
    responses: { 200: { description: 'what was erased (zeros for an unknown customer)', schema: Erased } },
    errors: { 400: badId, 503: '`temporal_unavailable`: a workflow could not be stopped or a history deleted; nothing was erased from MongoDB yet: retry' },
  },
];

export function customersRouter(service: CustomerService, defaultPhoneCountry: string): Router {
  const router = Router();

  const idParam = (raw: unknown): string => parse(CustomerId, raw, ['id']);

  router.get('/v1/customers', async (req, res) => {
    const [type, raw] = Object.entries(parse(Lookup, req.query)).find(([, v]) => v)! as [string, string];
    const value = type === 'phone' ? normalisePhone(raw, defaultPhoneCountry) : type === 'email' ? normaliseEmail(raw) : raw;
    if (!value) throw invalid([{ field: type, message: `not a valid ${type}` }]);
    const customerId = await service.lookup({ type, value });
    const view = customerId && (await service.view(customerId));
    if (!view) throw new ApiError(404, 'not_found', `no customer with that ${type}`);
    res.json(view satisfies z.input<typeof CustomerView>);
  });

  router.get('/v1/customers/:id', async (req, res) => {
    const view = await service.view(idParam(req.params.id));
    if (!view) throw new ApiError(404, 'not_found', 'no such customer');
    res.json(view satisfies z.input<typeof CustomerView>);
  });

  router.get('/v1/customers/:id/timeline', async (req, res) => {
    const id = idParam(req.params.id);
    const page = parse(TimelinePage, req.query);
    const result = await service.timeline(id, page.limit, page.cursor);
    if (result === 'bad_cursor') throw invalid([{ field: 'cursor', message: 'not a cursor from a previous page' }]);
    res.json(result satisfies z.input<typeof Timeline>);
  });

  router.delete('/v1/customers/:id', async (req, res) => {
    res.json({ deleted: await service.erase(idParam(req.params.id)) } satisfies z.input<typeof Erased>);
  });

  return router;
}
