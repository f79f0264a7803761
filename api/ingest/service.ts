// Ingestion: validated events → one customer each → one signal per customer, acknowledged only
// once Temporal has accepted every signal. A retried request is safe: workflows drop messageIds
// they have applied.
import pLimit from 'p-limit';
import type { Client } from '@temporalio/client';
import type { CustomerEvent } from '../../workflows/lifecycle/event.js';
import { eventsSignal, mergeIntoSignal } from '../../workflows/messages.js';
import { identityKey, type Identity, type IdentityRepository } from '../../activities/db/identities.js';
import { startCustomerOptions, type CustomerSettings } from '../../activities/temporal.js';
import { ApiError, invalid, type ErrorDetail } from '../errors.js';
import { normalise, type IdentityOptions, type Normalised } from './normalize.js';
import type { SegmentEvent } from './segment.js';

export interface IngestDeps {
  temporal: Client;
  identities: IdentityRepository;
  taskQueue: string;
  settings: CustomerSettings;
  identity: IdentityOptions;
  /** How long Temporal may take to accept a request's signals before we answer 503. */
  temporalDeadlineMs?: number;
  /** The journey catalog revision, read once a request, so workflows reload journeys that changed. */
  catalogRevision?: () => Promise<number>;
}

export interface IngestItem { event: SegmentEvent; at: string }

export function ingestService(deps: IngestDeps) {
  const limit = pLimit(32);

  async function resolveAll(items: Normalised[]): Promise<{ byCustomer: Map<string, CustomerEvent[]>; merges: Map<string, string> }> {
    // One round trip finds every known identity; events linked by a shared identity resolve
    // together, so a batch never races itself into needless merges.
    const known = await deps.identities.owners([...new Set(items.flatMap((n) => n.identities.map(identityKey)))]);
    const groups = linkedGroups(items);
    const resolutions = await Promise.all(groups.map((g) => limit(() => deps.identities.resolve(g.identities, known))));
    const byCustomer = new Map<string, CustomerEvent[]>();
    const merges = new Map<string, string>();
    const customerOf = new Map<number, string>();
    groups.forEach((g, i) => {
      for (const index of g.members) customerOf.set(index, resolutions[i]!.customerId);
      for (const loser of resolutions[i]!.merged) merges.set(loser, resolutions[i]!.customerId);
    });
    items.forEach((n, index) => {
      const customerId = customerOf.get(index)!;
      byCustomer.set(customerId, [...(byCustomer.get(customerId) ?? []), n.event]);
    });
    return { byCustomer, merges };
  }

  const storeUnavailable = (err: unknown) =>
    new ApiError(503, 'mongodb_unavailable', `customer store unavailable, retry later (${(err as Error).name})`);

  async function signal(byCustomer: Map<string, CustomerEvent[]>, merges: Map<string, string>, catalogRevision?: number): Promise<void> {
    const start = (customerId: string) => startCustomerOptions(customerId, deps.settings, deps.taskQueue);
    const calls = [
      ...[...merges].map(([loser, survivor]) => () =>
        deps.temporal.workflow.signalWithStart('customerWorkflow', { ...start(loser), signal: mergeIntoSignal, signalArgs: [survivor] })),
      ...[...byCustomer].map(([customerId, events]) => () =>
        deps.temporal.workflow.signalWithStart('customerWorkflow', { ...start(customerId), signal: eventsSignal, signalArgs: [events, { catalogRevision }] })),
    ];
    await deps.temporal.connection.withDeadline(Date.now() + (deps.temporalDeadlineMs ?? 10_000), () =>
      Promise.all(calls.map((call) => limit(call))));
  }

  return {
    /** Events about a customer we already know (message reactions, receipts): no resolution. */
    async deliver(customerId: string, events: CustomerEvent[]): Promise<void> {
      const catalogRevision = await deps.catalogRevision?.().catch((err: unknown) => { throw storeUnavailable(err); });
      try {
        await signal(new Map([[customerId, events]]), new Map(), catalogRevision);
      } catch (err) {
        throw new ApiError(503, 'temporal_unavailable', `event log unavailable, retry later (${(err as Error).name})`);
      }
    },

    /** Returns how many events were accepted and for how many customers. */
    async ingest(items: IngestItem[], batchSentAt?: string): Promise<{ accepted: number; customers: number }> {
      const receivedAt = new Date();
      const details: ErrorDetail[] = [];
      const normalised: Normalised[] = [];
      for (const { event, at } of items) {
        const n = normalise(event, at, deps.identity, receivedAt, batchSentAt);
        if (n.ok) normalised.push(n.value); else details.push(...n.details);
      }
      if (details.length > 0) throw invalid(details);

      let resolved: Awaited<ReturnType<typeof resolveAll>>;
      let catalogRevision: number | undefined;
      try {
        [resolved, catalogRevision] = await Promise.all([resolveAll(normalised), deps.catalogRevision?.()]);
      } catch (err) {
        throw storeUnavailable(err);
      }
      try {
        await signal(resolved.byCustomer, resolved.merges, catalogRevision);
      } catch (err) {
        throw new ApiError(503, 'temporal_unavailable', `event log unavailable, retry later (${(err as Error).name})`);
      }
      return { accepted: normalised.length, customers: resolved.byCustomer.size };
    },
  };
}

export type IngestService = ReturnType<typeof ingestService>;

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
