// The engine's state copy must be exactly what a JSON round trip gives (replay depends on it).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { jsonCopy } from '../../workflows/json-copy.js';

describe('jsonCopy', () => {
  it('equals JSON.parse(JSON.stringify(x)) on any value a state can hold', () => {
    const value = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.constant(-0),
        fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 4 })),
    })).value;
    fc.assert(fc.property(fc.dictionary(fc.string({ maxLength: 6 }), value), (v) => {
      const copied = jsonCopy(v);
      expect(JSON.stringify(copied)).toBe(JSON.stringify(v));
      expect(copied).toStrictEqual(JSON.parse(JSON.stringify(v)));
    }), { numRuns: 500 });
  });

  it('keeps a `__proto__` key an own property, as JSON.parse does', () => {
    const v = JSON.parse('{"__proto__":{"x":1},"y":2}') as Record<string, unknown>;
    expect(JSON.stringify(jsonCopy(v))).toBe('{"__proto__":{"x":1},"y":2}');
    expect(Object.getPrototypeOf(jsonCopy(v))).toBe(Object.prototype);
  });

  it('shares nothing with the original', () => {
    const state = { a: { b: [1, { c: 2 }] } };
    const copied = jsonCopy(state);
    (copied.a.b[1] as { c: number }).c = 3;
    expect(state.a.b[1]).toEqual({ c: 2 });
  });
});
