// The per-customer workflow shell: feeds signals and timers into the pure lifecycle and journey
// cores and carries out what they decide (profile writes, sends, search attributes, hand-over).
// Its history holds only this customer: the brand's journey catalog is matched in the save
// activity (journeys/match.ts), and only the definitions of journeys the customer enters come in.
import {
  ActivityFailure, ApplicationFailure, allHandlersFinished, condition, continueAsNew, log, patched, proxyLocalActivities, setCurrentDetails, setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { absorb, applyEvents, nextWakeAt, tick, withTouch, type Outcome } from './lifecycle/apply.js';
import type { CustomerEvent } from './lifecycle/event.js';
import { initialState, recentMessageIdLimit, type CustomerState } from './lifecycle/state.js';
import { pastLimits, profileLimits, setAsideLimit, writeRefused, type ProfileLimits } from './lifecycle/limits.js';
import {
  customerTimeZone, enter, foldJourneys, initialJourneys, journeysWakeAt, leanJourneys, onCampaign, onMigration, react, triggerDue, withoutPublishedPins, type JourneyOutcome,
} from './journeys/engine.js';
import { factsOf, matchRequest, type MatchResult } from './journeys/match.js';
import { carryOut, journeyProgressOf } from './journeys/commands.js';
import type { JourneyProgress } from './journeys/step-context.js';
import type { JourneysState } from './journeys/state.js';
import { isCampaignJourney } from './campaigns/journey.js';
import { defaultMessagingPolicy } from './messaging/arbiter.js';
import {
  absorbSignal, campaignSignal, eventsSignal, mergeIntoSignal, migrateJourneySignal, stateQuery,
  type AbsorbRequest, type CampaignBroadcast, type CustomerWorkflowInput, type CustomerWorkflowResult, type JourneyMigration,
} from './customer-contract.js';
import { ActiveJourneysAttribute, LifecycleStageAttribute, TierAttribute } from './search-attributes.js';
import { customerWorkflowV1 } from './legacy/customer-v1.js';
import { channelMessaging, messaging, profile, profileOptions, runIsFull } from './customer-options.js';
import type { SendOutcome, SendRequest } from './messaging/types.js';

type Activities = ReturnType<typeof createActivities>;

// Profile reads and writes are short MongoDB calls: local activities (one marker in the history
// instead of three events and a second workflow task). They wait out a MongoDB outage (retries
// never stop; past a minute the backoff becomes a durable timer) rather than lose an event.
const store = proxyLocalActivities<Activities>(profileOptions);

export async function customerWorkflow(input: CustomerWorkflowInput): Promise<CustomerWorkflowResult> {
  // Runs started before lean workflows replay on the code they were recorded with.
  if (input.version !== 2) return customerWorkflowV1(input);
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

  let state: CustomerState = input.state ? leanState(input.state) : initialState(customerId);
  setHandler(stateQuery, () => state);
  // The API starts a customer as a stranger without a tier; a run carried over knows what it upserted.
  let upserted = input.state ? searchValues(state) : { stage: 'stranger', tier: 'none', active: '' };
  if (!input.state && !input.fresh) {
    // A known customer's first run, or one whose workflow was ended by hand: pick up the stored profile.
    const restored = await store.restoreCustomer(customerId);
    if (restored) state = leanState(restored);
    mergeInto ??= state.mergedInto;
  }
  // Patched changes, each asked once per run before its first command, so that a replay after a
  // crash or a cache eviction meets their markers where the run recorded them (asked lazily, deep
  // in the send path, one failed to replay after a worker kill: TMPRL1100). A run from before
  // keeps the old behaviour for its whole length.
  // Sends run on their channel's send queue (rate limited there, transactional first).
  const sendQueues = patched('channel-send-queues');
  // Conversion windows (journeys/windows.ts).
  const windowsOn = patched('conversion-windows');
  // Subscription groups (messaging/subscriptions.ts).
  const groupsOn = patched('subscription-groups');
  // A migration that moves the customer writes the profile (its journeys' places), as every other move does.
  const migrationsSaved = patched('migrations-saved');
  upsertSearchValues();
  showSetAside();
  const journeys = () => state.journeys ?? initialJourneys();
  const conversionWindows = () => windowsOn;
  const subscriptionGroups = () => groupsOn;
  const send = (request: SendRequest): Promise<SendOutcome> =>
    (sendQueues ? channelMessaging(request.channel, request.priority) : messaging).sendMessage(request);
  const journeyInput = () => ({ customer: state, journeys: journeys(), policy, rules, now: Date.now(), conversionWindows, subscriptionGroups });

  function upsertSearchValues(): void {
    const now = searchValues(state);
    if (now.stage !== upserted.stage || now.tier !== upserted.tier) {
      upsertSearchAttributes([{ key: LifecycleStageAttribute, value: now.stage }, { key: TierAttribute, value: now.tier }]);
    }
    if (now.active !== upserted.active) upsertSearchAttributes([{ key: ActiveJourneysAttribute, value: journeyIds(state) }]);
    upserted = now;
  }
  /** The Temporal UI's details line names the events set aside, if any. */
  function showSetAside(): void {
    const aside = state.setAside ?? [];
    const last = aside[aside.length - 1];
    if (last) setCurrentDetails(`${aside.length} event${aside.length === 1 ? '' : 's'} set aside, MongoDB refused to store them; the last: ${last.name ?? last.messageId} (${last.reason})`);
  }
  /** The refusal of a write for what it holds (a local activity's failure may come as itself or as an ActivityFailure's cause). */
  const refused = (err: unknown): ApplicationFailure | undefined => {
    const failure = err instanceof ActivityFailure ? err.cause : err;
    return failure instanceof ApplicationFailure && failure.type === writeRefused ? failure : undefined;
  };
  /**
   * A write of a profile that was stored before (sends' records, a merge, time passing): a refusal
   * leaves the state in memory for the next write rather than fail the customer's workflow.
   */
  const saveOrKeep = async (input: Parameters<typeof store.saveCustomer>[0]): Promise<Awaited<ReturnType<typeof store.saveCustomer>>> => {
    try {
      return await store.saveCustomer({ ...input, writtenAt: Date.now() });
    } catch (err) {
      const refusal = refused(err);
      if (!refusal) throw err;
      log.error('profile write refused by MongoDB; kept for the next write', { customerId, reason: refusal.message });
      return {};
    }
  };
  const adoptJourneys = (outcome: JourneyOutcome): void => {
    state = { ...outcome.customer, journeys: outcome.journeys };
  };
  /** The profile as written: published journeys' definitions stay out of the history (restore reads them back). */
  const saved = (): CustomerState => (state.journeys ? { ...state, journeys: withoutPublishedPins(state.journeys) } : state);

  /**
   * Sends what the journeys decided, then writes the profile with their records: once per pass.
   * Nothing decided writes nothing, unless `moved` (customers moved between steps without a command).
   */
  const carry = async (outcome: JourneyOutcome, moved = false): Promise<void> => {
    adoptJourneys(outcome);
    if (outcome.commands.length === 0 && !moved) return;
    const done = await carryOut(outcome.commands, send);
    for (const { channel, journeyId, campaignId, stepId, key } of done.sent) {
      state = withTouch(state, { at: Date.now(), kind: 'sent', channel, ...(journeyId && { journeyId }), ...(campaignId && { campaignId }), ...(stepId && { stepId }), messageKey: key }, rules);
    }
    state = { ...state, revision: state.revision + 1 };
    upsertSearchValues();
    await saveOrKeep({
      state: saved(), events: [], journeyProgress: done.journeyProgress, suppressed: done.suppressed,
    });
  };

  /**
   * One pass over what changed: the lifecycle outcome (events applied, or time passing), the
   * journeys the customer is in reacting to it, one write of all of it that also matches the
   * catalog when something could make the customer enter a journey, then the journeys move.
   */
  const settle = async (outcome: Outcome | undefined, why: { catalog?: boolean; woke?: boolean; events?: boolean } = {}): Promise<void> => {
    const now = Date.now();
    const lifecycle = outcome !== undefined && (outcome.state !== state || outcome.applied.length > 0);
    if (outcome) state = outcome.state;
    const applied = outcome?.applied ?? [];
    let progress: JourneyProgress[] = [];
    if (applied.length > 0) {
      // Applied events already moved the revision: what the journeys did is written with them.
      const reacted = react(journeyInput(), applied);
      progress = journeyProgressOf(reacted.commands);
      adoptJourneys(reacted);
    }
    const changed = { stage: outcome?.stage?.to, tier: outcome?.tier?.to };
    // Segment membership can change with the day, so a customer watched for segments matches at every wake-up.
    const wantsMatch = why.catalog || applied.length > 0 || changed.stage !== undefined || changed.tier !== undefined || triggerDue(journeys(), now)
      || (why.woke && journeys().membership !== undefined);
    const request = wantsMatch
      ? matchRequest(state, journeys(), { changed, timeZone: customerTimeZone(state, policy), maxConcurrent: policy.maxConcurrentJourneys, now, wanted: catalogWanted })
      : undefined;
    let match: MatchResult | undefined;
    if (lifecycle || progress.length > 0) {
      const stageChange = outcome?.stage && { ...outcome.stage, at: now };
      // The save's input has the profile and the events: the match rides beside them without its copies.
      // A batch's own write may be refused (applyBatch sets the event aside); any other keeps its state.
      const save = why.events ? (input: Parameters<typeof store.saveCustomer>[0]) => store.saveCustomer({ ...input, writtenAt: Date.now() }) : saveOrKeep;
      match = (await save({ state: saved(), events: applied, conversions: outcome?.conversions ?? [], stageChange, journeyProgress: progress, ...(request && { match: factsOf(request) }) })).match;
      upsertSearchValues();
    } else if (request) {
      match = await store.matchJourneys(request);
    }
    await carry(enter(journeyInput(), match));
  };

  /**
   * One bad event never stops a customer: a batch whose write MongoDB refuses for what it holds is
   * applied again one event at a time, and an event refused on its own is set aside (never
   * applied; in the timeline with the reason, and on the workflow's details line in the UI).
   * The refused write is the first of the batch, made before any send, so going back is clean.
   */
  async function applyBatch(batch: CustomerEvent[]): Promise<void> {
    const before = state;
    try {
      await settle(bounded((limits) => applyEvents(state, batch, rules, Date.now(), limits, { subscriptionGroups })), { events: true });
    } catch (err) {
      const refusal = refused(err);
      if (!refusal) throw err;
      state = before;
      if (batch.length > 1) {
        for (const e of batch) await applyBatch([e]);
        return;
      }
      const [e] = batch as [CustomerEvent];
      const reason = refusal.message;
      log.warn('event set aside: MongoDB refuses to store it', { customerId, messageId: e.messageId, reason });
      await store.setAsideEvent({ customerId, event: e, reason });
      const setAside = [...(state.setAside ?? []), { messageId: e.messageId, ...(e.name !== undefined && { name: e.name }), reason, at: Date.now() }].slice(-setAsideLimit);
      // Remembered as seen, so that a client's retry of it is dropped rather than refused again.
      state = { ...state, setAside, recentMessageIds: [...state.recentMessageIds, e.messageId].slice(-recentMessageIdLimit), revision: state.revision + 1 };
      showSetAside();
    }
  }

  for (;;) {
    const wakeAt = Math.min(nextWakeAt(state, rules) ?? Infinity, journeysWakeAt(journeys()) ?? Infinity);
    const ready = () => pending.length > 0 || absorbs.length > 0 || migrations.length > 0 || mergeInto !== undefined || runIsFull(signals)
      || catalogWanted > journeys().catalogRevision || campaigns.length > 0;
    const woken = Number.isFinite(wakeAt) ? await condition(ready, Math.max(1, wakeAt - Date.now())) : (await condition(ready), true);
    if (runIsFull(signals)) {
      // Continue as new before any I/O, handing over whatever arrived: a workflow task that writes
      // first would leave new signals time to arrive, and the server refuses to close a run that has
      // unseen signals, so under a steady stream the run would never end.
      await condition(allHandlersFinished);
      await continueAsNew<typeof customerWorkflow>({
        version: 2, customerId, rules, policy, state, catalogRevision: catalogWanted,
        ...(pending.length > 0 && { pending }), ...(absorbs.length > 0 && { absorbs }), ...(migrations.length > 0 && { migrations }),
        ...(campaigns.length > 0 && { campaigns }), ...(mergeInto !== undefined && { mergeInto }),
      });
    }
    // Time passed: the stage may slip; waits end, deferred sends retry, date triggers fire.
    if (!woken) await settle(tick(state, rules, Date.now()), { woke: true });
    // Events waiting are matched with the write below (it asks for the announced revision): no separate look.
    if (catalogWanted > journeys().catalogRevision && pending.length === 0) await settle(undefined, { catalog: true });
    while (migrations.length > 0) {
      const migration = migrations.shift()!;
      const onOld = (j: JourneysState): number => j.enrollments.filter((e) => e.journeyId === migration.journeyId && e.version === migration.fromVersion).length;
      const outcome = onMigration(journeyInput(), migration);
      // A move alone reaches the profile too (its journeys' places), as every other move does.
      await carry(outcome, migrationsSaved && onOld(outcome.journeys) < onOld(journeys()));
    }
    while (campaigns.length > 0) await carry(onCampaign(journeyInput(), campaigns.shift()!));

    while (absorbs.length > 0) {
      const request = absorbs.shift()!;
      const outcome = bounded((limits) => absorb(state, request.from, rules, Date.now(), limits));
      if (outcome.state !== state) {
        if (request.from.journeys) outcome.state.journeys = foldJourneys(journeys(), leanJourneys(request.from.journeys));
        state = outcome.state;
        const stageChange = outcome.stage && { ...outcome.stage, at: Date.now() };
        await saveOrKeep({ state: saved(), events: outcome.applied, adopt: [request.from.customerId, ...request.from.mergedFrom], conversions: outcome.conversions, stageChange });
        upsertSearchValues();
      }
      pending.push(...request.pending);
    }
    if (mergeInto !== undefined) {
      await condition(allHandlersFinished);
      const events = pending.splice(0);
      state = { ...state, mergedInto: mergeInto, revision: state.revision + 1 };
      await profile.handOver({ state, pending: events, survivorId: mergeInto, rules, policy });
      return { mergedInto: mergeInto };
    }
    if (pending.length > 0) await applyBatch(pending.splice(0));

  }
}

/**
 * A lifecycle step within the profile limits. Behind a patch: runs recorded before the limits kept
 * everything, so only a step that would go past them asks (and records the marker).
 */
function bounded<T extends Outcome>(step: (limits?: ProfileLimits) => T): T {
  const unbounded = step();
  return pastLimits(unbounded.state) && patched('profile-limits') ? step(profileLimits) : unbounded;
}

/** A state from an older run or profile, without the catalog it may carry. */
function leanState(s: CustomerState): CustomerState {
  return s.journeys ? { ...s, journeys: leanJourneys(s.journeys) } : s;
}

const journeyIds = (state: CustomerState): string[] => (state.journeys?.enrollments ?? []).map((e) => e.journeyId).filter((id) => !isCampaignJourney(id)).sort();
const searchValues = (state: CustomerState) => ({ stage: state.stage, tier: state.tier ?? 'none', active: journeyIds(state).join(',') });
