// Endpoints of the outbound event stream: the `event_endpoints` collection. The secret signs what
// each endpoint receives (Standard Webhooks); after a rotation the previous one also signs for a day.
import { Schema, type Connection, type Model } from 'mongoose';
import type { Collection } from 'mongodb';
import type { OutboundEventType } from '../activities/event-stream/types.js';
import { collectionOf } from './collection.js';

export interface EndpointDoc {
  /** `ep_…`. */
  _id: string;
  url: string;
  events: OutboundEventType[];
  description?: string;
  enabled: boolean;
  /** `whsec_<base64>`. */
  secret: string;
  /** The secret a rotation replaced, still signing beside the new one until `previousSecretUntil`. */
  previousSecret?: string;
  previousSecretUntil?: Date;
  /** Lanes its events are spread over by customer (fixed for the endpoint's life: a customer's lane never moves). */
  lanes: number;
  createdAt: Date;
  updatedAt: Date;
}

const endpointSchema = new Schema<EndpointDoc>({
  _id: String,
  url: { type: String, required: true },
  events: [String],
  description: String,
  enabled: Boolean,
  secret: String,
  previousSecret: String,
  previousSecretUntil: Date,
  lanes: Number,
  createdAt: Date,
  updatedAt: Date,
}, { versionKey: false, minimize: false });

export interface EventEndpointModels {
  EventEndpoint: Model<EndpointDoc>;
  eventEndpoints: Collection<EndpointDoc>;
}

export function createEventEndpointModels(connection: Connection): EventEndpointModels {
  const EventEndpoint = connection.model<EndpointDoc>('EventEndpoint', endpointSchema, 'event_endpoints');
  return { EventEndpoint, eventEndpoints: collectionOf(EventEndpoint) };
}

/** What producers need of an endpoint to queue an event for it. */
export type Subscriber = Pick<EndpointDoc, '_id' | 'events' | 'lanes'>;

export type EndpointChange = Partial<Pick<EndpointDoc, 'url' | 'events' | 'description' | 'enabled'>>;

export function eventEndpointRepository({ eventEndpoints }: EventEndpointModels) {
  const find = (id: string): Promise<EndpointDoc | null> => eventEndpoints.findOne({ _id: id });
  return {
    find,
    async create(doc: EndpointDoc): Promise<void> {
      await eventEndpoints.insertOne(doc);
    },
    list: (): Promise<EndpointDoc[]> => eventEndpoints.find({}).sort({ createdAt: 1, _id: 1 }).limit(1000).toArray(),
    /** The enabled endpoints and what they subscribe to: the producers' cached list. */
    subscribers: (): Promise<Subscriber[]> =>
      eventEndpoints.find({ enabled: true }, { projection: { events: 1, lanes: 1 } }).toArray() as Promise<Subscriber[]>,
    /** Null when there is no such endpoint. */
    async update(id: string, change: EndpointChange): Promise<EndpointDoc | null> {
      const res = await eventEndpoints.updateOne({ _id: id }, { $set: { ...change, updatedAt: new Date() } });
      return res.matchedCount === 0 ? null : find(id);
    },
    /** A new secret; the current one keeps signing beside it until `keepPreviousUntil`. */
    async rotate(id: string, secret: string, keepPreviousUntil: Date): Promise<EndpointDoc | null> {
      const current = await find(id);
      if (!current) return null;
      await eventEndpoints.updateOne({ _id: id }, { $set: { secret, previousSecret: current.secret, previousSecretUntil: keepPreviousUntil, updatedAt: new Date() } });
      return find(id);
    },
    async remove(id: string): Promise<boolean> {
      return (await eventEndpoints.deleteOne({ _id: id })).deletedCount > 0;
    },
  };
}

export type EventEndpointRepository = ReturnType<typeof eventEndpointRepository>;
