// The journey contract (workflows/journeys/types.ts) as zod schemas: what the API accepts as a
// draft. Shapes and formats only; what needs the whole journey (references, loops, exits,
// templates, limits) is checked at publish by validate.ts.
import { z } from 'zod';
import type * as J from '../../workflows/journeys/types.js';
import type * as S from '../../workflows/segments/types.js';
import type { JourneyDraft as StoredDraft } from '../../store/journey-models.js';
import { channels } from '../../workflows/messaging/types.js';
import { stages } from '../../workflows/lifecycle/rules.js';
import { isCalendarDate, isMonthDay, isTimeOfDay } from './formats.js';
import { durationMs } from '../../workflows/duration.js';
import { GroupId, GroupRule } from '../subscriptions/schema.js';

/** Step ids become MongoDB keys and error paths (`steps.remind.next`): no dots, no `$`. */
export const StepId = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'a step id: a letter, then letters, digits, _ or -, at most 64');
export const JourneyId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a journey id: lower-case letters, digits, _ or -, at most 64')
  .meta({ examples: ['welcome'] });
const Name = z.string().trim().min(1).max(200);
const EventName = z.string().min(1).max(200);
const StepRef = z.string().min(1).max(64);
const Duration = z.string().refine((v) => durationMs(v) !== undefined, 'not a duration such as "3 days", "12 hours" or "30m"');
const TimeOfDay = z.string().refine(isTimeOfDay, 'not a time of day HH:MM, e.g. 09:30');
const MonthDay = z.string().refine(isMonthDay, 'not a date MM-DD, e.g. 11-11');
const CalendarDate = z.string().refine(isCalendarDate, 'not a date YYYY-MM-DD');
const TraitKey = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, 'a trait name: letters, digits, _ or -');
const Channel = z.enum(channels, { error: `unknown channel; one of ${channels.join(', ')}` });
const Scalar = z.union([z.string().max(500), z.number(), z.boolean()]);

export const Condition = z.strictObject({
  field: z.string().min(1).max(200),
  op: z.enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'exists']),
  value: z.union([Scalar, z.array(z.union([z.string().max(500), z.number()])).max(500)]).optional(),
}).superRefine((c, ctx) => {
  const problem = c.op === 'exists' ? (c.value !== undefined && typeof c.value !== 'boolean' ? 'exists takes true, false or nothing' : undefined)
    : c.op === 'in' ? (!Array.isArray(c.value) ? 'in takes a list of values' : undefined)
      : c.value === undefined || Array.isArray(c.value) ? `${c.op} takes one value` : undefined;
  if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: problem });
}).meta({ id: 'Condition' });
const Conditions = z.array(Condition).max(20);

export const Trigger = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('event'), event: EventName, where: Conditions.optional() }),
  z.strictObject({ type: z.literal('stage'), to: z.enum(stages) }),
  z.strictObject({ type: z.literal('tier'), to: z.string().min(1).max(100) }),
  z.strictObject({ type: z.literal('date_attribute'), trait: TraitKey, time: TimeOfDay.optional() }),
  z.strictObject({ type: z.literal('fixed_date'), date: MonthDay, time: TimeOfDay.optional() }),
  z.strictObject({ type: z.literal('inactivity'), days: z.number().int().min(1).max(3650) }),
  z.strictObject({ type: z.literal('segment'), segment: z.string().min(1).max(100) }),
]).meta({ id: 'Trigger' });

export const Step = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('wait'), duration: Duration, next: StepRef }),
  z.strictObject({ type: z.literal('wait_until'), time: TimeOfDay, date: CalendarDate.optional(), next: StepRef }),
  z.strictObject({
    type: z.literal('wait_for_event'), event: EventName, where: Conditions.optional(), timeout: Duration, onEvent: StepRef, onTimeout: StepRef,
  }),
  z.strictObject({
    type: z.literal('branch'), branches: z.array(z.strictObject({ when: Conditions.min(1), next: StepRef })).min(1).max(20), otherwise: StepRef,
  }),
  z.strictObject({
    type: z.literal('split'),
    variants: z.array(z.strictObject({ name: z.string().min(1).max(64), weight: z.number().min(0).max(100), next: StepRef })).min(1).max(20),
    holdout: z.number().min(0).max(100).optional(),
  }),
  z.strictObject({
    type: z.literal('send'), channel: Channel, template: z.string().min(1).max(200), priority: z.enum(['transactional', 'marketing']).optional(),
    next: StepRef, onlyIfEngagedWith: StepRef.optional(), expiresAfter: Duration.optional(),
    group: GroupId.optional().meta({ description: 'a subscription group of this channel: customers out of it are not sent to (suppressed `unsubscribed_group`)' }),
  }),
  z.strictObject({
    type: z.literal('update_profile'), addTags: z.array(z.string().min(1).max(100)).max(50).optional(), removeTags: z.array(z.string().min(1).max(100)).max(50).optional(),
    points: z.number().int().optional(), traits: z.record(TraitKey, Scalar).optional(), next: StepRef,
  }),
  z.strictObject({ type: z.literal('exit') }),
]).meta({ id: 'Step' });

