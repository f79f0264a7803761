// Input that once hurt: regular expressions that took seconds on one field, shapes MongoDB refuses
// every time, and profiles that grow without end.
import { describe, expect, it } from 'vitest';
import { normalise, normaliseEmail } from '../../api/ingest/normalize.js';
import { shapeDetails, traitDetails } from '../../api/ingest/limits.js';
import { tooDeep } from '../../api/body.js';
import { isOptOut } from '../../api/feedback/receipt.js';
import { redactPii } from '../../logging.js';
import { isRefusedForGood } from '../../store/errors.js';
import { absorb, applyEvents } from '../../workflows/lifecycle/apply.js';
import { profileLimits, pastLimits } from '../../workflows/lifecycle/limits.js';
import { initialState } from '../../workflows/lifecycle/state.js';
import { defaultLifecycleRules as defaultRules } from '../../workflows/lifecycle/rules.js';
import type { CustomerEvent } from '../../workflows/lifecycle/event.js';

const options = { defaultPhoneCountry: 'CN', extraTraits: [] };
const timed = <T>(fn: () => T): { value: T; ms: number } => {
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
};
// `a@` then `.b` repeated, then `@x`: 0.7 s for the old e-mail pattern at 32 KB.
const attack = `a@${'.b'.repeat(16 * 1024)}@x`;

describe('no input reaches a super-linear pattern', () => {
  it('reads a 32 KB e-mail trait in milliseconds and refuses it', () => {
    const { value, ms } = timed(() => normaliseEmail(attack));
    expect(value).toBeUndefined();
    expect(ms).toBeLessThan(50);
    const out = timed(() => normalise({ type: 'identify', userId: 'u', traits: { email: attack } }, 'batch.0', options, new Date()));
    expect(out.value).toMatchObject({ ok: false, details: [{ field: 'batch.0.traits.email' }] });
    expect(out.ms).toBeLessThan(50);
  });

  it('still takes ordinary addresses and refuses the malformed ones', () => {
    expect(normaliseEmail(' Ana@Example.COM ')).toBe('ana@example.com');
    expect(normaliseEmail('a.b+c@mail.example.cn')).toBe('a.b+c@mail.example.cn');
    for (const bad of ['ana', 'ana@', '@x.cn', 'a@b', 'a@b.', 'a@.b', 'a b@c.d', 'a@b@c.d', `${'a'.repeat(250)}@x.cn`]) expect(normaliseEmail(bad)).toBeUndefined();
  });

  it('redacts log lines and reads SMS replies in linear time', () => {
    const line = `${'a.'.repeat(20_000)}!${attack}`;
    expect(timed(() => redactPii(line)).ms).toBeLessThan(100);
    expect(redactPii('to ana.li@example.com and +8613800138000')).toBe('to [email] and [phone]');
    const reply = `${'!'.repeat(30_000)}a`;
    expect(timed(() => isOptOut(reply)).ms).toBeLessThan(20);
    expect(isOptOut(' STOP! ')).toBe(true);
    expect(isOptOut('【退订】')).toBe(true);
    expect(isOptOut('stop sending me this')).toBe(false);
  });
});

describe('what an event may hold', () => {
  it('names every field MongoDB would refuse or query differently', () => {
    expect(shapeDetails({ ok: { fine: [1, { deeper: true }] }, $set: 1, 'a.b': 2, 'nul\0': 3, '': 4 }, 'batch.2.properties')).toEqual(expect.arrayContaining([
      { field: 'batch.2.properties.$set', message: 'a field name may not start with $' },
      { field: 'batch.2.properties.a.b', message: 'a field name may not contain a dot' },
      { field: 'batch.2.properties.nul\0', message: 'a field name may not contain a NUL character' },
      { field: 'batch.2.properties.', message: 'an empty field name' },
    ]));
    expect(shapeDetails({ ok: { fine: [1, { deeper: true }] } }, 'properties')).toEqual([]);
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = { n: deep };
    expect(shapeDetails({ deep }, 'properties')).toEqual([{ field: `properties.deep${'.n'.repeat(15)}`, message: 'nested deeper than 16 levels' }]);
  });

  it('finds a body nested past any limit without recursion', () => {
    let v: unknown = [];
    for (let i = 0; i < 200_000; i++) v = [v];
    expect(tooDeep({ properties: { a: v } }, 20)).toBe(`(body).properties.a${'.0'.repeat(18)}`);
    expect(tooDeep({ properties: { a: [[1]] } }, 20)).toBeUndefined();
  });

  it('bounds an identify call\'s traits in number and size', () => {
    const many = Object.fromEntries(Array.from({ length: profileLimits.traits + 1 }, (_, i) => [`t${i}`, i]));
    expect(traitDetails(many, 'traits')).toEqual([{ field: 'traits', message: `at most ${profileLimits.traits} traits (got ${profileLimits.traits + 1})` }]);
    expect(traitDetails({ bio: 'x'.repeat(3000), name: 'Ana' }, 'batch.1.traits')).toEqual([{ field: 'batch.1.traits.bio', message: 'a trait\'s value may be at most 2048 bytes' }]);
  });
});

