// Moves one enrollment through its steps until it must wait. One step type, one case.
import { toMs } from '../duration.js';
import type { CustomerState } from '../lifecycle/state.js';
import { decide } from '../messaging/arbiter.js';
import { inGroup } from '../messaging/subscriptions.js';
import type { SendRequest, SuppressionReason } from '../messaging/types.js';
import { allHold } from './conditions.js';
import { pinKey, type Enrollment } from './state.js';
import { nextLocalTime } from './time.js';
import { defaultGoalWindow, watchAfterLeaving, windowsOn } from './windows.js';
import type { JourneyDefinition, Step } from './types.js';
import type { ExitReason, JourneyCommand, JourneyProgress, StepContext } from './step-context.js';

/** A progress record of an enrollment as it is now. */
export function progress(e: Enrollment, type: JourneyProgress['type'], at: number, reason?: ExitReason): JourneyCommand {
  return {
    type: 'progress',
    record: {
      enrollmentId: e.id, journeyId: e.journeyId, version: e.version, type, steps: e.steps, at,
      ...(type !== 'exited' && { stepId: e.stepId }), ...(e.variant !== undefined && { variant: e.variant }), ...(reason !== undefined && { reason }),
    },
  };
}

const dur = (d: string): number => toMs(d);
/** How long a held-out customer's goal still counts, unless the goal says (the same window as the arms'). */
export const holdoutGoalWindow = defaultGoalWindow;

export function profileView(c: CustomerState): Record<string, unknown> {
  return { stage: c.stage, tier: c.tier, points: c.points, tags: c.tags, traits: c.traits, counters: c.counters, consent: c.consent, scores: c.scores };
}

/** Sticky per customer and journey: the same customer always lands in the same arm. */
function bucket(seed: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) { h ^= seed.charCodeAt(i); h = Math.imul(h, 0x01000193); }
  return (h >>> 0) % 100;
}

export function exit(ctx: StepContext, e: Enrollment, reason: ExitReason): void {
  const j = ctx.journeys;
  watchAfterLeaving(ctx, e, j.pinned[pinKey(e.journeyId, e.version)], reason);
  j.enrollments = j.enrollments.filter((x) => x.id !== e.id);
  const past = j.history[e.journeyId];
  if (past) past.lastExitedAt = ctx.now;
  if (!j.enrollments.some((x) => x.journeyId === e.journeyId && x.version === e.version)) delete j.pinned[pinKey(e.journeyId, e.version)];
  ctx.commands.push(progress(e, 'exited', ctx.now, reason));
}

export function goTo(ctx: StepContext, e: Enrollment, next: string): void {
  e.stepId = next;
  e.steps += 1;
  e.stepSince = ctx.now;
  delete e.wakeAt;
  delete e.expiresAt;
  ctx.commands.push(progress(e, 'step', ctx.now));
}

function base(ctx: StepContext, e: Enrollment, def: JourneyDefinition, step: Extract<Step, { type: 'send' }>) {
  // A broadcast's sends are reported as its campaign's, not as a journey a marketer published.
  const origin = def.campaignId !== undefined ? { campaignId: def.campaignId } : { journeyId: e.journeyId, journeyVersion: e.version, stepId: e.stepId };
  // A transactional group cannot be left: its messages carry no link that would leave it.
  const group = step.group !== undefined && !def.groups?.[step.group]?.transactional ? { group: step.group } : {};
  return {
    key: `${ctx.customer.customerId}:${e.id}:${e.stepId}:${e.steps}`,
    customerId: ctx.customer.customerId, channel: step.channel, template: step.template, priority: step.priority ?? 'marketing',
    ...origin, ...group, requestedAt: new Date(ctx.now).toISOString(), decidedAt: new Date(e.stepSince).toISOString(),
  } as const;
}

function suppress(ctx: StepContext, e: Enrollment, def: JourneyDefinition, step: Extract<Step, { type: 'send' }>, reason: SuppressionReason): void {
  ctx.commands.push({ type: 'suppressed', send: { ...base(ctx, e, def, step), reason } });
}

/**
 * The control group's conversions: watch a held-out customer for the goal for its window, which
 * runs from entering as the arms' does (from being held out in runs before conversion windows).
 */
function watchHoldout(ctx: StepContext, e: Enrollment, goal: NonNullable<JourneyDefinition['goal']>): void {
  const since = e.enteredAt !== ctx.now && windowsOn(ctx) ? e.enteredAt : ctx.now;
  const watch = {
    enrollmentId: e.id, journeyId: e.journeyId, version: e.version, steps: e.steps,
    goal: { event: goal.event, ...(goal.where && { where: goal.where }) }, until: since + dur(goal.within ?? holdoutGoalWindow),
  };
  (ctx.journeys.holdouts ??= []).push(watch);
}

