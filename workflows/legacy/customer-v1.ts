// Frozen: the customer workflow of runs started before lean workflows (their input has no
// `version`), kept only so that those runs and their stored histories replay. Each such run moves
// to the lean workflow (../customer.ts) at its next continueAsNew, carrying its state without the
// catalog. Delete this folder once no run of this shape is left.
import {
  ActivityFailure, allHandlersFinished, condition, continueAsNew, patched, setHandler, upsertSearchAttributes,
} from '@temporalio/workflow';
import { messaging, profile, runIsFull } from '../customer-options.js';
import { absorb, applyEvents, nextWakeAt, tick, withTouch, type Outcome } from '../lifecycle/apply.js';
import type { CustomerEvent } from '../lifecycle/event.js';
import { initialState, type CustomerState } from '../lifecycle/state.js';
import { foldJourneys, initialJourneys, journeysWakeAt, onCampaign, onCatalog, onEvents, onMigration, onTime, type JourneyOutcome } from './engine-v1.js';
import type { LegacyJourneysState } from '../journeys/state.js';
import type { JourneyProgress } from '../journeys/step-context.js';
import { isCampaignJourney } from '../campaigns/journey.js';
import { defaultMessagingPolicy } from '../messaging/arbiter.js';
import {
  absorbSignal, campaignSignal, eventsSignal, mergeIntoSignal, migrateJourneySignal, stateQuery,
  type AbsorbRequest, type CampaignBroadcast, type CustomerWorkflowInput, type CustomerWorkflowResult, type JourneyMigration,
} from '../customer-contract.js';
import { ActiveJourneysAttribute, CustomerIdAttribute, LifecycleStageAttribute, TierAttribute } from '../search-attributes.js';

