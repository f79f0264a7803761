// Reports through the admin API: on seeded data every figure equals a plain recount over the raw
// documents; a small hand-built case has exact numbers worked out by hand; bad input is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { adminKey, startStack, writeKey, type Stack } from '../setup/stack.js';
import { generateAll, journeyDocs, seedReports, seededJourneys, type SeedOptions } from '../../scripts/seed-reports.js';
import { allHold } from '../../workflows/journeys/conditions.js';
import { attributionModels, type AttributionModel } from '../../workflows/attribution/types.js';
import { stages as ladder } from '../../workflows/lifecycle/rules.js';
import { erfc, twoProportionPValue } from '../../api/reports/significance.js';
import { loadConfig } from '../../config.js';
import type { MessageDoc } from '../../activities/db/messages.js';

const D = 86_400_000;
const costs = { sms: 0.06, email: 0.002 };
let seeded: Stack;
let hand: Stack;
beforeAll(async () => {
  [seeded, hand] = await Promise.all([0, 1].map(() => startStack({ worker: false, env: { CHANNEL_COSTS: JSON.stringify(costs) } })));
});
afterAll(async () => { await Promise.all([seeded?.stop(), hand?.stop()]); });

const get = (stack: Stack, path: string, query: Record<string, string> = {}) => request(stack.app).get(path).query(query).auth(adminKey, '');
const cents = (amounts: number[]): number => amounts.reduce((s, a) => s + Math.round(a * 100), 0) / 100;
const rate = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);
const count = <K>(map: Map<K, Set<string>>, key: K): number => map.get(key)?.size ?? 0;
const add = <K>(map: Map<K, Set<string>>, key: K, id: string): void => { map.set(key, (map.get(key) ?? new Set()).add(id)); };