const EventFilter = z.strictObject({ event: EventName, where: Conditions.optional() });
const Goal = EventFilter.extend({
  within: Duration.optional().meta({ description: 'the conversion window: the goal reached this long after entering counts as the journey\'s conversion, even after the customer left (and for customers a split holds out); default "30 days"' }),
});

const draftExample = {
  name: 'New member: welcome', trigger: { type: 'event', event: 'Signed Up' }, entry: 'hello',
  steps: { hello: { type: 'send', channel: 'sms', template: 'welcome', next: 'done' }, done: { type: 'exit' } },
};

/** A journey as the marketer edits it: the definition without id and version (publish adds them). */
export const JourneyDraft = z.strictObject({
  name: Name,
  trigger: Trigger,
  entry: StepRef,
  steps: z.record(StepId, Step).refine((s) => Object.keys(s).length <= 200, 'at most 200 steps'),
  goal: Goal.optional(),
  exitOn: z.array(EventFilter).max(20).optional(),
  reentry: z.strictObject({ mode: z.enum(['never', 'always', 'cooldown']), cooldown: Duration.optional() }).default({ mode: 'never' }),
  onPause: z.enum(['hold', 'exit']).default('hold'),
}).meta({ id: 'JourneyDraft', examples: [draftExample] });
export type JourneyDraft = StoredDraft;

export const CreateJourney = JourneyDraft.extend({ id: JourneyId.optional().meta({ description: 'chosen by the server when absent' }) })
  .meta({ id: 'CreateJourney', examples: [{ id: 'welcome', ...draftExample }] });

export const PauseRequest = z.strictObject({ onPause: z.enum(['hold', 'exit']).optional() });

export const MigrationRequest = z.strictObject({
  fromVersion: z.number().int().min(1),
  toVersion: z.number().int().min(1),
  /** Old step id → new step id. */
  steps: z.record(StepId, StepId).refine((s) => Object.keys(s).length > 0, 'map at least one old step to a new step'),
}).refine((m) => m.fromVersion !== m.toVersion, { path: ['toVersion'], message: 'must differ from fromVersion' })
  .meta({ id: 'MigrationRequest', examples: [{ fromVersion: 1, toVersion: 2, steps: { hello: 'hello' } }] });
export type MigrationRequest = z.output<typeof MigrationRequest>;

// What the API answers: journeys as stored, with dates as ISO 8601 strings.
export const JourneyStatus = z.enum(['draft', 'active', 'paused', 'archived']);
/** A published version as customers on it run it: the draft as it was, with its id and version. */
export const JourneyDefinition = JourneyDraft.extend({
  id: JourneyId, version: z.number().int().min(1),
  groups: z.record(GroupId, GroupRule).optional().meta({ description: 'the subscription groups its sends name, as they were at publish' }),
}).meta({ id: 'JourneyDefinition' });
const journeyFields = {
  id: JourneyId,
  name: z.string(),
  status: JourneyStatus,
  latestVersion: z.number().int().min(0).meta({ description: '0 until the first publish' }),
  onPause: z.enum(['hold', 'exit']).meta({ description: 'what pausing means for customers inside' }),
  createdAt: z.date(),
  updatedAt: z.date(),
  publishedAt: z.date().optional(),
};
const versionFields = { version: z.number().int().min(1), publishedAt: z.date() };
export const JourneySummary = z.object(journeyFields).meta({ id: 'JourneySummary' });
export const Journey = z.object({ ...journeyFields, draft: JourneyDraft }).meta({ id: 'Journey' });
export const JourneyDetail = z.object({ ...journeyFields, draft: JourneyDraft, versions: z.array(z.object(versionFields)) }).meta({ id: 'JourneyDetail' });
export const JourneyList = z.object({ items: z.array(JourneySummary) }).meta({ id: 'JourneyList' });
export const JourneyRemoval = z.union([
  z.object({ id: JourneyId, deleted: z.literal(true) }).meta({ description: 'a draft never published: deleted' }),
  z.object({ ...journeyFields, draft: JourneyDraft, deleted: z.literal(false) }).meta({ description: 'anything else: archived' }),
]).meta({ id: 'JourneyRemoval' });
export const PublishedVersion = z.object({ ...versionFields, definition: JourneyDefinition }).meta({ id: 'PublishedVersion' });
export const Publication = z.object({
  ...versionFields, definition: JourneyDefinition, created: z.boolean().meta({ description: 'false when the draft was the latest version already' }),
}).meta({ id: 'Publication' });
export const Migration = z.object({ customers: z.number().int().min(0).meta({ description: 'customers signalled to move' }) }).meta({ id: 'Migration' });

// The schemas mirror the contract exactly: each output type and its contract type accept each other.
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _mirrorsContract: [
  Exactly<z.output<typeof Condition>, S.Condition>,
  Exactly<z.output<typeof Trigger>, J.Trigger>,
  Exactly<z.output<typeof Step>, J.Step>,
  Exactly<z.output<typeof JourneyDraft>, JourneyDraft>,
] = [true, true, true, true];
