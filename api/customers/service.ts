// Reads of the single customer view: MongoDB for the profile, the workflow for the live state.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { customerWorkflowId, stateQuery } from '../../workflows/customer-contract.js';
import type { CustomerState } from '../../workflows/lifecycle/state.js';
import type { JourneysState } from '../../workflows/journeys/state.js';
import { isCampaignJourney } from '../../workflows/campaigns/journey.js';
import type { CustomerRepository } from '../../store/customers.js';
import type { CustomerDoc } from '../../store/models.js';
import type { Identity, IdentityRepository } from '../../store/identities.js';
import type { DeferredIngestRepository } from '../../store/deferred-ingests.js';
import { ApiError } from '../errors.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { SubscriptionGroupRepository } from '../../store/subscription-groups.js';
import { subscriptionsOf } from '../subscriptions/service.js';

export interface CustomerServiceDeps {
  temporal: Client;
  customers: CustomerRepository;
  identities: IdentityRepository;
  deferredIngests: Pick<DeferredIngestRepository, 'workflowsOf'>;
  /** Subscription groups, for the view's `subscriptions`. */
  groups?: Pick<SubscriptionGroupRepository, 'list'>;
}

/** The lifecycle fields of a profile or a live state: never the dedupe list, touches or journey internals. */
const lifecycleOf = (p: Omit<CustomerState, 'customerId' | 'journeys'>) => ({
  stage: p.stage, ...(p.tier !== undefined && { tier: p.tier }), points: p.points, counters: p.counters, followed: p.followed, registered: p.registered,
  tags: p.tags, consent: p.consent, ...(p.subscriptions && { subscriptions: p.subscriptions }), traits: p.traits, ...(p.scores && { scores: p.scores }), mergedFrom: p.mergedFrom,
  ...(p.mergedInto !== undefined && { mergedInto: p.mergedInto }), revision: p.revision,
});
const stored = (doc: CustomerDoc) => ({ ...lifecycleOf(doc), updatedAt: doc.updatedAt });
const iso = (at: number | undefined): string | null => (at === undefined || !Number.isFinite(at) ? null : new Date(at).toISOString());

/** Where the customer is in each journey: step, since when, and when it next wakes. */
function journeyPlaces(j: JourneysState | undefined) {
  return (j?.enrollments ?? []).filter((e) => !isCampaignJourney(e.journeyId)).map((e) => ({
    journeyId: e.journeyId, version: e.version, stepId: e.stepId, enteredAt: iso(e.enteredAt)!, since: iso(e.stepSince)!, nextWakeAt: iso(e.wakeAt),
    ...(e.variant !== undefined && { variant: e.variant }), paused: j?.paused?.includes(e.journeyId) ?? false,
  }));
}

export function customerService({ temporal, customers, identities, deferredIngests, groups }: CustomerServiceDeps) {
  async function live(customerId: string): Promise<{ status: string; state?: CustomerState }> {
    const handle = temporal.workflow.getHandle(customerWorkflowId(customerId));
    try {
      const { status } = await handle.describe();
      if (status.name !== 'RUNNING') return { status: status.name.toLowerCase() };
      return { status: 'running', state: await handle.query(stateQuery) };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { status: 'none' };
      return { status: 'unavailable' };
    }
  }

  async function deleteHistories(workflowId: string): Promise<void> {
    const { namespace } = temporal.options;
    for await (const run of temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      await temporal.workflowService.deleteWorkflowExecution({ namespace, workflowExecution: { workflowId, runId: run.runId } });
    }
  }

  return {
    lookup: (identity: Identity) => identities.lookup(identity),

    /** A documented view, not the raw state: the live workflow is the freshest source of journeys, the stored profile the fallback. */
    async view(customerId: string) {
      const [profile, ids, workflow, messages, catalog] = await Promise.all([
        customers.find(customerId), identities.of(customerId), live(customerId), customers.recentMessages(customerId, 10), groups?.list() ?? [],
      ]);
      if (!profile && ids.length === 0 && !workflow.state) return null;
      return {
        customerId,
        profile: profile ? stored(profile) : null,
        identities: ids,
        journeys: journeyPlaces(workflow.state?.journeys ?? profile?.journeyState),
        messages,
        // The live choices are the freshest (a change just made), the stored ones the fallback.
        subscriptions: subscriptionsOf(catalog, workflow.state ? workflow.state.subscriptions : profile?.subscriptions),
        workflow: { status: workflow.status, workflowId: customerWorkflowId(customerId), ...(workflow.state && { live: lifecycleOf(workflow.state) }) },
      };
    },

    async timeline(customerId: string, limit: number, cursor?: string) {
      const before = cursor === undefined ? undefined : decodeCursor(cursor);
      if (cursor !== undefined && !before) return 'bad_cursor' as const;
      const items = await customers.timeline(customerId, limit + 1, before);
      const page = items.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page,
        nextCursor: items.length > limit && last ? encodeCursor({ timestamp: last.timestamp, id: last.id }) : null,
      };
    },

    /**
     * Ends the workflows first so nothing is written back, then deletes their histories (every
     * run of the customer and of the customers merged into it at any depth, and the deferred
     * ingests that delivered their events): their signals carried the person's traits. MongoDB
     * is erased last, so a retry after a stop anywhere finds the same merged ids and finishes.
     */
    async erase(customerId: string) {
      const chain = await customers.mergedChain(customerId);
      for (const id of chain) {
        try {
          await temporal.workflow.getHandle(customerWorkflowId(id)).terminate('erased on request');
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw new ApiError(503, 'temporal_unavailable', 'cannot stop the customer workflow, retry later');
        }
      }
      const deferred = await deferredIngests.workflowsOf(chain);
      try {
        for (const workflowId of [...chain.map(customerWorkflowId), ...deferred]) await deleteHistories(workflowId);
      } catch {
        throw new ApiError(503, 'temporal_unavailable', 'the workflow histories could not be deleted yet, nothing is erased from MongoDB: retry the request');
      }
      return customers.erase(customerId);
    },
  };
}

export type CustomerService = ReturnType<typeof customerService>;
