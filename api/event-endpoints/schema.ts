// Endpoints of the outbound event stream as the API takes and answers them.
import { z } from 'zod';
import { outboundEventTypes } from '../../activities/event-stream/types.js';

export const EndpointId = z.string().regex(/^ep_[a-z0-9]{1,40}$/, 'an endpoint id: ep_ and lower-case letters or digits').meta({ examples: ['ep_3f9a1c0b2d4e5f60'] });

const Url = z.url({ protocol: /^https?$/, hostname: z.regexes.hostname, error: 'an http:// or https:// URL' }).max(2000)
  .meta({ description: 'where each event is POSTed (JSON, Standard Webhooks headers)', examples: ['https://hooks.example.com/closedloop'] });
const EventType = z.enum(outboundEventTypes, { error: `unknown event type; one of ${outboundEventTypes.join(', ')}` });
const Events = z.array(EventType).min(1, 'subscribe to at least one event type').max(outboundEventTypes.length * 2)
  .meta({ description: 'the event types sent to the endpoint' });
const Description = z.string().max(1000);

/** POST /v1/event-endpoints. */
export const EndpointInput = z.strictObject({
  url: Url,
  events: Events,
  description: Description.optional(),
  enabled: z.boolean().default(true).meta({ description: 'a disabled endpoint receives nothing, and nothing is kept for it meanwhile' }),
}).meta({ id: 'EventEndpointInput', examples: [{ url: 'https://hooks.example.com/closedloop', events: ['message.sent', 'conversion'], description: 'warehouse' }] });
export type EndpointInput = z.output<typeof EndpointInput>;

/** PATCH /v1/event-endpoints/:id: only what is given changes. */
export const EndpointUpdate = z.strictObject({
  url: Url.optional(),
  events: Events.optional(),
  description: Description.optional(),
  enabled: z.boolean().optional(),
}).refine((u) => Object.keys(u).length > 0, 'give at least one of url, events, description, enabled').meta({ id: 'EventEndpointUpdate' });
export type EndpointUpdate = z.output<typeof EndpointUpdate>;

export const Endpoint = z.object({
  id: EndpointId,
  url: z.string(),
  events: z.array(EventType),
  description: z.string().optional(),
  enabled: z.boolean(),
  lanes: z.number().int().meta({ description: 'deliveries run in this many lanes side by side, a customer\'s events always in the same one (in order)' }),
  createdAt: z.date(),
  updatedAt: z.date(),
}).meta({ id: 'EventEndpoint' });
export const EndpointWithSecret = Endpoint.extend({
  secret: z.string().meta({ description: 'the signing secret (`whsec_…`), shown only now: verify `webhook-signature` with it (e.g. the `standardwebhooks` libraries)' }),
}).meta({ id: 'EventEndpointWithSecret' });
export const EndpointList = z.object({ items: z.array(Endpoint) }).meta({ id: 'EventEndpointList' });

export const DeadLetterQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional().meta({ description: '`nextCursor` of the previous page' }),
});
export const DeadLetter = z.object({
  eventId: z.string().meta({ description: 'the `webhook-id` it was sent with (the same on a replay)' }),
  type: EventType,
  customerId: z.string(),
  payload: z.object({ type: EventType, timestamp: z.string(), data: z.record(z.string(), z.unknown()) }).meta({ description: 'the body the endpoint was sent' }),
  attempts: z.number().int(),
  lastError: z.string().optional().meta({ description: 'the last attempt\'s failure: `http_<status>`, `timeout after …`, `unreachable: …`' }),
  createdAt: z.date(),
  deadAt: z.date().optional(),
}).meta({ id: 'EventDeadLetter' });
export const DeadLetterList = z.object({
  items: z.array(DeadLetter).meta({ description: 'in the order they were emitted' }),
  nextCursor: z.string().nullable(),
}).meta({ id: 'EventDeadLetterList' });

/** POST /v1/event-endpoints/:id/replay: no range replays the dead letters; a range, every event queued for the endpoint in it. */
export const ReplayRequest = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional().meta({ description: 'with `to`: every event queued for the endpoint in [from, to), delivered or dead' }),
  to: z.iso.datetime({ offset: true }).optional(),
}).superRefine((r, ctx) => {
  if ((r.from === undefined) !== (r.to === undefined)) ctx.addIssue({ code: 'custom', path: [r.from === undefined ? 'from' : 'to'], message: 'give both from and to, or neither (the dead letters)' });
  else if (r.from !== undefined && r.to !== undefined && Date.parse(r.to) <= Date.parse(r.from)) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
}).meta({ id: 'EventReplayRequest', examples: [{}, { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }] });
export const ReplayResult = z.object({ replayed: z.number().int().meta({ description: 'events queued again, delivered in their original order from now on' }) }).meta({ id: 'EventReplayResult' });
