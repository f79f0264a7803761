// One message's delivery state, and the operators' list of sends whose outcome is unknown.
import { z } from 'zod';
import { messageStatuses } from '../campaigns/schema.js';
import { CustomerId } from '../customers/schema.js';

export const MessageId = z.string().min(1).max(512);

export const MessageView = z.object({
  id: z.string().meta({ description: 'the send\'s key: one message per logical send' }),
  customerId: z.string(), channel: z.string(), template: z.string(), priority: z.string(),
  status: z.enum(messageStatuses).meta({
    description: '`unknown`: an attempt ended just as the message went out (a crash between SMTP\'s final dot and the server\'s answer); '
      + 'it may or may not have arrived, is not counted as failed, and is settled by a later receipt or sent again by an operator',
  }),
  reason: z.string().optional().meta({ description: 'why it failed, was suppressed, or is unknown (`outcome_unknown`)' }),
  detail: z.string().optional().meta({ description: 'the provider\'s last answer' }),
  providerId: z.string().optional().meta({ description: 'the provider\'s id for it (SMTP: the Message-ID)' }),
  attempts: z.number().int(),
  journeyId: z.string().optional(), journeyVersion: z.number().int().optional(), stepId: z.string().optional(), campaignId: z.string().optional(),
  createdAt: z.date(),
  requestedAt: z.date().optional().meta({ description: 'when the journey, campaign or API sent it on, in its clock (a send held by quiet hours: when they ended)' }),
  decidedAt: z.date().optional().meta({ description: 'when the journey\'s send step was reached, in its clock (before a quiet-hours hold)' }),
  sentAt: z.date().optional(), deliveredAt: z.date().optional(), openedAt: z.date().optional(), clickedAt: z.date().optional(), failedAt: z.date().optional(),
  unknownAt: z.date().optional().meta({ description: 'when the outcome was found unknown' }),
  sentAgainAt: z.date().optional().meta({ description: 'when an operator sent it again' }),
}).meta({ id: 'Message' });

export const MessageListQuery = z.object({
  status: z.literal('unknown').meta({ description: 'the one status listed across customers: sends whose outcome is unknown (a customer\'s messages are in their timeline)' }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional().meta({ description: '`nextCursor` of the previous page' }),
});

export const MessageList = z.object({
  items: z.array(MessageView).meta({ description: 'newest first (by when the outcome became unknown)' }),
  nextCursor: z.string().nullable(),
}).meta({ id: 'MessageList' });

export const SendAgainResult = z.object({
  message: MessageView,
  settled: z.boolean().meta({ description: 'false: the send is still under way (the provider is slow or retrying); GET the message later' }),
}).meta({ id: 'SendAgainResult' });

const IdempotencyKey = z.string().min(1).max(200).regex(/^[\w.:@-]+$/, 'letters, digits and _ . : @ - only');
const IdentityRef = z.strictObject({
  type: z.string().min(1).max(50).meta({ description: '`email`, `phone`, `userId`, `wechat_openid`… (phone without a country code: the configured default country)' }),
  value: z.string().min(1).max(254),
});

export const TransactionalRequest = z.strictObject({
  template: z.string().min(1).max(200).meta({ description: 'the template id; its channel is the message\'s' }),
  customer: z.union([z.strictObject({ id: CustomerId }), z.strictObject({ identity: IdentityRef })]).optional()
    .meta({ description: 'whom it is for: their profile personalises it, their address on the channel receives it, their timeline shows it' }),
  to: z.string().min(1).max(254).optional().meta({ description: 'an address on the template\'s channel: instead of the customer\'s own, or for someone who is not a customer' }),
  data: z.record(z.string(), z.unknown()).default({}).meta({ description: 'the message\'s own data, as `{{ event.* }}` in the template (a journey\'s trigger event is read the same way)' }),
  idempotencyKey: IdempotencyKey.meta({ description: 'the same key again sends nothing and answers the first message' }),
  locale: z.string().max(20).optional(),
}).refine((r) => r.customer !== undefined || r.to !== undefined, { message: 'give customer, to, or both', path: ['customer'] })
  .meta({ id: 'TransactionalRequest', examples: [{ template: 'order-confirmation', customer: { identity: { type: 'email', value: 'ana@example.com' } }, data: { orderId: 'o-1' }, idempotencyKey: 'order-o-1-confirmation' }] });

export const TransactionalResult = z.object({
  message: MessageView,
  replayed: z.boolean().meta({ description: 'true: this idempotency key was seen before; nothing was sent now' }),
  settled: z.boolean().meta({ description: 'false: still being sent (the provider is slow or retrying); GET the message later' }),
}).meta({ id: 'TransactionalResult' });
