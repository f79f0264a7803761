// The single customer view as the API takes and answers it: lookups, the view, the timeline, erasure.
import { z } from 'zod';
import { stages } from '../../workflows/lifecycle/rules.js';
import { Subscriptions } from '../subscriptions/schema.js';

const MessageStatusText = z.string().meta({ description: '`queued`, `sent`, `delivered`, `opened`, `clicked`, `failed`, `bounced`, `suppressed` (then `reason`) or `unknown` (it may have arrived: an attempt ended just as it went out)' });

export const CustomerId = z.string().regex(/^c[0-9a-z]{9}[0-9a-f]{10}$/, 'not a customer id');

export const Lookup = z.object({
  phone: z.string().optional(),
  email: z.string().optional(),
  userId: z.string().optional().meta({ examples: ['u-1'] }),
  anonymousId: z.string().optional(),
  wechat_openid: z.string().optional(),
  wechat_unionid: z.string().optional(),
}).refine((q) => Object.values(q).filter(Boolean).length === 1, { message: 'give exactly one of phone, email, userId, anonymousId, wechat_openid, wechat_unionid', path: ['query'] });

export const TimelinePage = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional().meta({ description: '`nextCursor` of the previous page' }),
});

const Counters = z.object({
  events: z.number().int(),
  orders: z.number().int(),
  spend: z.number(),
  firstSeenAt: z.string().optional(),
  lastSeenAt: z.string().optional(),
  lastOrderAt: z.string().optional(),
});

const Scores = z.object({
  r: z.number().int(), f: z.number().int(), m: z.number().int(), rfm: z.string(),
  value: z.number().int(), attrition: z.number().int(), potential: z.number().int(),
}).meta({ description: 'RFM and Value / Attrition / Potential, 1–5, as of the last change' });

/** What the lifecycle knows of a customer: in the stored profile and in the workflow's live state. */
const lifecycle = {
  stage: z.enum(stages),
  tier: z.string().optional(),
  points: z.number().int(),
  counters: Counters,
  followed: z.boolean(),
  registered: z.boolean(),
  tags: z.array(z.string()),
  consent: z.record(z.string(), z.boolean()).meta({ description: 'per channel: true opted in, false opted out; absent: never said' }),
  subscriptions: z.record(z.string(), z.boolean()).optional().meta({ description: 'per subscription group the customer chose: true joined, false left; absent: the group\'s default' }),
  traits: z.record(z.string(), z.unknown()),
  scores: Scores.optional(),
  mergedFrom: z.array(z.string()).meta({ description: 'customers folded into this one' }),
  mergedInto: z.string().optional().meta({ description: 'set when this customer was folded into another' }),
  revision: z.number().int().meta({ description: 'bumped on every change; the stored profile keeps the highest' }),
};

const Profile = z.object({ ...lifecycle, updatedAt: z.date() })
  .meta({ id: 'Profile', description: 'as stored in MongoDB (what segments, campaigns and reports read)' });

const LiveProfile = z.object(lifecycle)
  .meta({ id: 'LiveProfile', description: 'the same fields as the customer workflow holds them now (ahead of the stored profile by at most one write)' });

const JourneyPlace = z.object({
  journeyId: z.string(),
  version: z.number().int().meta({ description: 'the version the customer runs on' }),
  stepId: z.string(),
  enteredAt: z.string().meta({ description: 'ISO 8601' }),
  since: z.string().meta({ description: 'when the current step began (ISO 8601)' }),
  nextWakeAt: z.string().nullable().meta({ description: 'when the step\'s wait (or a send deferred by quiet hours) ends; null: waiting for an event only' }),
  variant: z.string().optional().meta({ description: 'the A/B/n arm, once assigned' }),
  paused: z.boolean().meta({ description: 'the journey is paused and holds the customer in place' }),
}).meta({ id: 'JourneyPlace' });

const RecentMessage = z.object({
  id: z.string(), channel: z.string(), template: z.string(),
  status: MessageStatusText,
  reason: z.string().optional(), journeyId: z.string().optional(), stepId: z.string().optional(), campaignId: z.string().optional(), at: z.date(),
}).meta({ id: 'RecentMessage' });

export const CustomerView = z.object({
  customerId: CustomerId,
  profile: Profile.nullable().meta({ description: 'null until the workflow first stores it' }),
  identities: z.array(z.object({ type: z.string(), value: z.string().meta({ description: 'normalised: E.164 phone, lower-case e-mail' }) })),
  journeys: z.array(JourneyPlace).meta({ description: 'the journeys the customer is in now (broadcasts under way aside)' }),
  messages: z.array(RecentMessage).meta({ description: 'the last 10 messages, newest first (the timeline has them all)' }),
  subscriptions: Subscriptions.meta({ description: 'every subscription group not archived, by channel then id, and whether the customer is in it (live choices while the workflow runs)' }),
  workflow: z.object({
    status: z.string().meta({ description: '`running`, another Temporal status in lower case (`completed`, `terminated`…), `none`, or `unavailable` when Temporal does not answer' }),
    workflowId: z.string().meta({ description: 'find it in the Temporal UI' }),
    live: LiveProfile.optional().meta({ description: 'only while running' }),
  }),
}).meta({ id: 'CustomerView' });

const TimelineEntry = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('event'), id: z.string().meta({ description: 'the stored id, unique across customers' }),
    messageId: z.string().meta({ description: 'the id the client gave the event (or the API made for it)' }), timestamp: z.date(),
    kind: z.string(), name: z.string().optional(), properties: z.record(z.string(), z.unknown()), traits: z.record(z.string(), z.unknown()), channel: z.string().optional(),
    identities: z.array(z.string()).optional().meta({ description: 'the kinds of identity the call carried (userId, phone, member_id…), never their values' }),
    setAside: z.object({ reason: z.string(), content: z.string().meta({ description: 'its properties and traits as JSON text, at most 64 KB' }) }).optional()
      .meta({ description: 'MongoDB refused to store this event as sent, so it was never applied; the customer\'s later events were' }),
  }),
  z.object({
    type: z.literal('message'), id: z.string(), timestamp: z.date().meta({ description: 'when the journey, campaign or API decided to send it, in its clock (a send held by quiet hours: when they ended)' }), channel: z.string(), template: z.string(),
    priority: z.string().meta({ description: '`marketing` or `transactional`' }),
    status: MessageStatusText,
    reason: z.string().optional(), journeyId: z.string().optional(), stepId: z.string().optional(), campaignId: z.string().optional(),
  }),
]);

export const Timeline = z.object({
  items: z.array(TimelineEntry).meta({ description: 'newest first' }),
  nextCursor: z.string().nullable().meta({ description: 'for the next (older) page; null on the last' }),
}).meta({ id: 'Timeline' });

export const Erased = z.object({
  deleted: z.object({ customers: z.number().int(), events: z.number().int(), identities: z.number().int(), messages: z.number().int() })
    .meta({ description: 'documents erased per collection' }),
}).meta({ id: 'Erased' });
