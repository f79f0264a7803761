// The per-customer workflow shell: feeds signals and timers into the pure lifecycle core and
// carries out what it decides (profile writes, search attributes, hand-over on merge).
import {
  allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { absorb, applyEvents, nextWakeAt, tick, type Outcome } from './lifecycle/apply.js';
import type { CustomerEvent } from './lifecycle/event.js';
import { initialState, type CustomerState } from './lifecycle/state.js';
import {
  absorbSignal, eventsSignal, mergeIntoSignal, stateQuery,
  type AbsorbRequest, type CustomerWorkflowInput, type CustomerWorkflowResult,
} from './messages.js';
import { CustomerIdAttribute, LifecycleStageAttribute, TierAttribute } from './search-attributes.js';

type Activities = ReturnType<typeof createActivities>;

// Profile writes wait out a MongoDB outage (retries never stop) rather than lose an event.
const profile = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * A run continues as new past these bounds (or when the server suggests it): well under the
 * server's 10,000 signals and 51,200 events, and short enough that a replay after cache eviction
 * stays cheap.
 */
const maxSignalsPerRun = 500;
const maxHistoryPerRun = 2000;

export async function customerWorkflow(input: CustomerWorkflowInput): Promise<CustomerWorkflowResult> {
  const { customerId, rules } = input;
  const pending: CustomerEvent[] = [...(input.pending ?? [])];
  const absorbs: AbsorbRequest[] = [...(input.absorbs ?? [])];
  let mergeInto = input.mergeInto;
  let signals = 0;

  setHandler(eventsSignal, (events) => { pending.push(...events); signals += 1; });
  setHandler(absorbSignal, (request) => { absorbs.push(request); signals += 1; });
  setHandler(mergeIntoSignal, (survivorId) => { mergeInto ??= survivorId; signals += 1; });

  let state: CustomerState = input.state ?? initialState(customerId);
  setHandler(stateQuery, () => state);
  if (!input.state) {
    // A first run, or a customer whose workflow was ended by hand: pick up the stored profile.
    state = (await profile.restoreCustomer(customerId)) ?? state;
    mergeInto ??= state.mergedInto;
    upsertSearchAttributes([{ key: CustomerIdAttribute, value: customerId }]);
    publish(state);
  }

  const commit = async (outcome: Outcome, adopt?: string[]): Promise<void> => {
    if (outcome.state === state && outcome.applied.length === 0) return;
    state = outcome.state;
    await profile.saveCustomer({ state, events: outcome.applied, adopt });
    if (outcome.stage || outcome.tier) publish(state);
  };

  for (;;) {
    const wakeAt = nextWakeAt(state, rules);
    const woken = await condition(
      () => pending.length > 0 || absorbs.length > 0 || mergeInto !== undefined || runIsFull(signals),
      wakeAt === undefined ? undefined : Math.max(1, wakeAt - Date.now()),
    );
    if (!woken) await commit(tick(state, rules, Date.now()));

    while (absorbs.length > 0) {
      const request = absorbs.shift()!;
      await commit(absorb(state, request.from, rules, Date.now()), [request.from.customerId, ...request.from.mergedFrom]);
      pending.push(...request.pending);
    }
    if (mergeInto !== undefined) {
      await condition(allHandlersFinished);
      const events = pending.splice(0);
      state = { ...state, mergedInto: mergeInto, revision: state.revision + 1 };
      await profile.handOver({ state, pending: events, survivorId: mergeInto, rules });
      return { mergedInto: mergeInto };
    }
    if (pending.length > 0) await commit(applyEvents(state, pending.splice(0), rules, Date.now()));

    if (runIsFull(signals)) {
      await condition(allHandlersFinished);
      if (pending.length > 0 || absorbs.length > 0 || mergeInto !== undefined) continue;
      await continueAsNew<typeof customerWorkflow>({ customerId, rules, state });
    }
  }
}

function runIsFull(signals: number): boolean {
  const info = workflowInfo();
  return signals >= maxSignalsPerRun || info.historyLength >= maxHistoryPerRun || info.continueAsNewSuggested;
}

function publish(state: CustomerState): void {
  upsertSearchAttributes([
    { key: LifecycleStageAttribute, value: state.stage },
    { key: TierAttribute, value: state.tier ?? 'none' },
  ]);
}
