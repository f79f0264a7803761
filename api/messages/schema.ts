// One message's delivery state, and the operators' list of sends whose outcome is unknown.
import { z } from 'zod';
import { messageStatuses } from '../campaigns/schema.js';

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
  requestedAt: z.date().optional().meta({ description: 'when the journey or campaign decided to send (its clock)' }),
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
