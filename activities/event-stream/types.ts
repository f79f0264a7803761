// The outbound event stream's events: what marketers subscribe endpoints to, and how each is sent.
// Every event has a natural key (the write that produced it), so a retried write emits it once.
import { createHash } from 'node:crypto';

export const outboundEventTypes = [
  'message.sent', 'message.delivered', 'message.opened', 'message.clicked', 'message.bounced',
  'conversion', 'stage.changed', 'journey.entered', 'journey.exited', 'customer.merged',
] as const;
export type OutboundEventType = (typeof outboundEventTypes)[number];

/** One event as its producer emits it (before it is queued for each endpoint subscribed to its type). */
export interface OutboundEvent {
  type: OutboundEventType;
  /** What makes it this event and no other, e.g. `message.sent:<send key>`: the same write emits the same key. */
  key: string;
  /** Whose event it is: events of one customer are delivered in the order they were emitted. */
  customerId: string;
  /** When it happened. */
  at: Date;
  data: Record<string, unknown>;
}

/** The body an endpoint receives (Standard Webhooks' `{ type, timestamp, data }`). */
export interface OutboundPayload {
  type: OutboundEventType;
  timestamp: string;
  data: Record<string, unknown>;
}

/** The `webhook-id`: the same on every attempt and replay of an event, so receivers can dedupe. */
export const eventIdOf = (key: string): string => `evt_${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;

/** The lane of a customer's events (FNV-1a): one customer's events always travel in one lane, in order. */
export function laneOf(customerId: string, lanes: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < customerId.length; i++) h = Math.imul(h ^ customerId.charCodeAt(i), 0x01000193);
  return (h >>> 0) % lanes;
}