/** Returns false when the enrollment must wait (or has left). */
function runStep(ctx: StepContext, e: Enrollment, def: JourneyDefinition, step: Step): boolean {
  const { now } = ctx;
  switch (step.type) {
    case 'wait':
      e.wakeAt ??= e.stepSince + dur(step.duration);
      if (now < e.wakeAt) return false;
      goTo(ctx, e, step.next);
      return true;
    case 'wait_until':
      e.wakeAt ??= nextLocalTime(e.stepSince, ctx.timeZone, step.time, step.date);
      if (now < e.wakeAt) return false;
      goTo(ctx, e, step.next);
      return true;
    case 'wait_for_event':
      // The event itself moves the customer on (see engine.ts); here only the timeout.
      e.wakeAt ??= e.stepSince + dur(step.timeout);
      if (now < e.wakeAt) return false;
      goTo(ctx, e, step.onTimeout);
      return true;
    case 'branch': {
      const view = { ...profileView(ctx.customer), event: e.context };
      goTo(ctx, e, step.branches.find((b) => allHold(b.when, view))?.next ?? step.otherwise);
      return true;
    }
    case 'split': {
      const roll = bucket(`${ctx.customer.customerId}:${def.id}`);
      let edge = step.holdout ?? 0;
      if (roll < edge) {
        e.variant = 'holdout';
        exit(ctx, e, 'holdout');
        if (ctx.watchHoldouts && def.goal) watchHoldout(ctx, e, def.goal);
        return false;
      }
      const variant = step.variants.find((v) => roll < (edge += v.weight)) ?? step.variants[step.variants.length - 1]!;
      e.variant = variant.name;
      goTo(ctx, e, variant.next);
      return true;
    }
    case 'send': {
      if (step.onlyIfEngagedWith && !e.sent[step.onlyIfEngagedWith]?.engaged) {
        suppress(ctx, e, def, step, 'no_reaction');
        exit(ctx, e, 'no_reaction');
        return false;
      }
      if (step.expiresAfter) e.expiresAt ??= e.stepSince + dur(step.expiresAfter);
      const grouped = step.group !== undefined && ctx.subscriptionGroups?.() === true;
      const decision = decide({
        channel: step.channel, priority: step.priority ?? 'marketing', consent: ctx.customer.consent,
        sendLog: ctx.journeys.sendLog, timeZone: ctx.timeZone, now, ...(e.expiresAt !== undefined && { expiresAt: e.expiresAt }),
        ...(grouped && { inGroup: inGroup(ctx.customer.subscriptions, step.group!, def.groups?.[step.group!]) }),
      }, ctx.policy);
      if (decision.action === 'defer') { e.wakeAt = decision.until; return false; }
      if (decision.action === 'suppress') {
        suppress(ctx, e, def, step, decision.reason);
      } else {
        const request: SendRequest = { ...base(ctx, e, def, step), variables: { profile: profileView(ctx.customer), event: e.context, variant: e.variant } };
        ctx.commands.push({ type: 'send', request });
        ctx.journeys.sendLog.push({ at: now, channel: step.channel, priority: request.priority });
        e.sent[e.stepId] = { key: request.key, engaged: false };
      }
      goTo(ctx, e, step.next);
      return true;
    }
    case 'update_profile': {
      // A changed copy: the profile a pass is given shares its parts with the state before it.
      const c = { ...ctx.customer };
      for (const t of step.addTags ?? []) if (!c.tags.includes(t)) c.tags = [...c.tags, t];
      if (step.removeTags) c.tags = c.tags.filter((t) => !step.removeTags!.includes(t));
      if (step.points) c.points = Math.max(0, c.points + step.points);
      if (step.traits) c.traits = { ...c.traits, ...step.traits };
      ctx.customer = c;
      goTo(ctx, e, step.next);
      return true;
    }
    case 'exit':
      exit(ctx, e, 'completed');
      return false;
  }
}

/** Runs every enrollment as far as it can go now. Paused journeys on hold do not move. */
export function advanceAll(ctx: StepContext): void {
  for (const e of [...ctx.journeys.enrollments]) {
    const def = ctx.journeys.pinned[pinKey(e.journeyId, e.version)];
    if (!def) { exit(ctx, e, 'archived'); continue; }
    if (ctx.isPaused(e.journeyId)) continue;
    // A bound on steps per pass: validation forbids loops without a wait, this guards the rest.
    for (let i = 0; i < 100; i++) {
      const step = def.steps[e.stepId];
      if (!step) { exit(ctx, e, 'completed'); break; }
      if (!runStep(ctx, e, def, step)) break;
    }
  }
}
