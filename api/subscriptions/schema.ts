// Subscription groups and customers' choices as the API takes and answers them.
import { z } from 'zod';
import { channels } from '../../workflows/messaging/types.js';

export const GroupId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a group id: lower-case letters, digits, _ or -, at most 64')
  .meta({ examples: ['newsletter'] });
const Channel = z.enum(channels, { error: `unknown channel; one of ${channels.join(', ')}` });
const GroupType = z.enum(['opt_in', 'opt_out']).meta({ description: '`opt_in`: customers are out until they join; `opt_out`: in until they leave' });

/** What a send carries of its group (workflows/messaging/types.ts `GroupRule`). */
export const GroupRule = z.object({ type: GroupType, transactional: z.boolean().optional() }).meta({ id: 'GroupRule' });

const Name = z.string().trim().min(1).max(200);
const Description = z.string().max(1000);

/** POST /v1/subscription-groups. */
export const GroupInput = z.strictObject({
  id: GroupId.optional().meta({ description: 'chosen by the server when absent' }),
  name: Name.meta({ description: 'as customers see it on their preference page' }),
  description: Description.optional(),
  channel: Channel,
  type: GroupType,
  transactional: z.boolean().default(false).meta({ description: 'cannot be left (e.g. order updates): always in, its sends always go; must be `opt_out`' }),
}).refine((g) => !g.transactional || g.type === 'opt_out', { path: ['type'], message: 'a transactional group cannot be left, so it is `opt_out` (everyone is in)' })
  .meta({ id: 'SubscriptionGroupInput', examples: [{ id: 'newsletter', name: 'Newsletter', channel: 'email', type: 'opt_in' }] });
export type GroupInput = z.output<typeof GroupInput>;

/** PUT /v1/subscription-groups/:id: what may change (channel, type and transactional are fixed, as sends already carry them). */
export const GroupUpdate = z.strictObject({
  id: GroupId.optional(),
  name: Name,
  description: Description.optional(),
  channel: Channel.optional().meta({ description: 'fixed at creation; if given, must be the same' }),
  type: GroupType.optional().meta({ description: 'fixed at creation; if given, must be the same' }),
  transactional: z.boolean().optional().meta({ description: 'fixed at creation; if given, must be the same' }),
}).meta({ id: 'SubscriptionGroupUpdate' });
export type GroupUpdate = z.output<typeof GroupUpdate>;

export const SubscriptionGroup = z.object({
  id: GroupId,
  name: z.string(),
  description: z.string().optional(),
  channel: Channel,
  type: GroupType,
  transactional: z.boolean(),
  archived: z.boolean().meta({ description: 'archived groups are off preference pages and cannot be named by new sends; sends already published keep their rule' }),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
}).meta({ id: 'SubscriptionGroup' });
export const GroupList = z.object({ items: z.array(SubscriptionGroup) }).meta({ id: 'SubscriptionGroupList' });
export const GroupListQuery = z.object({
  archived: z.enum(['true', 'false']).optional().meta({ description: '`true`: also archived groups' }),
});

/** PUT /v1/customers/:id/subscriptions. */
export const SubscriptionsChange = z.strictObject({
  subscriptions: z.record(GroupId, z.boolean()).refine((s) => Object.keys(s).length > 0, 'name at least one group')
    .refine((s) => Object.keys(s).length <= 100, 'at most 100 groups at once')
    .meta({ description: 'group id → true (join) or false (leave)' }),
}).meta({ id: 'SubscriptionsChange', examples: [{ subscriptions: { newsletter: true, promotions: false } }] });

/** One group as a customer is in it. */
export const Subscription = z.object({
  group: GroupId,
  name: z.string(),
  channel: Channel,
  type: GroupType,
  transactional: z.boolean(),
  subscribed: z.boolean().meta({ description: 'in the group: the customer\'s choice, else the group\'s default (always, for a transactional group)' }),
  chosen: z.boolean().meta({ description: 'the customer chose (else the default applies)' }),
}).meta({ id: 'Subscription' });
export const Subscriptions = z.array(Subscription).meta({ description: 'every group not archived, by channel then id' });
export const SubscriptionsAccepted = z.object({
  accepted: z.literal(true),
  subscriptions: Subscriptions.meta({ description: 'the groups as they are once the customer\'s workflow has applied the change' }),
}).meta({ id: 'SubscriptionsAccepted' });
