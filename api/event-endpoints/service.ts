// The outbound event stream's endpoints for marketers: registration, secrets, dead letters and
// replay. Each endpoint's lanes are workflows (workflows/event-lane.ts) started here; the events
// themselves are queued by the producers (activities/event-stream/stream.ts).
import { randomBytes } from 'node:crypto';
import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import type { EventStreamConfig } from '../../config.js';
import type { EndpointDoc, EventEndpointRepository } from '../../store/event-endpoints.js';
import type { OutboundEventDoc, OutboundEventRepository } from '../../store/outbound-events.js';
import type { EventStream } from '../../activities/event-stream/stream.js';
import type { OutboundEventType } from '../../activities/event-stream/types.js';
import { eventLaneWorkflowId, type eventLaneWorkflow } from '../../workflows/event-lane.js';
import { ApiError, invalid } from '../errors.js';
import type { EndpointInput, EndpointUpdate } from './schema.js';

export interface EventEndpointServiceDeps {
  endpoints: EventEndpointRepository;
  outbound: OutboundEventRepository;
  temporal: Client;
  taskQueue: string;
  settings: Pick<EventStreamConfig, 'lanes' | 'allowedHosts'>;
  /** This process's copy of the endpoint list, refreshed at once after a change here. */
  stream?: Pick<EventStream, 'invalidate'>;
  now?: () => Date;
}

/** A rotated secret keeps signing beside the new one this long, while receivers switch. */
const previousSecretMs = 24 * 3600_000;

const notFound = (id: string): ApiError => new ApiError(404, 'not_found', `no event endpoint "${id}"`);
const newSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

export const endpointView = (e: EndpointDoc) => ({
  id: e._id, url: e.url, events: e.events, ...(e.description !== undefined && { description: e.description }),
  enabled: e.enabled, lanes: e.lanes, createdAt: e.createdAt, updatedAt: e.updatedAt,
});

const deadLetterView = (d: OutboundEventDoc) => ({
  eventId: d.eventId, type: d.type, customerId: d.customerId, payload: d.payload, attempts: d.attempts,
  ...(d.lastError !== undefined && { lastError: d.lastError }), createdAt: d.createdAt, ...(d.deadAt !== undefined && { deadAt: d.deadAt }),
});

const encodeSeq = (seq: number): string => Buffer.from(String(seq)).toString('base64url');
function decodeSeq(cursor: string): number {
  const seq = Number(Buffer.from(cursor, 'base64url').toString());
  if (!Number.isSafeInteger(seq) || seq < 0) throw invalid([{ field: 'cursor', message: 'not a cursor from a previous page' }]);
  return seq;
}

export function eventEndpointService({ endpoints, outbound, temporal, taskQueue, settings, stream, now = () => new Date() }: EventEndpointServiceDeps) {
  async function mustFind(id: string): Promise<EndpointDoc> {
    const e = await endpoints.find(id);
    if (!e) throw notFound(id);
    return e;
  }

  function checkHost(url: string | undefined): void {
    if (url === undefined || settings.allowedHosts.length === 0) return;
    const host = new URL(url).hostname.toLowerCase();
    if (!settings.allowedHosts.includes(host)) throw invalid([{ field: 'url', message: `host ${host} is not among EVENT_STREAM_ALLOWED_HOSTS` }]);
  }

  /** Every lane's workflow running (one already running is left as it is). */
  async function startLanes(e: EndpointDoc): Promise<void> {
    try {
      await Promise.all(Array.from({ length: e.lanes }, (_, lane) => temporal.workflow.start<typeof eventLaneWorkflow>('eventLaneWorkflow', {
        workflowId: eventLaneWorkflowId(e._id, lane), taskQueue, args: [{ endpointId: e._id, lane }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      })));
    } catch (err) {
      throw new ApiError(503, 'temporal_unavailable', `the endpoint's deliveries could not be started, retry later (${(err as Error).name})`);
    }
  }

  const unique = (events: OutboundEventType[]): OutboundEventType[] => [...new Set(events)];

  return {
    /** The endpoint with its secret, shown this once. */
    async create(input: EndpointInput) {
      checkHost(input.url);
      const at = now();
      const doc: EndpointDoc = {
        _id: `ep_${randomBytes(8).toString('hex')}`, url: input.url, events: unique(input.events), ...(input.description !== undefined && { description: input.description }),
        enabled: input.enabled, secret: newSecret(), lanes: settings.lanes, createdAt: at, updatedAt: at,
      };
      await endpoints.create(doc);
      if (doc.enabled) {
        try {
          await startLanes(doc);
        } catch (err) {
          // Answered 503 with nothing stored: the client's retry makes the endpoint afresh.
          await endpoints.remove(doc._id);
          throw err;
        }
      }
      stream?.invalidate();
      return { ...endpointView(doc), secret: doc.secret };
    },

    list: async () => ({ items: (await endpoints.list()).map(endpointView) }),
    get: async (id: string) => endpointView(await mustFind(id)),

    async update(id: string, update: EndpointUpdate) {
      checkHost(update.url);
      const e = await endpoints.update(id, { ...update, ...(update.events && { events: unique(update.events) }) });
      if (!e) throw notFound(id);
      stream?.invalidate();
      // Enabled again: its lanes stopped when it was disabled. (A disabled endpoint's lanes stop by themselves.)
      if (e.enabled) await startLanes(e);
      return endpointView(e);
    },

    /** Its queued events and dead letters go with it; its lanes stop by themselves. */
    async remove(id: string): Promise<void> {
      if (!(await endpoints.remove(id))) throw notFound(id);
      stream?.invalidate();
      await outbound.removeEndpoint(id);
    },

    /** A new secret, shown this once; the old one signs beside it for a day (two `v1,` signatures). */
    async rotateSecret(id: string) {
      const secret = newSecret();
      const e = await endpoints.rotate(id, secret, new Date(now().getTime() + previousSecretMs));
      if (!e) throw notFound(id);
      return { ...endpointView(e), secret };
    },

    async deadLetters(id: string, limit: number, cursor?: string) {
      await mustFind(id);
      const page = await outbound.deadLetters(id, limit + 1, cursor === undefined ? undefined : decodeSeq(cursor));
      const items = page.slice(0, limit);
      return { items: items.map(deadLetterView), nextCursor: page.length > limit ? encodeSeq(items[items.length - 1]!.seq) : null };
    },

    async replay(id: string, range?: { from: Date; to: Date }) {
      const e = await mustFind(id);
      const replayed = await outbound.replay(id, range);
      if (e.enabled) await startLanes(e);
      return { replayed };
    },
  };
}

export type EventEndpointService = ReturnType<typeof eventEndpointService>;
