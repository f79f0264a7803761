// Publish-time validation: everything a journey must satisfy before customers can enter it, each
// problem naming the step (`steps.remind.next: unknown step "remnd"`).
import type { z } from 'zod';
import type { Channel, GroupRule } from '../../workflows/messaging/types.js';
import { zodDetails, type ErrorDetail } from '../errors.js';
import { dayMs, maxWaitDays, waitBoundsMs } from './formats.js';
import { durationMs } from '../../workflows/duration.js';
import { edges, leadingToExit, loopsWithoutWait, reachable, type Steps } from './graph.js';
import { JourneyDraft } from './schema.js';

export interface TemplateChecks {
  /** Whether a template with this id exists for this channel. */
  templateExists(id: string, channel: Channel): Promise<boolean>;
  /** What is wrong with an existing template (syntax, unknown filters), relative to the template. */
  templateErrors?(id: string, channel: Channel): Promise<ErrorDetail[]>;
  /** The rule of a subscription group a send names, or why it cannot name it (unknown, archived, another channel). */
  ruleFor?(id: string, channel: Channel): Promise<GroupRule | string>;
}

export interface ValidationOptions extends TemplateChecks {
  /** Whether a segment with this id exists (a segment trigger must name one). */
  segmentExists?(id: string): Promise<boolean>;
  /** For dated waits; defaults to the current time. */
  now?: Date;
}

/** Every problem that stops `draft` from being published; empty when it may be. */
export async function validateJourney(draft: unknown, options: ValidationOptions): Promise<ErrorDetail[]> {
  const parsed = JourneyDraft.safeParse(draft);
  if (!parsed.success) return zodDetails(parsed.error);
  const journey = parsed.data;
  return [
    ...references(journey.entry, journey.steps),
    ...shape(journey.entry, journey.steps),
    ...limits(journey, options.now ?? new Date()),
    ...splits(journey.steps),
    ...reentry(journey.reentry),
    ...await templates(journey.steps, options),
    ...await groups(journey.steps, options),
    ...await segmentTrigger(journey.trigger, options),
  ];
}

async function segmentTrigger(trigger: z.infer<typeof JourneyDraft>['trigger'], options: ValidationOptions): Promise<ErrorDetail[]> {
  if (trigger.type !== 'segment' || !options.segmentExists || await options.segmentExists(trigger.segment)) return [];
  return [{ field: 'trigger.segment', message: `no segment "${trigger.segment}"` }];
}

/** The rules of the groups the draft's sends name (each send's group checked by `validateJourney`). */
export async function groupRules(steps: Steps, checks: TemplateChecks): Promise<Record<string, GroupRule>> {
  const rules: Record<string, GroupRule> = {};
  for (const step of Object.values(steps)) {
    if (step.type !== 'send' || step.group === undefined || !checks.ruleFor) continue;
    const rule = await checks.ruleFor(step.group, step.channel);
    if (typeof rule !== 'string') rules[step.group] = rule;
  }
  return rules;
}

async function groups(steps: Steps, checks: TemplateChecks): Promise<ErrorDetail[]> {
  if (!checks.ruleFor) return [];
  const details: ErrorDetail[] = [];
  for (const [id, step] of Object.entries(steps)) {
    if (step.type !== 'send' || step.group === undefined) continue;
    const rule = await checks.ruleFor(step.group, step.channel);
    if (typeof rule === 'string') details.push({ field: `steps.${id}.group`, message: rule });
  }
  return details;
}

const unknownStep = (id: string): string => `unknown step "${id}"`;

function references(entry: string, steps: Steps): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  if (!(entry in steps)) details.push({ field: 'entry', message: unknownStep(entry) });
  for (const [id, step] of Object.entries(steps)) {
    for (const e of edges(step)) if (!(e.to in steps)) details.push({ field: `steps.${id}.${e.field}`, message: unknownStep(e.to) });
    if (step.type !== 'send' || step.onlyIfEngagedWith === undefined) continue;
    const field = `steps.${id}.onlyIfEngagedWith`;
    const earlier = step.onlyIfEngagedWith;
    const target = steps[earlier];
    if (!target) details.push({ field, message: unknownStep(earlier) });
    else if (target.type !== 'send') details.push({ field, message: `step "${earlier}" is a ${target.type} step, not a send step` });
    else if (earlier === id || (entry in steps && reachable(steps, entry, earlier).has(id))) {
      details.push({ field, message: `step "${earlier}" does not come before this step on every path from the entry` });
    }
  }
  return details;
}