describe('reports on seeded data equal a recount of the raw documents', () => {
  const options: SeedOptions = { customers: 240, events: 2400, seed: 7 };
  const data = generateAll(options);
  const start = Date.parse('2026-01-01T00:00:00.000Z');
  const ranges = [
    { from: new Date(start - D), to: new Date(start + 130 * D) },
    // Across welcome's second version (day 60), with edges on midnights, where one in ten instants falls.
    { from: new Date(start + 40 * D), to: new Date(start + 75 * D) },
    { from: new Date(start + 90 * D), to: new Date(start + 91 * D) },
  ];
  const inRange = (t: Date | undefined, r: { from: Date; to: Date }): t is Date => t !== undefined && t >= r.from && t < r.to;
  const query = (r: { from: Date; to: Date }) => ({ from: r.from.toISOString(), to: r.to.toISOString() });

  beforeAll(async () => {
    const counts = await seedReports(seeded.db.models, options, 100);
    expect(counts).toEqual({
      customers: 240, events: 2400, messages: data.messages.length, conversions: data.conversions.length,
      stageChanges: data.stageChanges.length, journeyEvents: data.journeyEvents.length,
    });
  });

  it('generates every case the reports must count: each message fate, unattributed conversions, variants, holdouts, merged customers', () => {
    expect(new Set(data.messages.map((m) => m.status))).toEqual(new Set<MessageDoc['status']>(['queued', 'suppressed', 'failed', 'bounced', 'sent', 'delivered', 'opened', 'clicked']));
    expect(data.conversions.some((c) => c.credits.length === 0) && data.conversions.some((c) => c.credits.length > 0)).toBe(true);
    expect(new Set(data.journeyEvents.map((e) => e.variant))).toEqual(new Set([undefined, 'coupon', 'points', 'holdout', 'email', 'sms', 'push']));
    expect(data.customers.some((c) => c.mergedInto)).toBe(true);
    // Every model's credits add up to the revenue, to the cent.
    for (const c of data.conversions.filter((x) => x.credits.length > 0)) {
      for (const model of attributionModels) expect(cents(c.credits.filter((k) => k.model === model).map((k) => k.amount))).toBe(c.revenue);
    }
  });

  it('channels: reach, sends, reactions, conversions, revenue and cost per channel, for every model and range', async () => {
    for (const r of ranges) {
      for (const model of attributionModels) {
        const reached = new Map<string, Set<string>>();
        const tally = new Map<string, { sent: number; delivered: number; opened: number; clicked: number }>();
        for (const m of data.messages.filter((x) => inRange(x.sentAt, r))) {
          add(reached, m.channel, m.customerId);
          const t = tally.get(m.channel) ?? { sent: 0, delivered: 0, opened: 0, clicked: 0 };
          tally.set(m.channel, { sent: t.sent + 1, delivered: t.delivered + (m.deliveredAt ? 1 : 0), opened: t.opened + (m.openedAt ? 1 : 0), clicked: t.clicked + (m.clickedAt ? 1 : 0) });
        }
        const converted = new Map<string, Set<string>>();
        const revenue = new Map<string, number[]>();
        const converting = data.conversions.filter((c) => inRange(c.at, r));
        for (const c of converting) {
          for (const k of c.credits.filter((x) => x.model === model)) {
            add(converted, k.channel, c._id);
            revenue.set(k.channel, [...(revenue.get(k.channel) ?? []), k.amount]);
          }
        }
        const unattributed = converting.filter((c) => c.credits.length === 0);
        const names = [...new Set([...tally.keys(), ...converted.keys()])].sort();
        const expected = names.map((channel) => {
          const t = tally.get(channel) ?? { sent: 0, delivered: 0, opened: 0, clicked: 0 };
          const perMessage = costs[channel as keyof typeof costs];
          const cost = perMessage === undefined ? null : Math.round(t.sent * perMessage * 100) / 100;
          return {
            channel, reached: count(reached, channel), ...t, converted: count(converted, channel),
            conversionRate: rate(count(converted, channel), count(reached, channel)), revenue: cents(revenue.get(channel) ?? []),
            cost, costPerConversion: perMessage === undefined || count(converted, channel) === 0 ? null : Math.round((t.sent * perMessage * 100) / count(converted, channel)) / 100,
          };
        });
        const res = await get(seeded, '/v1/reports/channels', { ...query(r), model }).expect(200);
        expect(res.body, `${model} ${r.from.toISOString()}`).toEqual({
          ...query(r), model, channels: expected,
          unattributed: { conversions: unattributed.length, revenue: cents(unattributed.map((c) => c.revenue)) },
        });
      }
    }
  });

  it('journeys: funnel, entries, exits by reason and each variant against the holdout, for both journeys and every range', async () => {
    const { versions } = journeyDocs(options);
    for (const r of ranges) {
      for (const journeyId of ['welcome', 'winback']) {
        const mine = data.journeyEvents.filter((e) => e.journeyId === journeyId && inRange(e.at, r));
        const steps = new Map<string, Set<string>>();
        const exited = new Map<string, Set<string>>();
        const variants = new Map<string, Set<string>>();
        const converted = new Map<string, Set<string>>();
        const heldOutAt = new Map<string, number>();
        for (const e of mine) {
          if (e.type !== 'exited') add(steps, e.stepId!, e.customerId);
          else add(exited, e.reason!, e.customerId);
          if (e.variant) add(variants, e.variant, e.customerId);
          if (e.variant && e.variant !== 'holdout' && e.reason === 'goal') add(converted, e.variant, e.customerId);
          // The goal the holdout is measured by is its own version's.
          const key = `${e.customerId}@${e.version}`;
          if (e.variant === 'holdout') heldOutAt.set(key, Math.min(heldOutAt.get(key) ?? Infinity, e.at.getTime()));
        }
        for (const [key, since] of heldOutAt) {
          const [customerId, version] = key.split('@');
          const goal = versions.find((v) => v.journeyId === journeyId && v.version === Number(version))!.definition.goal!;
          const did = data.events.some((e) => e.customerId === customerId && e.name === goal.event && allHold(goal.where, e.properties)
            && e.timestamp.getTime() >= since && e.timestamp < r.to);
          if (did) add(converted, 'holdout', customerId!);
        }
        const holdout = { customers: count(variants, 'holdout'), converted: count(converted, 'holdout') };
        const arm = (variant: string) => {
          const customers = count(variants, variant);
          const won = count(converted, variant);
          const tested = variant !== 'holdout' && holdout.customers > 0;
          const conversionRate = rate(won, customers);
          const holdoutRate = rate(holdout.converted, holdout.customers);
          const pValue = tested ? twoProportionPValue(won, customers, holdout.converted, holdout.customers) : null;
          return {
            variant, customers, converted: won, conversionRate,
            uplift: tested && conversionRate !== null && holdoutRate ? (conversionRate - holdoutRate) / holdoutRate : null,
            pValue, significant: pValue === null ? null : pValue < 0.05,
          };
        };
        const latest = seededJourneys.filter((d) => d.id === journeyId).at(-1)!;
        const entered = new Set(mine.filter((e) => e.type === 'entered').map((e) => e.customerId)).size;

        const res = await get(seeded, `/v1/reports/journeys/${journeyId}`, query(r)).expect(200);
        expect(res.body, `${journeyId} ${r.from.toISOString()}`).toMatchObject({
          journeyId, ...query(r), goal: latest.goal!.event, entered, goalRate: rate(count(exited, 'goal'), entered),
          variants: [...[...variants.keys()].filter((v) => v !== 'holdout').sort(), ...(variants.has('holdout') ? ['holdout'] : [])].map(arm),
        });
        const expectedSteps = Object.fromEntries([...Object.keys(latest.steps), ...steps.keys()].map((id) => [id, count(steps, id)]));
        expect(Object.fromEntries(res.body.steps.map((s: { stepId: string; customers: number }) => [s.stepId, s.customers]))).toEqual(expectedSteps);
        expect(res.body.exited).toEqual([...exited.keys()].map((reason) => ({ reason, customers: count(exited, reason) }))
          .sort((a, b) => b.customers - a.customers || (a.reason < b.reason ? -1 : 1)));
      }
    }
  });

  it('lifecycle: customers at each stage now, merged ones left out, and the moves in each range', async () => {
    const now = new Map<string, number>();
    for (const c of data.customers.filter((x) => !x.mergedInto)) now.set(c.stage, (now.get(c.stage) ?? 0) + 1);
    for (const r of ranges) {
      const moves = new Map<string, number>();
      for (const s of data.stageChanges.filter((x) => inRange(x.at, r))) moves.set(`${s.from}>${s.to}`, (moves.get(`${s.from}>${s.to}`) ?? 0) + 1);
      const res = await get(seeded, '/v1/reports/lifecycle', query(r)).expect(200);
      expect(res.body.stages).toEqual(ladder.map((stage) => ({ stage, customers: now.get(stage) ?? 0 })));
      expect(Object.fromEntries(res.body.moves.map((m: { from: string; to: string; moves: number }) => [`${m.from}>${m.to}`, m.moves]))).toEqual(Object.fromEntries(moves));
      expect(res.body.moves.map((m: { moves: number }) => m.moves)).toEqual([...moves.values()].sort((a, b) => b - a));
    }
  });
});