describe('a profile stays within its limits', () => {
  let n = 0;
  const identify = (traits: Record<string, unknown>): CustomerEvent => ({ messageId: `m${n++}`, kind: 'identify', properties: {}, traits, timestamp: '2026-05-01T00:00:00.000Z' });
  const now = Date.parse('2026-05-02T00:00:00.000Z');

  it('keeps the first traits, tags and channels past a cap, and every opt-out', () => {
    let s = initialState('c1');
    for (let i = 0; i < 4; i++) {
      const traits = Object.fromEntries(Array.from({ length: 100 }, (_, j) => [`t${i}-${j}`, j]));
      s = applyEvents(s, [identify({ ...traits, tags: Array.from({ length: 40 }, (_, j) => `tag${i}-${j}`) })], defaultRules, now, profileLimits).state;
    }
    expect(Object.keys(s.traits)).toHaveLength(profileLimits.traits);
    expect(s.traits['t3-0']).toBeUndefined();
    expect(s.tags).toHaveLength(profileLimits.tags);
    s = applyEvents(s, [identify({ 't0-0': 'changed', consent: Object.fromEntries(Array.from({ length: 40 }, (_, j) => [`ch${j}`, true])) })], defaultRules, now, profileLimits).state;
    expect(s.traits['t0-0']).toBe('changed');
    expect(Object.keys(s.consent)).toHaveLength(profileLimits.consent);
    s = applyEvents(s, [identify({ consent: { sms: false } })], defaultRules, now, profileLimits).state;
    expect(s.consent.sms).toBe(false);
    expect(pastLimits(s)).toBe(false);
    // Without limits (runs recorded before them) everything is kept.
    expect(Object.keys(applyEvents(initialState('c2'), [identify(Object.fromEntries(Array.from({ length: 400 }, (_, j) => [`k${j}`, j])))], defaultRules, now).state.traits)).toHaveLength(400);
  });

  it('names the last customers merged in, no more', () => {
    let s = initialState('survivor');
    for (let i = 0; i < profileLimits.mergedFrom + 5; i++) s = absorb(s, initialState(`lost-${i}`), defaultRules, now, profileLimits).state;
    expect(s.mergedFrom).toHaveLength(profileLimits.mergedFrom);
    expect(s.mergedFrom.at(-1)).toBe(`lost-${profileLimits.mergedFrom + 4}`);
  });
});

describe('which MongoDB failures are for good', () => {
  it('tells a refused document from an unreachable server', () => {
    expect(isRefusedForGood(Object.assign(new Error('key a\0b must not contain null bytes'), { name: 'BSONError' }))).toBe(true);
    expect(isRefusedForGood(new RangeError('The value of "offset" is out of range.'))).toBe(true);
    expect(isRefusedForGood(Object.assign(new Error('too large'), { name: 'MongoServerError', code: 10334 }))).toBe(true);
    expect(isRefusedForGood(Object.assign(new Error('bulk'), { name: 'MongoBulkWriteError', writeErrors: [{ code: 11000 }, { code: 52 }] }))).toBe(true);
    expect(isRefusedForGood(Object.assign(new Error('dup'), { name: 'MongoBulkWriteError', code: 11000, writeErrors: [{ code: 11000 }] }))).toBe(false);
    expect(isRefusedForGood(Object.assign(new Error('no server'), { name: 'MongoServerSelectionError' }))).toBe(false);
    expect(isRefusedForGood(Object.assign(new Error('stepping down'), { name: 'MongoServerError', code: 11602 }))).toBe(false);
  });
});
