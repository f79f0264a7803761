// Frozen: the journey engine of runs started before lean workflows, which carried the whole
// catalog in every customer's state. Kept only so those runs (and their stored histories) replay;
// each moves to the lean engine (../journeys/engine.ts) at its next continueAsNew.
import type { CustomerEvent } from '../lifecycle/event.js';
import type { LifecycleRules } from '../lifecycle/rules.js';
import type { CustomerState } from '../lifecycle/state.js';
import { pruneSendLog, type MessagingPolicy } from '../messaging/arbiter.js';
import type { CampaignBroadcast, JourneyMigration } from '../customer-contract.js';
import { enterCampaign } from '../campaigns/journey.js';
import { pinKey, type LegacyJourneysState } from '../journeys/state.js';
import { advanceAll, exit } from '../journeys/steps.js';
import { type JourneyCommand, type StepContext } from '../journeys/step-context.js';
import { customerTimeZone, foldJourneys, keepHoldouts, migrate, reactToEvent } from '../journeys/engine.js';
import { baselineSegments, enrollOnChange, enrollOnEvent, runSegments, runTimers, type EnrollContext } from '../journeys/triggers.js';
import type { JourneyCatalog } from '../journeys/types.js';

export interface JourneyInput {
  customer: CustomerState;
  journeys: LegacyJourneysState;
  policy: MessagingPolicy;
  rules: LifecycleRules;
  now: number;
  /** Watch held-out customers for the goal (see `StepContext.watchHoldouts`). */
  watchHoldouts?: boolean;
}

export interface JourneyOutcome {
  customer: CustomerState;
  journeys: LegacyJourneysState;
  commands: JourneyCommand[];
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

type LegacyContext = StepContext & { journeys: LegacyJourneysState };

const enrollContext = (ctx: LegacyContext): EnrollContext => ({
  customer: ctx.customer, journeys: ctx.journeys, catalog: ctx.journeys.catalog, segments: ctx.journeys.segments ?? [],
  maxConcurrent: ctx.policy.maxConcurrentJourneys, now: ctx.now, commands: ctx.commands,
});

function run(input: JourneyInput, act: (ctx: LegacyContext) => void, events: CustomerEvent[] = []): JourneyOutcome {
  const customer = clone(input.customer);
  const journeys = clone(input.journeys);
  const timeZone = customerTimeZone(customer, input.policy);
  const ctx: LegacyContext = {
    customer, journeys, policy: input.policy, rules: input.rules, timeZone, now: input.now, commands: [], ...(input.watchHoldouts && { watchHoldouts: true }),
    isPaused: (id) => journeys.catalog.find((c) => c.definition.id === id)?.status === 'paused',
  };
  if (journeys.holdouts) keepHoldouts(journeys, (w) => w.until >= input.now);
  act(ctx);
  const enroll = enrollContext(ctx);
  runSegments(enroll, events);
  runTimers(enroll, timeZone);
  advanceAll(ctx);
  journeys.sendLog = pruneSendLog(journeys.sendLog, input.policy, input.now);
  return { customer, journeys, commands: ctx.commands };
}

/** Events (already applied to the profile) and the stage/tier changes they caused. */
export function onEvents(input: JourneyInput, events: CustomerEvent[], changed: { stage?: string; tier?: string }): JourneyOutcome {
  return run(input, (ctx) => {
    const enroll = enrollContext(ctx);
    for (const event of events) {
      reactToEvent(ctx, event);
      enrollOnEvent(enroll, event);
    }
    if (changed.stage || changed.tier) enrollOnChange(enroll, changed.stage, changed.tier);
  }, events);
}

/** A timer fired: waits end, deferred sends retry, date and inactivity triggers fire. */
export function onTime(input: JourneyInput): JourneyOutcome {
  return run(input, () => undefined);
}

/** The journeys changed (published, paused, resumed, archived). */
export function onCatalog(input: JourneyInput, catalog: JourneyCatalog): JourneyOutcome {
  return run(input, (ctx) => {
    ctx.journeys.catalog = catalog.journeys;
    ctx.journeys.catalogRevision = catalog.revision;
    ctx.journeys.segments = catalog.segments ?? [];
    baselineSegments(enrollContext(ctx));
    for (const e of [...ctx.journeys.enrollments]) {
      // Broadcasts are never in the catalog: their customers finish the send.
      if (ctx.journeys.pinned[pinKey(e.journeyId, e.version)]?.campaignId !== undefined) continue;
      const entry = catalog.journeys.find((c) => c.definition.id === e.journeyId);
      if (!entry) exit(ctx, e, 'archived');
      else if (entry.status === 'paused' && entry.definition.onPause === 'exit') exit(ctx, e, 'paused');
    }
  });
}

/** A broadcast reached the customer: enter its one send, whatever the catalog says, once per occurrence. */
export function onCampaign(input: JourneyInput, delivery: CampaignBroadcast): JourneyOutcome {
  return run(input, (ctx) => enterCampaign(ctx.journeys, delivery, ctx.now));
}

/** Moves customers on `fromVersion` to the new version at the mapped step; unmapped steps stay. */
export function onMigration(input: JourneyInput, m: JourneyMigration): JourneyOutcome {
  return run(input, (ctx) => migrate(ctx.journeys, m));
}

/** The same fold as lean runs': a pre-lean state has no `paused` list to carry. */
export { foldJourneys };

export function journeysWakeAt(j: LegacyJourneysState): number | undefined {
  const times = [
    ...j.enrollments.filter((e) => j.catalog.find((c) => c.definition.id === e.journeyId)?.status !== 'paused').map((e) => e.wakeAt),
    ...Object.values(j.timers).filter((t) => !t.fired).map((t) => t.at),
  ].filter((t): t is number => t !== undefined && Number.isFinite(t));
  return times.length ? Math.min(...times) : undefined;
}

export function initialJourneys(): LegacyJourneysState {
  return { catalogRevision: 0, catalog: [], pinned: {}, enrollments: [], history: {}, seq: 0, sendLog: [], timers: {} };
}
