// Activities: all I/O of the customer workflow, built from injected connections.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Config } from '../config.js';
import type { CustomerEvent } from '../workflows/lifecycle/event.js';
import type { LifecycleRules } from '../workflows/lifecycle/rules.js';
import type { MessagingPolicy } from '../workflows/messaging/arbiter.js';
import type { CustomerState } from '../workflows/lifecycle/state.js';
import { absorbSignal } from '../workflows/customer-contract.js';
import { ApplicationFailure } from '@temporalio/common';
import { customerRepository } from '../store/customers.js';
import { isRefusedForGood } from '../store/errors.js';
import { writeRefused } from '../workflows/lifecycle/limits.js';
import type { Models } from '../store/models.js';
import { signalCustomer } from './temporal.js';
import { createChannels, type Channels } from './channels/index.js';
import { createMessagingActivities } from './messaging.js';
import { catalogCache, createJourneyActivities } from './journeys.js';
import { matchCatalog, type MatchFacts, type MatchResult } from '../workflows/journeys/match.js';
import type { SuppressedSend } from '../workflows/messaging/types.js';
import { sendLedger } from '../store/send-ledger.js';
import { createEventRouting, type Normalised } from './routing.js';
import { identityRepository } from '../store/identities.js';
import { deferredIngestRepository } from '../store/deferred-ingests.js';
import { journeyRepository } from '../store/journeys.js';
import { createCampaignActivities } from './campaigns.js';
import { createBacktestActivities } from './backtest/index.js';
import { analyticsRepository, type AnalyticsRecords } from '../store/analytics.js';
import { reportQueries } from '../store/reports.js';
import { eventEndpointRepository } from '../store/event-endpoints.js';
import { outboundEventRepository } from '../store/outbound-events.js';
import { eventStream } from './event-stream/stream.js';
import { mergedEvent, recordEvents } from './event-stream/events.js';
import { createEventStreamActivities } from './event-stream/deliver.js';
import { createImportActivities } from './imports/index.js';

export interface ActivityDeps {
  models: Models;
  temporal: Client;
  config: Config;
  /** Defaults to the providers the configuration names. */
  channels?: Channels;
}

export function createActivities({ models, temporal, config, channels }: ActivityDeps) {
  const customers = customerRepository(models);
  const taskQueue = config.temporal.taskQueue;
  const journeys = journeyRepository(models);
  const catalog = catalogCache(journeys);
  const ledger = sendLedger(models);
  const analytics = analyticsRepository(models);
  const reports = reportQueries(models);
  const deferredIngests = deferredIngestRepository(models);
  const stream = eventStream({ endpoints: eventEndpointRepository(models), outbound: outboundEventRepository(models), refreshMs: config.eventStream.refreshMs });
  const routing = createEventRouting({
    temporal, identities: identityRepository(models), taskQueue,
    settings: { rules: config.lifecycleRules, policy: config.messagingPolicy }, catalogRevision: () => journeys.catalogRevision(),
  });
  return {
    ...createMessagingActivities({ models, channels: channels ?? createChannels(config.channels, models), config, stream }),
    ...createEventStreamActivities({ models, config }),
    ...createJourneyActivities({ models, catalog }),
    ...createBacktestActivities({ models, rules: config.lifecycleRules, policy: config.messagingPolicy }),
    ...createCampaignActivities({ models, temporal, taskQueue, settings: { rules: config.lifecycleRules, policy: config.messagingPolicy } }),
    ...createImportActivities({ models, routing, config }),
    /** Events accepted while MongoDB was away: resolve and deliver them now (retried until it is back). */
    async deliverDeferred(items: Normalised[]): Promise<{ customers: number }> {
      const resolved = await routing.resolveAll(items);
      // This workflow's history holds these customers' events: an erasure must find it.
      const workflowId = Context.current().info.workflowExecution?.workflowId;
      if (workflowId) await deferredIngests.record(workflowId, [...resolved.byCustomer.keys()]);
      await routing.signal(resolved, await routing.catalogRevision());
      return { customers: resolved.byCustomer.size };
    },

    /** Report figures of the days written since they were stored, counted again (reportDaysWorkflow). */
    async refreshReportDays(): Promise<{ days: number }> {
      return reports.refreshStale();
    },

    /** The stored profile, with the definitions of the journey versions the customer is in read back. */
    async restoreCustomer(customerId: string): Promise<CustomerState | null> {
      const state = await customers.restore(customerId);
      const j = state?.journeys;
      if (!j) return state;
      for (const e of j.enrollments) {
        const key = `${e.journeyId}@${e.version}`;
        if (j.pinned[key]) continue;
        const version = await journeys.getVersion(e.journeyId, e.version);
        // A version that is gone cannot be run on: the engine exits such an enrollment as archived.
        if (version) j.pinned[key] = version.definition;
      }
      return state;
    },

    /**
     * One write per pass of a customer's workflow: the events, conversions, a stage move, journey
     * progress and suppressed sends, then the profile. The profile's revision is the last thing
     * written, so a retry redoes all of it. `adopt`: customers just folded into this one, whose
     * timelines move here. With `match`, the catalog is matched on the way back (match.ts).
     */
    async saveCustomer(input: { state: CustomerState; events: CustomerEvent[]; adopt?: string[]; suppressed?: SuppressedSend[]; match?: MatchFacts; writtenAt?: number } & Omit<AnalyticsRecords, 'customerId' | 'revision'>): Promise<{ match?: MatchResult }> {
      const { state } = input;
      try {
        await analytics.record({ customerId: state.customerId, revision: state.revision, ...input });
        // Before the profile: a retry redoes it, and each event is queued once (natural keys).
        await stream.emit(recordEvents({ customerId: state.customerId, revision: state.revision, ...input }));
        for (const s of input.suppressed ?? []) await ledger.suppressed(s);
        await customers.save(state, input.events, input.writtenAt);
        if (input.adopt?.length) await customers.adoptTimelines(state.customerId, input.adopt);
      } catch (err) {
        // Retrying a write MongoDB refuses for what it holds would wedge the customer: the workflow sets it aside.
        if (isRefusedForGood(err)) throw ApplicationFailure.create({ type: writeRefused, message: `MongoDB refuses this write: ${(err as Error).message}`, nonRetryable: true });
        throw err;
      }
      // The profile and the batch's events travel once, as `state` and `events`: the match reads them from there.
      return input.match ? { match: matchCatalog(await catalog.get(input.match.wanted), { ...input.match, customer: input.state, events: input.events }) } : {};
    },

    /** Keeps an event MongoDB refused in the timeline as set aside: its name, why, and its content as text. */
    async setAsideEvent(input: { customerId: string; event: CustomerEvent; reason: string }): Promise<void> {
      await customers.setAside(input.customerId, input.event, input.reason);
    },

    /** The merged customer's last act: store where it went and pass its state to the survivor. */
    async handOver(input: { state: CustomerState; pending: CustomerEvent[]; survivorId: string; rules: LifecycleRules; policy: MessagingPolicy }): Promise<void> {
      await stream.emit([mergedEvent(input.state.customerId, input.survivorId, new Date())]);
      await customers.save(input.state, []);
      await models.identities.updateMany({ customerId: input.state.customerId }, { $set: { customerId: input.survivorId } });
      await signalCustomer(temporal, input.survivorId, { settings: { rules: input.rules, policy: input.policy }, taskQueue }, absorbSignal, { from: input.state, pending: input.pending });
      await identityRepository(models).releaseMoved(input.state.customerId);
    },
  };
}
