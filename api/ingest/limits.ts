// What an event's properties and traits may hold, checked before anything is stored: MongoDB
// refuses some shapes every time (nesting past its depth limit, `$` field names), so they are
// refused here with the field named rather than left to wedge the customer's workflow, and the
// profile's size stays bounded (the profile caps themselves are in workflows/lifecycle/limits.ts).
import { profileLimits } from '../../workflows/lifecycle/limits.js';
import type { ErrorDetail } from '../errors.js';

export const eventLimits = {
  /** Levels of objects and arrays inside `properties` or `traits` (MongoDB's own limit is 100). */
  depth: 16,
  /** Serialised bytes of one trait's value (as Customer.io's 1,000-byte attributes, a little wider). */
  traitBytes: 2048,
  /** Traits an identify call may set (the profile keeps at most this many). */
  traits: profileLimits.traits,
  /** Refusals reported per event: a 32 KB event of bad names needs only a sample. */
  details: 20,
} as const;

/** A field name MongoDB stores and queries the same way everywhere (no `$` first, no `.`, no NUL), and no `__proto__`. */
export function badFieldName(name: string): string | undefined {
  if (name === '') return 'an empty field name';
  if (name.startsWith('$')) return 'a field name may not start with $';
  if (name.includes('.')) return 'a field name may not contain a dot';
  if (name.includes('\0')) return 'a field name may not contain a NUL character';
  if (name === '__proto__') return 'a reserved field name';
  return undefined;
}

/** Every refusal in `value` (an event's `properties` or `traits`), with its path under `at`. */
export function shapeDetails(value: Record<string, unknown>, at: string, details: ErrorDetail[] = []): ErrorDetail[] {
  // Iterative, so that no input can exhaust the stack.
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: at, depth: 0 }];
  while (stack.length > 0 && details.length < eventLimits.details) {
    const { value: v, path, depth } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= eventLimits.depth) {
      details.push({ field: path, message: `nested deeper than ${eventLimits.depth} levels` });
      continue;
    }
    if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push({ value: item, path: `${path}.${i}`, depth: depth + 1 }));
      continue;
    }
    for (const [key, item] of Object.entries(v)) {
      const why = badFieldName(key);
      if (why) details.push({ field: `${path}.${key}`, message: why });
      else stack.push({ value: item, path: `${path}.${key}`, depth: depth + 1 });
    }
  }
  return details;
}

/** Limits on an identify call's traits: how many, and how large each. */
export function traitDetails(traits: Record<string, unknown>, at: string): ErrorDetail[] {
  const names = Object.keys(traits);
  if (names.length > eventLimits.traits) return [{ field: at, message: `at most ${eventLimits.traits} traits (got ${names.length})` }];
  return names
    .filter((name) => Buffer.byteLength(JSON.stringify(traits[name]) ?? '') > eventLimits.traitBytes)
    .slice(0, eventLimits.details)
    .map((name) => ({ field: `${at}.${name}`, message: `a trait's value may be at most ${eventLimits.traitBytes} bytes` }));
}

