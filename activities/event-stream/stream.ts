// Where producers hand events to the stream: each event is queued once for every enabled endpoint
// subscribed to its type. The endpoint list is cached per process (reloaded every `refreshMs`),
// so an event no endpoint wants costs no read and no write.
import type { EventEndpointRepository, Subscriber } from '../../store/event-endpoints.js';
import type { OutboundEventDoc, OutboundEventRepository } from '../../store/outbound-events.js';
import { eventIdOf, laneOf, type OutboundEvent, type OutboundEventType } from './types.js';

export interface EventStreamDeps {
  endpoints: Pick<EventEndpointRepository, 'subscribers'>;
  outbound: Pick<OutboundEventRepository, 'queue'>;
  refreshMs: number;
  now?: () => number;
}

let lastSeq = 0;
/** Emission order: the clock in microseconds, never repeating or going back within this process. */
const nextSeq = (now: number): number => (lastSeq = Math.max(now * 1000, lastSeq + 1));

export function eventStream({ endpoints, outbound, refreshMs, now = () => Date.now() }: EventStreamDeps) {
  let copy: { subscribers: Subscriber[]; loadedAt: number } | undefined;
  let loading: Promise<Subscriber[]> | undefined;

  async function subscribers(): Promise<Subscriber[]> {
    if (copy && now() - copy.loadedAt < refreshMs) return copy.subscribers;
    loading ??= endpoints.subscribers().then((list) => {
      copy = { subscribers: list, loadedAt: now() };
      return list;
    }).finally(() => { loading = undefined; });
    return loading;
  }

  return {
    /** Some enabled endpoint wants this type (for producers that must read before they can build the event). */
    async subscribed(type: OutboundEventType): Promise<boolean> {
      return (await subscribers()).some((s) => s.events.includes(type));
    },

    /** Queues the events, in their order, for every endpoint subscribed to them; nothing when none is. */
    async emit(events: OutboundEvent[]): Promise<void> {
      if (events.length === 0) return;
      const subs = await subscribers();
      const docs: OutboundEventDoc[] = [];
      for (const e of events) {
        const wanting = subs.filter((s) => s.events.includes(e.type));
        if (wanting.length === 0) continue;
        const eventId = eventIdOf(e.key);
        const seq = nextSeq(now());
        const createdAt = new Date(now());
        const payload = { type: e.type, timestamp: e.at.toISOString(), data: e.data };
        for (const s of wanting) {
          docs.push({
            _id: `${s._id}:${eventId}`, endpointId: s._id, lane: laneOf(e.customerId || e.key, s.lanes), eventId, type: e.type,
            customerId: e.customerId, payload, seq, createdAt, status: 'pending', attempts: 0,
          });
        }
      }
      await outbound.queue(docs);
    },

    /** Endpoints changed in this process: the next event reads them again. */
    invalidate(): void { copy = undefined; },
  };
}

export type EventStream = ReturnType<typeof eventStream>;
