// Subscription groups for marketers, and customers' choices: by the admin API and the hosted
// preference page. A choice is an event (`Subscription Changed`) sent into the customer's
// workflow, which keeps it in the profile; nothing here writes a profile.
import { randomUUID } from 'node:crypto';
import type { CustomerEvent } from '../../workflows/lifecycle/event.js';
import { inGroup, subscriptionChangedEvent } from '../../workflows/messaging/subscriptions.js';
import type { Channel, GroupRule } from '../../workflows/messaging/types.js';
import { ruleOf, type GroupDoc, type SubscriptionGroupRepository } from '../../store/subscription-groups.js';
import type { CustomerRepository } from '../../store/customers.js';
import { ApiError, invalid, type ErrorDetail } from '../errors.js';
import type { GroupInput, GroupUpdate } from './schema.js';

export interface SubscriptionServiceDeps {
  groups: SubscriptionGroupRepository;
  customers: Pick<CustomerRepository, 'find'>;
  /** Sends events into a known customer's workflow (the ingest service's `deliver`). */
  deliver: (customerId: string, events: CustomerEvent[]) => Promise<void>;
  now?: () => Date;
}

const notFound = (id: string): ApiError => new ApiError(404, 'not_found', `no subscription group "${id}"`);
const iso = (d: Date): string => d.toISOString();

export const groupView = (g: GroupDoc) => ({
  id: g._id, name: g.name, ...(g.description !== undefined && { description: g.description }), channel: g.channel, type: g.type,
  transactional: g.transactional, archived: g.archived, createdAt: iso(g.createdAt), updatedAt: iso(g.updatedAt),
});

/** Every group not archived, as the customer is in it. */
export function subscriptionsOf(groups: GroupDoc[], choices: Record<string, boolean> | undefined) {
  return groups.filter((g) => !g.archived).map((g) => ({
    group: g._id, name: g.name, channel: g.channel, type: g.type, transactional: g.transactional,
    subscribed: inGroup(choices, g._id, ruleOf(g)), chosen: !g.transactional && choices?.[g._id] !== undefined,
  }));
}

/** What journey publishing and campaigns ask: the rule of each group a send names, or why it cannot be named. */
export function groupChecks(groups: Pick<SubscriptionGroupRepository, 'find'>) {
  return {
    async ruleFor(id: string, channel: Channel): Promise<GroupRule | string> {
      const g = await groups.find(id);
      if (!g) return `no subscription group "${id}"`;
      if (g.archived) return `subscription group "${id}" is archived`;
      if (g.channel !== channel) return `subscription group "${id}" is for ${g.channel}, not ${channel}`;
      return ruleOf(g);
    },
  };
}
export type GroupChecks = ReturnType<typeof groupChecks>;

export function subscriptionService({ groups, customers, deliver, now = () => new Date() }: SubscriptionServiceDeps) {
  async function mustFind(id: string): Promise<GroupDoc> {
    const g = await groups.find(id);
    if (!g) throw notFound(id);
    return g;
  }

  /** Who a customer is now (the survivor of merges), or undefined when unknown or erased. */
  async function current(customerId: string) {
    let id = customerId;
    for (let hop = 0; hop < 8; hop++) {
      const doc = await customers.find(id);
      if (!doc) return undefined;
      if (!doc.mergedInto) return doc;
      id = doc.mergedInto;
    }
    return undefined;
  }

  /**
   * Checks every change (a known, live group; never leaving a transactional one), then sends them
   * into the customer's workflow as one signal. Answers the groups as they will be.
   */
  async function change(customerId: string, changes: Record<string, boolean>, source: 'api' | 'preference_page', fieldOf: (group: string) => string) {
    const customer = await current(customerId);
    if (!customer) throw new ApiError(404, 'not_found', 'no such customer');
    const ids = Object.keys(changes);
    const found = new Map((await groups.findMany(ids)).map((g) => [g._id, g]));
    const details: ErrorDetail[] = [];
    for (const id of ids) {
      const g = found.get(id);
      if (!g || g.archived) details.push({ field: fieldOf(id), message: g ? `subscription group "${id}" is archived` : `no subscription group "${id}"` });
      else if (g.transactional && !changes[id]) details.push({ field: fieldOf(id), message: `"${g.name}" is transactional: it cannot be left` });
    }
    if (details.length > 0) throw invalid(details);
    const at = now().toISOString();
    // Transactional groups are always in: joining one changes nothing worth an event.
    const events: CustomerEvent[] = ids.filter((id) => !found.get(id)!.transactional).map((id) => ({
      messageId: `subscription:${randomUUID()}`, kind: 'track', name: subscriptionChangedEvent,
      properties: { group: id, subscribed: changes[id], channel: found.get(id)!.channel, source }, traits: {}, timestamp: at,
    }));
    if (events.length > 0) await deliver(customer._id, events);
    const choices = { ...customer.subscriptions };
    for (const e of events) choices[e.properties.group as string] = e.properties.subscribed as boolean;
    return { customerId: customer._id, subscriptions: subscriptionsOf(await groups.list(), choices) };
  }

  /** The preference page's view of a customer (null when unknown or erased). */
  async function page(customerId: string) {
    const customer = await current(customerId);
    return customer ? { customerId: customer._id, subscriptions: subscriptionsOf(await groups.list(), customer.subscriptions) } : null;
  }

  return {
    /** `created: false` when this exact group was already stored (a retried request). */
    async create(input: GroupInput) {
      const { id = `g${randomUUID().replaceAll('-', '').slice(0, 16)}`, ...draft } = input;
      const out = await groups.create(id, draft);
      if ('conflict' in out) throw new ApiError(409, 'conflict', `a different subscription group "${id}" already exists`);
      return { group: groupView(out.group), created: out.created };
    },
    list: async (includeArchived: boolean) => ({ items: (await groups.list(includeArchived)).map(groupView) }),
    get: async (id: string) => groupView(await mustFind(id)),

    async update(id: string, update: GroupUpdate) {
      const g = await mustFind(id);
      const fixed = (['channel', 'type', 'transactional'] as const).filter((k) => update[k] !== undefined && update[k] !== g[k]);
      if (fixed.length > 0) throw invalid(fixed.map((k) => ({ field: k, message: `fixed at creation (${String(g[k])}): sends already published carry it; make a new group instead` })));
      return groupView((await groups.update(id, { name: update.name, ...(update.description !== undefined && { description: update.description }) }))!);
    },

    async archive(id: string) {
      const g = await groups.archive(id);
      if (!g) throw notFound(id);
      return groupView(g);
    },

    /** The admin API: `subscriptions.<group>` names a bad change. */
    changeForCustomer: async (customerId: string, changes: Record<string, boolean>) =>
      (await change(customerId, changes, 'api', (g) => `subscriptions.${g}`)).subscriptions,

    page,

    /** The preference page's save: each group shown is in when ticked. */
    async save(customerId: string, shown: string[], ticked: Set<string>) {
      const listed = new Map((await groups.findMany(shown)).map((g) => [g._id, g]));
      const changes = Object.fromEntries(shown.filter((id) => listed.get(id) && !listed.get(id)!.archived && !listed.get(id)!.transactional).map((id) => [id, ticked.has(id)]));
      if (Object.keys(changes).length === 0) return page(customerId);
      return change(customerId, changes, 'preference_page', (g) => `group.${g}`);
    },
  };
}

export type SubscriptionService = ReturnType<typeof subscriptionService>;
