// What one segment condition means, shared by the workflow (evaluate.ts) and the MongoDB compiler
// (store/segment-query.ts), so the two cannot drift. Values compare as MongoDB 7 compares
// them in a find filter: by type (the text "5" is not the number 5), and an array field holds
// when one of its elements does. Unlike journey conditions (journeys/conditions.ts), numbers
// inside text are not coerced: no index-using MongoDB filter can do that.
import { toMs } from '../duration.js';
import type { Condition } from './types.js';

export const dayMs = 86_400_000;
/** The longest behaviour window, and how many days of counts a customer's workflow keeps. */
export const maxBehaviourDays = 90;

export const counterFields = ['events', 'orders', 'spend', 'firstSeenAt', 'lastSeenAt', 'lastOrderAt'] as const;
export const dateFields: readonly string[] = ['counters.firstSeenAt', 'counters.lastSeenAt', 'counters.lastOrderAt'];
/** Value scores (lifecycle/scores.ts): 1–5 each, 0 where there is nothing to score; `rfm` is their code, e.g. "545". */
export const scoreFields = ['r', 'f', 'm', 'rfm', 'value', 'attrition', 'potential'] as const;
const nameRe = /^[A-Za-z_*][A-Za-z0-9_ -]{0,63}$/;

/** Why `field` is not a profile field a segment can test, or undefined when it is. */
export function profileFieldProblem(field: string): string | undefined {
  if (['stage', 'tier', 'points', 'tags'].includes(field) || dateFields.includes(field)) return undefined;
  const [head, name, ...rest] = field.split('.');
  if (head === 'counters' && rest.length === 0 && (counterFields as readonly string[]).includes(name ?? '')) return undefined;
  if (head === 'scores' && rest.length === 0 && (scoreFields as readonly string[]).includes(name ?? '')) return undefined;
  if ((head === 'traits' || head === 'consent') && name !== undefined && rest.length === 0 && nameRe.test(name)) return undefined;
  return 'not a segment field: stage, tier, points, tags, traits.<name>, consent.<channel>, counters.<events|orders|spend|firstSeenAt|lastSeenAt|lastOrderAt> or scores.<r|f|m|rfm|value|attrition|potential>';
}

/** Why `field` cannot be filtered on in an event's properties (one top-level property name). */
export const propertyFieldProblem = (field: string): string | undefined =>
  /^[^.$\0][^.\0]{0,99}$/.test(field) ? undefined : 'a top-level property name (no dots, not starting with $)';

/** The UTC day number of an instant: days since 1970-01-01. */
export const dayOf = (at: number): number => Math.floor(at / dayMs);

/** Whole days of an ms-style duration ("7 days", "1 week", "48h"), or undefined. */
export function wholeDays(duration: string): number | undefined {
  let ms: number;
  try { ms = toMs(duration); } catch { return undefined; }
  return Number.isFinite(ms) && ms > 0 && ms % dayMs === 0 ? ms / dayMs : undefined;
}

/** Days of a behaviour window; 0 (nothing counted) for one the API would refuse. */
export function windowDays(within: string): number {
  const days = wholeDays(within);
  return days !== undefined && days <= maxBehaviourDays ? days : 0;
}

const agoRe = /^(.+\S)\s+ago$/;

/**
 * The value a condition compares with at `now`: on the `counters.*At` dates, "<days> ago" is 00:00
 * UTC of that day and an instant is written as stored (toISOString), so text order is time order.
 */
export function resolveValue(field: string, value: Condition['value'], now: number): Condition['value'] {
  if (typeof value !== 'string' || !dateFields.includes(field)) return value;
  const ago = agoRe.exec(value);
  if (ago) {
    const days = wholeDays(ago[1]!);
    return days === undefined ? value : new Date((dayOf(now) - days) * dayMs).toISOString();
  }
  const at = Date.parse(value);
  return Number.isFinite(at) ? new Date(at).toISOString() : value;
}

/** The value at a dotted path, through own properties of plain objects only (as MongoDB reads it). */
export function valueAt(source: unknown, path: string): unknown {
  let value = source;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** MongoDB orders text by UTF-8 bytes, i.e. by code point; JS `<` compares UTF-16 units. */
function compareText(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

type Scalar = string | number | boolean;
const equals = (actual: unknown, v: Scalar): boolean => actual === v || (Array.isArray(actual) && actual.includes(v));

function ordered(actual: unknown, v: Scalar, op: 'gt' | 'gte' | 'lt' | 'lte'): boolean {
  const one = (x: unknown): boolean => {
    // Only values of the same type compare (MongoDB's type bracketing).
    let d: number;
    if (typeof v === 'number' && typeof x === 'number') d = x - v;
    else if (typeof v === 'string' && typeof x === 'string') d = compareText(x, v);
    else return false;
    return op === 'gt' ? d > 0 : op === 'gte' ? d >= 0 : op === 'lt' ? d < 0 : d <= 0;
  };
  return one(actual) || (Array.isArray(actual) && actual.some(one));
}

/** Whether the value at `condition.field` of `source` satisfies it, at `now`. */
export function satisfies(condition: Condition, source: unknown, now: number): boolean {
  const actual = valueAt(source, condition.field);
  const value = resolveValue(condition.field, condition.value, now);
  switch (condition.op) {
    case 'exists': return (actual !== undefined && actual !== null) === (value !== false);
    case 'eq': return value !== undefined && !Array.isArray(value) && equals(actual, value);
    case 'neq': return !(value !== undefined && !Array.isArray(value) && equals(actual, value));
    case 'in': return Array.isArray(value) && value.some((v) => equals(actual, v));
    // An element of a list, or a piece of a text.
    case 'contains':
      if (value === undefined || Array.isArray(value)) return false;
      return Array.isArray(actual) ? actual.includes(value) : typeof actual === 'string' && typeof value === 'string' && actual.includes(value);
    default:
      return value !== undefined && !Array.isArray(value) && typeof value !== 'boolean' && ordered(actual, value, condition.op);
  }
}
