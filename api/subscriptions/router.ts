// Subscription groups for marketers (admin keys), and a customer's choices set by the API.
import { Router } from 'express';
import { z } from 'zod';
import { invalid, parse } from '../errors.js';
import { CustomerId } from '../customers/schema.js';
import {
  GroupId, GroupInput, GroupList, GroupListQuery, GroupUpdate, SubscriptionGroup, SubscriptionsAccepted, SubscriptionsChange,
} from './schema.js';
import type { SubscriptionService } from './service.js';
import type { ApiRoute } from '../route.js';

const byId = z.object({ id: GroupId });
const invalidGroup = '`invalid_request`: every bad field named, e.g. `type` (a transactional group is `opt_out`)';
const admin = (route: Omit<ApiRoute, 'key'>): ApiRoute => ({ ...route, key: 'admin' });
const one = (description: string) => ({ 200: { description, schema: SubscriptionGroup } });

export const subscriptionsApi: ApiRoute[] = [
  admin({
    method: 'post', path: '/v1/subscription-groups', summary: 'Create a subscription group', body: GroupInput,
    description: 'A group of one channel that customers join or leave (newsletter, promotions…). Sends of journeys and campaigns name it with `group`. '
      + 'Repeating the same create answers 200 with the stored group.',
    responses: { 201: { description: 'the group', schema: SubscriptionGroup }, ...one('this exact group was already stored') },
    errors: { 400: invalidGroup, 409: '`conflict`: a different group has this id' },
  }),
  admin({ method: 'get', path: '/v1/subscription-groups', summary: 'List subscription groups', query: GroupListQuery, responses: { 200: { description: 'groups by channel and id', schema: GroupList } }, errors: { 400: '`invalid_request`' } }),
  admin({ method: 'get', path: '/v1/subscription-groups/:id', summary: 'A subscription group', params: byId, responses: one('the group'), errors: { 400: invalidGroup, 404: '`not_found`' } }),
  admin({
    method: 'put', path: '/v1/subscription-groups/:id', summary: 'Rename or describe a subscription group', params: byId, body: GroupUpdate,
    description: 'Channel, type and `transactional` are fixed at creation: published sends carry them.',
    responses: one('the group'), errors: { 400: `${invalidGroup}, a fixed field changed, or a body \`id\` other than the URL's`, 404: '`not_found`' },
  }),
  admin({
    method: 'post', path: '/v1/subscription-groups/:id/archive', summary: 'Archive a subscription group', params: byId,
    description: 'Off preference pages and no longer nameable by new sends; sends already published keep their rule, customers keep their choice.',
    responses: one('the archived group'), errors: { 400: invalidGroup, 404: '`not_found`' },
  }),
  admin({
    method: 'put', path: '/v1/customers/:id/subscriptions', summary: 'Join or leave subscription groups for a customer', params: z.object({ id: CustomerId }), body: SubscriptionsChange,
    description: 'Sent into the customer\'s workflow as `Subscription Changed` events (as the preference page does), applied within moments.',
    responses: { 202: { description: 'accepted', schema: SubscriptionsAccepted } },
    errors: {
      400: '`invalid_request`: `subscriptions.<group>` for an unknown or archived group, or for leaving a transactional one', 404: '`not_found`: no such customer',
      503: '`temporal_unavailable` or `overloaded` (`Retry-After`): retry',
    },
  }),
];

export function subscriptionsRouter(service: SubscriptionService): Router {
  const router = Router();
  const id = (raw: unknown): string => parse(GroupId, raw, ['id']);

  router.post('/v1/subscription-groups', async (req, res) => {
    const { group, created } = await service.create(parse(GroupInput, req.body ?? {}));
    res.status(created ? 201 : 200).json(group satisfies z.input<typeof SubscriptionGroup>);
  });

  router.get('/v1/subscription-groups', async (req, res) => {
    const query = parse(GroupListQuery, req.query);
    res.json((await service.list(query.archived === 'true')) satisfies z.input<typeof GroupList>);
  });

  router.get('/v1/subscription-groups/:id', async (req, res) => {
    res.json((await service.get(id(req.params.id))) satisfies z.input<typeof SubscriptionGroup>);
  });

  router.put('/v1/subscription-groups/:id', async (req, res) => {
    const groupId = id(req.params.id);
    const update = parse(GroupUpdate, req.body ?? {});
    if (update.id !== undefined && update.id !== groupId) throw invalid([{ field: 'id', message: `does not match the URL's ${groupId}` }]);
    res.json((await service.update(groupId, update)) satisfies z.input<typeof SubscriptionGroup>);
  });

  router.post('/v1/subscription-groups/:id/archive', async (req, res) => {
    res.json((await service.archive(id(req.params.id))) satisfies z.input<typeof SubscriptionGroup>);
  });

  router.put('/v1/customers/:id/subscriptions', async (req, res) => {
    const customerId = parse(CustomerId, req.params.id, ['id']);
    const { subscriptions } = parse(SubscriptionsChange, req.body ?? {});
    res.status(202).json({ accepted: true, subscriptions: await service.changeForCustomer(customerId, subscriptions) } satisfies z.input<typeof SubscriptionsAccepted>);
  });

  return router;
}
