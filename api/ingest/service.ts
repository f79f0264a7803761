// Ingestion: validated events → one customer each → one signal per customer, acknowledged only
// once Temporal has accepted every signal (or, while MongoDB is away, a workflow holding them).
// A retried request is safe: workflows drop messageIds they have applied.
import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { CustomerEvent } from '../../workflows/lifecycle/event.js';
import { createEventRouting, type EventRoutingDeps, type Normalised, type Resolved } from '../../activities/routing.js';
import { startWorkflow } from '../../activities/temporal.js';
import { ApiError, invalid, type ErrorDetail } from '../errors.js';
import { normalise, type IdentityOptions } from './normalize.js';
import type { SegmentEvent } from './segment.js';

export interface IngestDeps extends EventRoutingDeps {
  identity: IdentityOptions;
  /** How long Temporal may take to accept one call (once sent) before we answer 503. */
  temporalDeadlineMs?: number;
  /**
   * Signals this process may have queued or in flight: a request that would go past it is
   * refused at once (503 `overloaded`, Retry-After) rather than left to queue until clients time
   * out and resend the same events on top.
   */
  maxBacklog?: number;
  /**
   * The same for reactions (`deliver`): they go through their own queue with their own budget,
   * so a flood of opens or receipts can neither fill ingest's backlog nor wait in front of it.
   */
  maxFeedbackBacklog?: number;
}

/** About 25 s of work at the dev server's measured ceiling (~40 signalWithStart/s, BENCHMARKS.md). */
export const defaultMaxBacklog = 1000;
export const defaultMaxFeedbackBacklog = 200;

export interface IngestItem { event: SegmentEvent; at: string }

export function ingestService(deps: IngestDeps) {
  const deadlineMs = deps.temporalDeadlineMs ?? 10_000;
  const routing = createEventRouting({ ...deps, callDeadlineMs: deadlineMs });
  const reactions = createEventRouting({ ...deps, callDeadlineMs: deadlineMs });
  const maxFeedbackBacklog = deps.maxFeedbackBacklog ?? defaultMaxFeedbackBacklog;
  const withDeadline = <T>(fn: () => Promise<T>) => deps.temporal.connection.withDeadline(Date.now() + deadlineMs, fn);
  const maxBacklog = deps.maxBacklog ?? defaultMaxBacklog;
  const temporalUnavailable = (err: unknown) =>
    new ApiError(503, 'temporal_unavailable', `event log unavailable, retry later (${(err as Error).name})`);

  /**
   * MongoDB is away, so identities cannot be resolved now: hand the events to Temporal, which
   * holds them in a workflow until it can. Keyed by the events' ids, so a client's retry of the
   * same request is the same workflow.
   */
  async function defer(items: Normalised[]): Promise<void> {
    const ids = items.map((n) => n.event.messageId).sort().join('\n');
    const workflowId = `deferred-ingest-${createHash('sha256').update(ids).digest('hex').slice(0, 40)}`;
    try {
      await withDeadline(() => startWorkflow(deps.temporal, 'deferredIngestWorkflow', { workflowId, taskQueue: deps.taskQueue, args: [items] }));
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw temporalUnavailable(err);
    }
  }

  return {
    /** Ingest signals queued or in flight in this process (reactions have their own: `feedbackBacklog`). */
    backlog: () => routing.backlog(),
    feedbackBacklog: () => reactions.backlog(),

    /** Events about a customer we already know (message reactions, receipts): no resolution. */
    async deliver(customerId: string, events: CustomerEvent[]): Promise<void> {
      if (reactions.backlog() >= maxFeedbackBacklog) {
        throw new ApiError(503, 'overloaded', `${reactions.backlog()} reactions are waiting for Temporal; retry shortly`, [], 2);
      }
      // Without the catalog revision the workflow just keeps its journeys until the next event.
      const catalogRevision = await reactions.catalogRevision().catch(() => undefined);
      try {
        await reactions.signal({ byCustomer: new Map([[customerId, events]]), merges: new Map() }, catalogRevision);
      } catch (err) {
        throw temporalUnavailable(err);
      }
    },

    /** Returns how many events were accepted and for how many customers (unknown while deferred). */
    async ingest(items: IngestItem[], batchSentAt?: string): Promise<{ accepted: number; customers: number; deferred?: true }> {
      const receivedAt = new Date();
      const details: ErrorDetail[] = [];
      const normalised: Normalised[] = [];
      for (const { event, at } of items) {
        const n = normalise(event, at, deps.identity, receivedAt, batchSentAt);
        if (n.ok) normalised.push(n.value); else details.push(...n.details);
      }
      if (details.length > 0) throw invalid(details);
      // A request is one signal per customer at most; refusing it whole keeps it all-or-retry.
      if (routing.backlog() > 0 && routing.backlog() + normalised.length > maxBacklog) {
        throw new ApiError(503, 'overloaded', `${routing.backlog()} signals are waiting for Temporal; retry shortly`, [], 2);
      }

      let resolved: Resolved;
      let catalogRevision: number | undefined;
      try {
        [resolved, catalogRevision] = await Promise.all([routing.resolveAll(normalised), routing.catalogRevision()]);
      } catch {
        await defer(normalised);
        return { accepted: normalised.length, customers: 0, deferred: true };
      }
      try {
        await routing.signal(resolved, catalogRevision);
      } catch (err) {
        throw temporalUnavailable(err);
      }
      return { accepted: normalised.length, customers: resolved.byCustomer.size };
    },
  };
}

export type IngestService = ReturnType<typeof ingestService>;
