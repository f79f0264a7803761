import type { Condition } from '../segments/types.js';

/** Reads `a.b.c` from an object. */
export function pick(source: Record<string, unknown>, field: string): unknown {
  let value: unknown = source;
  for (const part of field.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

const asNumber = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined;

export function holds(condition: Condition, source: Record<string, unknown>): boolean {
  const actual = pick(source, condition.field);
  const expected = condition.value;
  switch (condition.op) {
    case 'exists': return (actual !== undefined && actual !== null) === (expected ?? true);
    case 'eq': return actual === expected || (asNumber(actual) !== undefined && asNumber(actual) === asNumber(expected));
    case 'neq': return !holds({ ...condition, op: 'eq' }, source);
    case 'in': return Array.isArray(expected) && expected.some((e) => e === actual);
    case 'contains': return Array.isArray(actual) ? actual.includes(expected) : typeof actual === 'string' && typeof expected === 'string' && actual.includes(expected);
    default: {
      const a = asNumber(actual);
      const b = asNumber(expected);
      if (a === undefined || b === undefined) return false;
      return condition.op === 'gt' ? a > b : condition.op === 'gte' ? a >= b : condition.op === 'lt' ? a < b : a <= b;
    }
  }
}

export const allHold = (conditions: Condition[] | undefined, source: Record<string, unknown>): boolean =>
  (conditions ?? []).every((c) => holds(c, source));
