// Routing of accepted events into customer workflows: identity resolution, then one
// signalWithStart per customer (merges first). Shared by the API and by the deferred-ingest
// activity that finishes the job when MongoDB was away.
import pLimit from 'p-limit';
import type { Client } from '@temporalio/client';
import type { CustomerEvent } from '../workflows/lifecycle/event.js';
import { eventsSignal, mergeIntoSignal } from '../workflows/customer-contract.js';
import { identityKey, type Identity, type IdentityRepository } from '../store/identities.js';
import { signalCustomer, type CustomerSettings } from './temporal.js';

/** An event as the API accepted it, with the identities it carries. */
export interface Normalised {
  event: CustomerEvent;
  identities: Identity[];
}

export interface EventRoutingDeps {
  temporal: Client;
  identities: IdentityRepository;
  taskQueue: string;
  settings: CustomerSettings;
  /** The journey catalog revision, read once a request, so workflows reload journeys that changed. */
  catalogRevision?: () => Promise<number>;
  /**
   * How long one signalWithStart may take once it is sent (not while it queues behind others):
   * past it Temporal counts as unavailable. Unset: the client's own default.
   */
  callDeadlineMs?: number;
}

/** Calls in flight to each server: MongoDB for identities, Temporal for signals. */
const concurrency = 32;

export interface Resolved {
  byCustomer: Map<string, CustomerEvent[]>;
  merges: Map<string, string>;
  /** Customers this resolution created: their workflows need not look for a stored profile. */
  fresh?: Set<string>;
}

export function createEventRouting(deps: EventRoutingDeps) {
  // Separate queues: a slow identity lookup never holds a signal back, nor the other way round.
  const resolving = pLimit(concurrency);
  const signalling = pLimit(concurrency);

  /** One round trip finds every known identity; events linked by a shared identity resolve together. */
  async function resolveAll(items: Normalised[]): Promise<Resolved> {
    const known = await deps.identities.owners([...new Set(items.flatMap((n) => n.identities.map(identityKey)))]);
    const groups = linkedGroups(items);
    const resolutions = await Promise.all(groups.map((g) => resolving(() => deps.identities.resolve(g.identities, known))));
    const byCustomer = new Map<string, CustomerEvent[]>();
    const merges = new Map<string, string>();
    const customerOf = new Map<number, string>();
    const fresh = new Set(resolutions.filter((r) => r.fresh).map((r) => r.customerId));
    groups.forEach((g, i) => {
      for (const index of g.members) customerOf.set(index, resolutions[i]!.customerId);
      for (const loser of resolutions[i]!.merged) merges.set(loser, resolutions[i]!.customerId);
    });
    items.forEach((n, index) => {
      const customerId = customerOf.get(index)!;
      byCustomer.set(customerId, [...(byCustomer.get(customerId) ?? []), n.event]);
    });
    return { byCustomer, merges, fresh };
  }

  async function signal({ byCustomer, merges, fresh }: Resolved, catalogRevision?: number): Promise<void> {
    const start = (customerId: string) => ({ settings: deps.settings, taskQueue: deps.taskQueue, fresh: fresh?.has(customerId) });
    const calls = [
      ...[...merges].map(([loser, survivor]) => () => signalCustomer(deps.temporal, loser, start(loser), mergeIntoSignal, survivor)),
      ...[...byCustomer].map(([customerId, events]) => () => signalCustomer(deps.temporal, customerId, start(customerId), eventsSignal, events, { catalogRevision })),
    ];
    // The first failure fails the request at once: calls still queued are not sent, so a Temporal
    // outage answers within one deadline instead of one per queued call. The client's retry is
    // safe: workflows drop the events they already have.
    let failure: unknown;
    const timed = <T>(call: () => Promise<T>) => (deps.callDeadlineMs === undefined ? call() : deps.temporal.connection.withDeadline(Date.now() + deps.callDeadlineMs, call));
    // Settled, not raced: no call of this request is still in flight once it has answered.
    await Promise.allSettled(calls.map((call) => signalling(async () => {
      if (failure !== undefined) return;
      try {
        await timed(call);
      } catch (err) {
        failure ??= err;
      }
    })));
    if (failure !== undefined) throw failure;
  }

  return {
    resolveAll, signal,
    /** Signals queued or in flight in this process: the admission check's measure of load. */
    backlog: () => signalling.pendingCount + signalling.activeCount,
    catalogRevision: () => deps.catalogRevision?.() ?? Promise.resolve(undefined),
  };
}

export type EventRouting = ReturnType<typeof createEventRouting>;

/** Events that share any identity belong to one person: union-find over identity keys. */
export function linkedGroups(items: Normalised[]): { members: number[]; identities: Identity[] }[] {
  const parent = items.map((_, i) => i);
  const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i]!)));
  const firstWithKey = new Map<string, number>();
  items.forEach((n, i) => {
    for (const key of n.identities.map(identityKey)) {
      const j = firstWithKey.get(key);
      if (j === undefined) firstWithKey.set(key, i); else parent[root(i)] = root(j);
    }
  });
  const groups = new Map<number, { members: number[]; identities: Map<string, Identity> }>();
  items.forEach((n, i) => {
    const g = groups.get(root(i)) ?? { members: [] as number[], identities: new Map<string, Identity>() };
    g.members.push(i);
    for (const id of n.identities) g.identities.set(identityKey(id), id);
    groups.set(root(i), g);
  });
  return [...groups.values()].map((g) => ({ members: g.members, identities: [...g.identities.values()] }));
}