/** Unreachable steps, loops that never wait, and journeys or paths with no way out. */
function shape(entry: string, steps: Steps): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const loop of loopsWithoutWait(steps)) {
    details.push({ field: `steps.${loop[0]}`, message: `loops without a wait: ${loop.join(' → ')}` });
  }
  if (!(entry in steps)) return details;
  const live = reachable(steps, entry);
  // Until every reference is known, where paths lead is a guess: those errors come first.
  if ([...live].some((id) => edges(steps[id]!).some((e) => !(e.to in steps)))) return details;
  for (const id of Object.keys(steps)) if (!live.has(id)) details.push({ field: `steps.${id}`, message: 'unreachable: no path from the entry step leads here' });
  if (![...live].some((id) => steps[id]!.type === 'exit')) {
    details.push({ field: 'steps', message: 'no exit step is reachable from the entry step' });
    return details;
  }
  const exits = leadingToExit(steps);
  for (const id of live) if (!exits.has(id)) details.push({ field: `steps.${id}`, message: 'no path from this step reaches an exit step' });
  return details;
}

function limits(journey: JourneyDraft, now: Date): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const bounded = (field: string, value: string | undefined) => {
    if (value === undefined) return;
    const n = durationMs(value);
    if (n === undefined || n < waitBoundsMs.min || n > waitBoundsMs.max) details.push({ field, message: `"${value}" is outside 1 minute to ${maxWaitDays} days` });
  };
  for (const [id, step] of Object.entries(journey.steps)) {
    if (step.type === 'wait') bounded(`steps.${id}.duration`, step.duration);
    if (step.type === 'wait_for_event') bounded(`steps.${id}.timeout`, step.timeout);
    if (step.type === 'send') bounded(`steps.${id}.expiresAfter`, step.expiresAfter);
    if (step.type === 'wait_until' && step.date !== undefined) {
      // A day's slack either side: the customer's time zone decides which day "today" is.
      const at = Date.parse(`${step.date}T00:00:00Z`);
      if (at < now.getTime() - 2 * dayMs) details.push({ field: `steps.${id}.date`, message: `${step.date} is in the past` });
      else if (at > now.getTime() + (maxWaitDays + 1) * dayMs) details.push({ field: `steps.${id}.date`, message: `${step.date} is more than ${maxWaitDays} days away` });
    }
  }
  bounded('reentry.cooldown', journey.reentry.cooldown);
  bounded('goal.within', journey.goal?.within);
  return details;
}

function splits(steps: Steps): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const [id, step] of Object.entries(steps)) {
    if (step.type !== 'split') continue;
    const total = step.variants.reduce((sum, v) => sum + v.weight, step.holdout ?? 0);
    if (Math.abs(total - 100) > 1e-9) details.push({ field: `steps.${id}.variants`, message: `weights and holdout add up to ${total}, not 100` });
    const seen = new Set<string>();
    step.variants.forEach((v, i) => {
      if (seen.has(v.name)) details.push({ field: `steps.${id}.variants.${i}.name`, message: `variant "${v.name}" is named twice` });
      seen.add(v.name);
    });
  }
  return details;
}

function reentry(rule: JourneyDraft['reentry']): ErrorDetail[] {
  if (rule.mode === 'cooldown' && rule.cooldown === undefined) return [{ field: 'reentry.cooldown', message: 'required when mode is "cooldown"' }];
  if (rule.mode !== 'cooldown' && rule.cooldown !== undefined) return [{ field: 'reentry.cooldown', message: `only allowed when mode is "cooldown", not "${rule.mode}"` }];
  return [];
}

async function templates(steps: Steps, checks: TemplateChecks): Promise<ErrorDetail[]> {
  const sends = Object.entries(steps).flatMap(([id, s]) => (s.type === 'send' ? [{ id, channel: s.channel, template: s.template }] : []));
  const verdicts = new Map<string, Promise<string[]>>();
  const verdict = (template: string, channel: Channel): Promise<string[]> => {
    const key = `${channel}\u0000${template}`;
    if (!verdicts.has(key)) {
      verdicts.set(key, (async () => {
        if (!await checks.templateExists(template, channel)) return [`no ${channel} template "${template}"`];
        const errors = (await checks.templateErrors?.(template, channel)) ?? [];
        return errors.map((e) => `template "${template}" ${e.field}: ${e.message}`);
      })());
    }
    return verdicts.get(key)!;
  };
  const results = await Promise.all(sends.map(async (s) => ({ ...s, messages: await verdict(s.template, s.channel) })));
  return results.flatMap((r) => r.messages.map((message) => ({ field: `steps.${r.id}.template`, message })));
}