export async function customerWorkflowV1(input: CustomerWorkflowInput): Promise<CustomerWorkflowResult> {
  const { customerId, rules } = input;
  const policy = input.policy ?? defaultMessagingPolicy;
  const pending: CustomerEvent[] = [...(input.pending ?? [])];
  const absorbs: AbsorbRequest[] = [...(input.absorbs ?? [])];
  const migrations: JourneyMigration[] = [...(input.migrations ?? [])];
  const campaigns: CampaignBroadcast[] = [...(input.campaigns ?? [])];
  let mergeInto = input.mergeInto;
  let catalogWanted = input.catalogRevision ?? 0;
  let signals = 0;

  setHandler(eventsSignal, (events, context) => {
    pending.push(...events);
    signals += 1;
    catalogWanted = Math.max(catalogWanted, context?.catalogRevision ?? 0);
  });
  setHandler(absorbSignal, (request) => { absorbs.push(request); signals += 1; });
  setHandler(mergeIntoSignal, (survivorId) => { mergeInto ??= survivorId; signals += 1; });
  setHandler(migrateJourneySignal, (migration) => { migrations.push(migration); signals += 1; });
  setHandler(campaignSignal, (delivery) => { campaigns.push(delivery); signals += 1; });

  let state: CustomerState = input.state ?? initialState(customerId);
  setHandler(stateQuery, () => state);
  if (!input.state) {
    // A first run, or a customer whose workflow was ended by hand: pick up the stored profile.
    state = (await profile.restoreCustomer(customerId)) ?? state;
    mergeInto ??= state.mergedInto;
    upsertSearchAttributes([{ key: CustomerIdAttribute, value: customerId }]);
    upsertSearchValues(state);
  }
  // Journeys came after the first recorded customers: runs without the marker never send.
  const journeysOn = patched('journeys-v1');
  // Held-out customers are watched for the goal only by runs that began with this code (older runs: after continueAsNew).
  const watchHoldouts = journeysOn && patched('holdout-goal-watch');
  // A restored profile has no catalog (it is never stored): it loads on the next announced revision.
  const journeys = (): LegacyJourneysState => (state.journeys ? { catalog: [], ...state.journeys } : initialJourneys());
  const journeyInput = () => ({ customer: state, journeys: journeys(), policy, rules, now: Date.now(), watchHoldouts });

  const commit = async (outcome: Outcome, adopt?: string[]): Promise<void> => {
    if (outcome.state === state && outcome.applied.length === 0) return;
    state = outcome.state;
    const stageChange = outcome.stage && { ...outcome.stage, at: Date.now() };
    await profile.saveCustomer({ state, events: outcome.applied, adopt, conversions: outcome.conversions, stageChange });
    if (outcome.stage || outcome.tier) upsertSearchValues(state);
  };

  const runJourneys = async (outcome: JourneyOutcome): Promise<void> => {
    const before = JSON.stringify([journeys(), state.tags, state.points, state.traits]);
    const next: CustomerState = { ...outcome.customer, journeys: outcome.journeys };
    if (JSON.stringify([next.journeys, next.tags, next.points, next.traits]) === before && outcome.commands.length === 0) return;
    const activeBefore = activeJourneys(state);
    state = { ...next, revision: state.revision + 1 };
    // Operators find a journey's customers in the Temporal UI (added after journeys: patched).
    if (activeJourneys(state) !== activeBefore && patched('active-journeys-attribute')) {
      upsertSearchAttributes([{ key: ActiveJourneysAttribute, value: journeyIds(state) }]);
    }
    const journeyProgress: JourneyProgress[] = [];
    for (const command of outcome.commands) {
      if (command.type === 'progress') {
        if (!isCampaignJourney(command.record.journeyId)) journeyProgress.push(command.record);
      } else if (command.type === 'send') {
        try {
          const sent = await messaging.sendMessage(command.request);
          if (sent.status === 'sent') {
            const { channel, journeyId, campaignId, stepId, key } = command.request;
            state = withTouch(state, { at: Date.now(), kind: 'sent', channel, ...(journeyId && { journeyId }), ...(campaignId && { campaignId }), ...(stepId && { stepId }), messageKey: key }, rules);
          }
        } catch (err) {
          // Retries exhausted: the message stays recorded as not sent; the journey goes on.
          if (!(err instanceof ActivityFailure)) throw err;
        }
      } else if (command.type === 'suppressed') {
        await profile.recordSuppressed(command.send);
      }
    }
    await profile.saveCustomer({ state, events: [], journeyProgress });
  };

  for (;;) {
    const wakeAt = Math.min(nextWakeAt(state, rules) ?? Infinity, journeysOn ? journeysWakeAt(journeys()) ?? Infinity : Infinity);
    const ready = () => pending.length > 0 || absorbs.length > 0 || migrations.length > 0 || mergeInto !== undefined || runIsFull(signals)
      || (journeysOn && (catalogWanted > journeys().catalogRevision || campaigns.length > 0));
    const woken = Number.isFinite(wakeAt) ? await condition(ready, Math.max(1, wakeAt - Date.now())) : (await condition(ready), true);
    if (!woken) {
      // Time passed: the stage may slip; waits end, deferred sends retry, date triggers fire.
      const outcome = tick(state, rules, Date.now());
      await commit(outcome);
      if (journeysOn) await runJourneys(outcome.stage || outcome.tier ? onEvents(journeyInput(), [], { stage: outcome.stage?.to, tier: outcome.tier?.to }) : onTime(journeyInput()));
    }
    if (journeysOn && catalogWanted > journeys().catalogRevision) {
      await runJourneys(onCatalog(journeyInput(), await profile.loadJourneyCatalog()));
    }
    while (journeysOn && migrations.length > 0) await runJourneys(onMigration(journeyInput(), migrations.shift()!));
    // A run from before journeys has no one to migrate (and must not wake for it again and again).
    if (!journeysOn) migrations.length = 0;
    while (journeysOn && campaigns.length > 0) await runJourneys(onCampaign(journeyInput(), campaigns.shift()!));

    while (absorbs.length > 0) {
      const request = absorbs.shift()!;
      const outcome = absorb(state, request.from, rules, Date.now());
      if (outcome.state !== state && request.from.journeys) outcome.state.journeys = foldJourneys(journeys(), request.from.journeys);
      await commit(outcome, [request.from.customerId, ...request.from.mergedFrom]);
      pending.push(...request.pending);
    }
    if (mergeInto !== undefined) {
      await condition(allHandlersFinished);
      const events = pending.splice(0);
      state = { ...state, mergedInto: mergeInto, revision: state.revision + 1 };
      await profile.handOver({ state, pending: events, survivorId: mergeInto, rules, policy });
      return { mergedInto: mergeInto };
    }
    if (pending.length > 0) {
      const outcome = applyEvents(state, pending.splice(0), rules, Date.now());
      await commit(outcome);
      if (journeysOn) await runJourneys(onEvents(journeyInput(), outcome.applied, { stage: outcome.stage?.to, tier: outcome.tier?.to }));
    }

    if (runIsFull(signals)) {
      await condition(allHandlersFinished);
      if (pending.length > 0 || absorbs.length > 0 || migrations.length > 0 || mergeInto !== undefined || (journeysOn && campaigns.length > 0)) continue;
      // A run without journeys keeps its broadcasts for the next run, which has them.
      // The next run is a lean one (version 2): it drops the catalog from the state it is given.
      await continueAsNew<typeof customerWorkflowV1>({ version: 2, customerId, rules, policy, state, catalogRevision: catalogWanted, ...(campaigns.length > 0 && { campaigns }) });
    }
  }
}

const activeJourneys = (state: CustomerState): string => journeyIds(state).join(',');
const journeyIds = (state: CustomerState): string[] => (state.journeys?.enrollments ?? []).map((e) => e.journeyId).filter((id) => !isCampaignJourney(id)).sort();

function upsertSearchValues(state: CustomerState): void {
  upsertSearchAttributes([
    { key: LifecycleStageAttribute, value: state.stage },
    { key: TierAttribute, value: state.tier ?? 'none' },
  ]);
}
