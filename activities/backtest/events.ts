// The recorded events a backtest replays, read in the timeline index's order (customer, then newest
// first): one customer's for a preview, and a page's customers at once.
import type { Condition, Filter } from 'mongodb';
import type { CustomerEvent } from '../../workflows/lifecycle/event.js';
import type { EventDoc, Models } from '../../store/models.js';

export const toCustomerEvent = (d: EventDoc): CustomerEvent => ({
  messageId: d.messageId ?? d._id, kind: d.kind as CustomerEvent['kind'], ...(d.name !== undefined && { name: d.name }), properties: d.properties ?? {}, traits: d.traits ?? {},
  timestamp: d.timestamp.toISOString(), ...(d.channel !== undefined && { channel: d.channel }), ...(d.identities !== undefined && { identities: d.identities }),
});

/** The index `{ customerId: 1, timestamp: -1, _id: -1 }` walked forwards: no sort on a server that has it. */
const timelineOrder = { customerId: 1, timestamp: -1, _id: -1 } as const;
const fields = { _id: 1, messageId: 1, kind: 1, name: 1, properties: 1, traits: 1, timestamp: 1, channel: 1, identities: 1, customerId: 1 } as const;

/** Set-aside events were never applied. */
const recorded = (customerId: Condition<string>, to: Date): Filter<EventDoc> => ({ customerId, timestamp: { $lt: to }, setAside: { $exists: false } });

/** One customer's recorded events before `to`, oldest first (ties by id). */
export async function customerEvents(models: Models, customerId: string, to: Date): Promise<CustomerEvent[]> {
  const docs = await models.events.find(recorded(customerId, to), { projection: fields }).sort(timelineOrder).toArray();
  return docs.reverse().map(toCustomerEvent);
}

/**
 * The recorded events before `to` of customers (given in id order), each customer's oldest first.
 * Read as one id range (the timeline index's prefix): a server that scans (mongo-java-server has no
 * secondary indexes) compares two bounds a document rather than a list of ids. Not sorted by the
 * server: mongo-java-server sorts a lane's half a million events in over a minute, and one page's
 * sort here is a few milliseconds.
 */
export async function pageEvents(models: Models, customerIds: string[], to: Date): Promise<Map<string, CustomerEvent[]>> {
  const out = new Map<string, CustomerEvent[]>(customerIds.map((id) => [id, []]));
  if (customerIds.length === 0) return out;
  const range = customerIds.length === 1 ? customerIds[0]! : { $gte: customerIds[0]!, $lte: customerIds[customerIds.length - 1]! };
  const docs = await models.events.find(recorded(range, to), { projection: fields }).toArray();
  for (const d of docs) out.get(d.customerId)?.push(toCustomerEvent(d));
  for (const events of out.values()) events.sort(oldestFirst);
  return out;
}

const oldestFirst = (a: CustomerEvent, b: CustomerEvent): number => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0);
