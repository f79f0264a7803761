// The segment contract (workflows/segments/types.ts) as zod schemas: what the API accepts. Each
// refusal names its field, e.g. `rule.rules.1.within`.
import { z } from 'zod';
import type * as S from '../../workflows/segments/types.js';
import type { SegmentDraft as StoredDraft } from '../../store/segments.js';
import { stages } from '../../workflows/lifecycle/rules.js';
import { dateFields, maxBehaviourDays, profileFieldProblem, propertyFieldProblem, wholeDays } from '../../workflows/segments/conditions.js';

export const SegmentId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a segment id: lower-case letters, digits, _ or -, at most 64');
const Name = z.string().trim().min(1).max(200);
const Scalar = z.union([z.string().max(500), z.number(), z.boolean()]);
const Value = z.union([Scalar, z.array(z.union([z.string().max(500), z.number()])).max(500)]);
const Op = z.enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'exists']);
const maxDepth = 10;
const maxNodes = 200;

const isInstant = (v: string): boolean => /^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:?\d\d)?)?$/.test(v) && Number.isFinite(Date.parse(v));
const isDaysAgo = (v: string): boolean => { const m = /^(.+\S)\s+ago$/.exec(v); return m !== null && wholeDays(m[1]!) !== undefined; };

/** What is wrong with a condition's value for its op and field, if anything. */
function valueProblem(c: { field: string; op: S.Condition['op']; value?: S.Condition['value'] }): string | undefined {
  const { op, value } = c;
  if (op === 'exists') return value !== undefined && typeof value !== 'boolean' ? 'exists takes true, false or nothing' : undefined;
  if (op === 'in') return !Array.isArray(value) || value.length === 0 ? 'in takes a list of values' : undefined;
  if (value === undefined || Array.isArray(value)) return `${op} takes one value`;
  const ordering = op === 'gt' || op === 'gte' || op === 'lt' || op === 'lte';
  if (ordering && typeof value === 'boolean') return `${op} takes a number or a text`;
  if (dateFields.includes(c.field) && op !== 'contains' && op !== 'neq' && !(typeof value === 'string' && (isInstant(value) || isDaysAgo(value)))) {
    return 'a date: an ISO 8601 instant (2024-06-18T00:00:00Z) or whole days ago ("30 days ago")';
  }
  return undefined;
}

const conditionOn = (fieldProblem: (field: string) => string | undefined) => ({
  field: z.string().min(1).max(200).superRefine((f, ctx) => { const p = fieldProblem(f); if (p) ctx.addIssue({ code: 'custom', message: p }); }),
  op: Op,
  value: Value.optional(),
});

function checkValue(c: { field: string; op: S.Condition['op']; value?: S.Condition['value'] }, ctx: z.RefinementCtx): void {
  const problem = valueProblem(c);
  if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: problem });
  const listed = c.value === undefined ? [] : Array.isArray(c.value) ? c.value : [c.value];
  if (c.field === 'stage' && ['eq', 'neq', 'in'].includes(c.op) && listed.some((v) => !(stages as readonly unknown[]).includes(v))) {
    ctx.addIssue({ code: 'custom', path: ['value'], message: `a stage: ${stages.join(', ')}` });
  }
}

/** A filter on an event's top-level properties. */
export const PropertyCondition = z.strictObject(conditionOn(propertyFieldProblem)).superRefine(checkValue);

const ProfileRule = z.strictObject({ type: z.literal('profile'), ...conditionOn(profileFieldProblem) }).superRefine(checkValue);

const Count = z.strictObject({ gte: z.number().int().min(0).optional(), lte: z.number().int().min(0).optional() })
  .refine((c) => c.gte !== undefined || c.lte !== undefined, 'give gte, lte or both')
  .refine((c) => c.gte === undefined || c.lte === undefined || c.gte <= c.lte, { path: ['lte'], message: 'must not be below gte' });

const BehaviourRule = z.strictObject({
  type: z.literal('behaviour'),
  event: z.string().min(1).max(200),
  where: z.array(PropertyCondition).max(20).optional(),
  within: z.string().refine((v) => { const d = wholeDays(v); return d !== undefined && d <= maxBehaviourDays; }, `whole days up to ${maxBehaviourDays}, such as "7 days" or "1 week"`),
  count: Count,
});

const Group = <T extends 'and' | 'or'>(type: T) => z.strictObject({
  type: z.literal(type),
  get rules(): z.ZodArray<typeof SegmentRule> { return z.array(SegmentRule).min(1).max(50); },
});

export const SegmentRule = z.discriminatedUnion('type', [
  Group('and'),
  Group('or'),
  z.strictObject({ type: z.literal('not'), get rule(): typeof SegmentRule { return SegmentRule; } }),
  ProfileRule,
  BehaviourRule,
]).meta({ id: 'SegmentRule' });

/** Nesting at most `maxDepth` deep and `maxNodes` rules in all, so every rule compiles to a sane query. */
function bounded(rule: S.SegmentRule, ctx: z.RefinementCtx): void {
  let nodes = 0;
  const walk = (r: S.SegmentRule, depth: number, path: (string | number)[]): void => {
    nodes += 1;
    if (depth > maxDepth) { ctx.addIssue({ code: 'custom', path, message: `nested more than ${maxDepth} deep` }); return; }
    if (r.type === 'and' || r.type === 'or') r.rules.forEach((x, i) => walk(x, depth + 1, [...path, 'rules', i]));
    if (r.type === 'not') walk(r.rule, depth + 1, [...path, 'rule']);
  };
  walk(rule, 1, []);
  if (nodes > maxNodes) ctx.addIssue({ code: 'custom', path: [], message: `more than ${maxNodes} rules` });
}
const Rule = SegmentRule.superRefine(bounded);

export const SegmentDraft = z.strictObject({ name: Name, rule: Rule });
export type SegmentDraft = StoredDraft;
/** POST /v1/segments (an id is made when none is given); PUT /v1/segments/:id (the URL's id). */
export const SegmentInput = SegmentDraft.extend({ id: SegmentId.optional() }).meta({ id: 'SegmentInput' });
/** POST /v1/segments/preview: a rule tried before it is saved. */
export const PreviewRequest = z.strictObject({ rule: Rule }).meta({ id: 'SegmentPreviewRequest' });

// What the API answers.
export const SavedSegment = z.object({ id: SegmentId, name: Name, rule: SegmentRule, createdAt: z.iso.datetime(), updatedAt: z.iso.datetime() }).meta({ id: 'Segment' });
export const SegmentList = z.object({ items: z.array(SavedSegment) }).meta({ id: 'SegmentList' });
export const SegmentPreview = z.object({
  count: z.number().int(),
  sample: z.array(z.object({ id: z.string(), stage: z.string(), tier: z.string().optional() })).max(20),
}).meta({ id: 'SegmentPreview' });
export const SegmentDeleted = z.object({ id: SegmentId, deleted: z.literal(true) }).meta({ id: 'SegmentDeleted' });

// The schemas mirror the contract exactly: each output type and its contract type accept each other.
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _mirrorsContract: [
  Exactly<z.output<typeof PropertyCondition>, S.Condition>,
  Exactly<z.output<typeof ProfileRule>, S.ProfileRule>,
  Exactly<z.output<typeof BehaviourRule>, S.BehaviourRule>,
  Exactly<z.output<typeof SegmentRule>, S.SegmentRule>,
  Exactly<z.output<typeof SegmentDraft>, SegmentDraft>,
  Exactly<z.output<typeof SavedSegment>, Required<S.Segment>>,
] = [true, true, true, true, true, true];
