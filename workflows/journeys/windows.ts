// Conversion windows, as Braze and Customer.io read a funnel: a journey's goal reached within
// `goal.within` (default 30 days) of entering is the journey's conversion, whether the customer is
// still inside (the goal also ends the journey: "exited on goal") or had already left (no reaction,
// exit criteria, end of steps, a pause or archive, a migration to another goal). A customer who
// left keeps one small watch per journey, dropped when its window closes: never the catalog, so
// an event costs the same however many journeys are published.
import { toMs } from '../duration.js';
import type { CustomerEvent } from '../lifecycle/event.js';
import { allHold } from './conditions.js';
import type { ConversionWatch, Enrollment, JourneysState } from './state.js';
import type { ExitReason, StepContext } from './step-context.js';
import type { JourneyDefinition } from './types.js';
import type { Condition } from '../segments/types.js';

/** How long after entering a goal still counts, unless the goal says. */
export const defaultGoalWindow = '30 days';
/** Bounds a customer's watches whatever the journeys do (the oldest go first). */
export const maxConversionWatches = 50;

type Goal = NonNullable<JourneyDefinition['goal']>;
type Matcher = { event: string; where?: Condition[] };

export const goalWindowMs = (goal: Goal): number => toMs(goal.within ?? defaultGoalWindow);
/** When an enrollment's conversion window closes (epoch ms). */
export const windowClosesAt = (e: Pick<Enrollment, 'enteredAt'>, goal: Goal): number => e.enteredAt + goalWindowMs(goal);
const matches = (m: Matcher, event: CustomerEvent): boolean => m.event === event.name && allHold(m.where, event.properties);
const sameGoal = (a: Matcher, b: Matcher | undefined): boolean => b !== undefined && a.event === b.event && JSON.stringify(a.where ?? []) === JSON.stringify(b.where ?? []);

/**
 * Does this run record conversion windows? A patched workflow change (`conversion-windows`, see
 * customer.ts), asked only where the answer changes what happens; off for the frozen engine.
 */
export const windowsOn = (ctx: StepContext): boolean => ctx.conversionWindows?.() ?? false;

function recordConversion(ctx: StepContext, w: Pick<ConversionWatch, 'enrollmentId' | 'journeyId' | 'version' | 'steps' | 'variant'>): void {
  const { enrollmentId, journeyId, version, steps, variant } = w;
  ctx.commands.push({ type: 'progress', record: { enrollmentId, journeyId, version, type: 'converted', steps, ...(variant !== undefined && { variant }), at: ctx.now } });
}

/** The customer reached the goal inside the journey: within the window, that is also its conversion. */
export function convertOnGoal(ctx: StepContext, e: Enrollment, goal: Goal): void {
  if (ctx.now <= windowClosesAt(e, goal) && windowsOn(ctx)) recordConversion(ctx, { enrollmentId: e.id, journeyId: e.journeyId, version: e.version, steps: e.steps, variant: e.variant });
}

/** Keeps the watches that pass `keep`; never leaves an empty list in the state. */
export function keepWindows(j: JourneysState, keep: (w: ConversionWatch) => boolean): void {
  const left = (j.windows ?? []).filter(keep);
  if (left.length > 0) j.windows = left.slice(-maxConversionWatches);
  else delete j.windows;
}

/** Watches a customer leaving `def` other than on its goal, while the window from entering is open. */
export function watchAfterLeaving(ctx: StepContext, e: Enrollment, def: JourneyDefinition | undefined, reason: ExitReason | 'migrated'): void {
  if (reason === 'goal' || reason === 'holdout' || !def?.goal) return;
  const until = windowClosesAt(e, def.goal);
  if (ctx.now > until || !windowsOn(ctx)) return;
  const { event, where } = def.goal;
  const watch: ConversionWatch = {
    enrollmentId: e.id, journeyId: e.journeyId, version: e.version, steps: e.steps, ...(e.variant !== undefined && { variant: e.variant }),
    goal: { event, ...(where && { where }) }, until,
  };
  // One per journey: a later enrollment's window replaces an earlier one's.
  ctx.journeys.windows = [...(ctx.journeys.windows ?? []).filter((w) => w.journeyId !== e.journeyId), watch].slice(-maxConversionWatches);
}

/** A migration moved these enrollments to a version with another goal (or none): the goal they entered for is still watched. */
export function watchMigrated(ctx: StepContext, moved: { e: Enrollment; from: JourneyDefinition | undefined; to: JourneyDefinition }[]): void {
  for (const { e, from, to } of moved) {
    if (from?.goal && !sameGoal(from.goal, to.goal)) watchAfterLeaving(ctx, { ...e, version: from.version }, from, 'migrated');
  }
}

/** A customer who had left reached the goal within the window: one conversion per watch, then the watch ends. */
export function convertWindows(ctx: StepContext, event: CustomerEvent): void {
  if (!ctx.journeys.windows) return;
  keepWindows(ctx.journeys, (w) => {
    if (ctx.now > w.until) return false;
    if (!matches(w.goal, event)) return true;
    recordConversion(ctx, w);
    return false;
  });
}
