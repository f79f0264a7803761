// Matching a customer against the catalog where it lives: what goes in is about the customer, what
// comes back is only what they enter; the worker's copy of the catalog follows its revision.
import { describe, expect, it } from 'vitest';
import { defaultLifecycleRules as rules } from '../../workflows/lifecycle/rules.js';
import { initialState, type CustomerState } from '../../workflows/lifecycle/state.js';
import type { CustomerEvent } from '../../workflows/lifecycle/event.js';
import { enter, initialJourneys, leanJourneys, react, withCatalog } from '../../workflows/journeys/engine.js';
import { matchCatalog, matchRequest } from '../../workflows/journeys/match.js';
import type { JourneyCatalog, JourneyDefinition } from '../../workflows/journeys/types.js';
import { defaultMessagingPolicy as policy } from '../../workflows/messaging/arbiter.js';
import { catalogCache } from '../../activities/journeys.js';

const t0 = Date.parse('2026-03-02T02:00:00Z');
const event = (name: string, properties: Record<string, unknown> = {}): CustomerEvent =>
  ({ messageId: `${name}-${properties.total ?? 0}`, kind: 'track', name, properties, traits: {}, timestamp: new Date(t0).toISOString() });
const journey = (id: string, trigger: JourneyDefinition['trigger']): JourneyDefinition => ({
  id, version: 1, name: id, trigger, entry: 'wait', reentry: { mode: 'never' }, onPause: 'hold',
  steps: { wait: { type: 'wait', duration: '3 days', next: 'done' }, done: { type: 'exit' } },
});
const catalogOf = (defs: JourneyDefinition[], revision = 1): JourneyCatalog => ({ revision, journeys: defs.map((definition) => ({ definition, status: 'active' })) });
const big = (n: number) => Array.from({ length: n }, (_, i) => journey(`never-${i}`, { type: 'event', event: `Never ${i}` }));
const request = (customer: CustomerState, events: CustomerEvent[], wanted = 1) =>
  matchRequest(customer, customer.journeys ?? initialJourneys(), { events, changed: {}, timeZone: 'Asia/Shanghai', maxConcurrent: 3, now: t0, wanted });

describe('matching against the catalog', () => {
  it('asks with the customer only, and answers only the journeys entered, whatever the catalog\'s size', () => {
    const order = journey('thanks', { type: 'event', event: 'Order Completed', where: [{ field: 'total', op: 'gte', value: 100 }] });
    const customer = initialState('c1');
    const answers = [5, 500].map((n) => matchCatalog(catalogOf([order, ...big(n)]), request(customer, [event('Order Completed', { total: 150 })])));
    for (const answer of answers) {
      expect(answer.entries.map((e) => e.definition.id)).toEqual(['thanks']);
      expect(answer.entries[0]!.context).toMatchObject({ event: 'Order Completed', total: 150 });
    }
    expect(JSON.stringify(answers[1])).toBe(JSON.stringify(answers[0]));
    expect(JSON.stringify(request(customer, []))).not.toContain('never-');
    expect(matchCatalog(catalogOf([order]), request(customer, [event('Order Completed', { total: 50 })])).entries).toEqual([]);
  });

  it('reports the status of the journeys the customer is in: paused with hold or exit, archived', () => {
    const a = journey('a', { type: 'event', event: 'Followed' });
    const b = journey('b', { type: 'event', event: 'Followed' });
    const c = journey('c', { type: 'event', event: 'Followed' });
    const input = (customer: CustomerState, now = t0) => ({ customer, journeys: customer.journeys ?? initialJourneys(), policy, rules, now });
    let out = withCatalog(input(initialState('c1')), catalogOf([a, b, c]), [event('Followed')]);
    expect(out.journeys.enrollments.map((e) => e.journeyId)).toEqual(['a', 'b', 'c']);
    const changed: JourneyCatalog = { revision: 2, journeys: [{ definition: a, status: 'paused' }, { definition: { ...b, onPause: 'exit' }, status: 'paused' }] };
    const customer = { ...out.customer, journeys: out.journeys };
    const answer = matchCatalog(changed, request(customer, [], 2));
    expect(answer.statuses).toEqual({ a: 'hold', b: 'exit', c: 'archived' });
    out = enter(input(customer), answer);
    expect(out.journeys.enrollments.map((e) => e.journeyId)).toEqual(['a']);
    expect(out.journeys.paused).toEqual(['a']);
    expect(out.commands.flatMap((x) => (x.type === 'progress' && x.record.type === 'exited' ? [x.record.reason] : []))).toEqual(['paused', 'archived']);
    expect(out.journeys.catalogRevision).toBe(2);
  });

  it('lets the journeys a customer is in react to events without the catalog', () => {
    const goal = { ...journey('g', { type: 'event', event: 'Followed' }), goal: { event: 'Order Completed' } };
    const entered = withCatalog({ customer: initialState('c1'), journeys: initialJourneys(), policy, rules, now: t0 }, catalogOf([goal]), [event('Followed')]);
    const reacted = react({ customer: entered.customer, journeys: entered.journeys, policy, rules, now: t0 + 1 }, [event('Order Completed', { total: 1 })]);
    expect(reacted.journeys.enrollments).toEqual([]);
    expect(reacted.commands.some((x) => x.type === 'progress' && x.record.type === 'exited' && x.record.reason === 'goal')).toBe(true);
  });

  it('drops the catalog of a state from before lean workflows and remembers which of its journeys hold', () => {
    const a = journey('a', { type: 'event', event: 'Followed' });
    const entered = withCatalog({ customer: initialState('c1'), journeys: initialJourneys(), policy, rules, now: t0 }, catalogOf([a]), [event('Followed')]);
    const legacy = { ...entered.journeys, catalog: [{ definition: a, status: 'paused' as const }], segments: [] };
    const lean = leanJourneys(legacy);
    expect(lean).not.toHaveProperty('catalog');
    expect(lean).not.toHaveProperty('segments');
    expect(lean.paused).toEqual(['a']);
    expect(lean.enrollments).toEqual(entered.journeys.enrollments);
  });

  it('never asks again and again for a revision that does not exist', () => {
    const answer = matchCatalog(catalogOf([], 3), request(initialState('c1'), [], 7));
    expect(answer.revision).toBe(7);
  });
});

describe('the worker\'s copy of the catalog', () => {
  function repository() {
    const calls = { catalog: 0, revision: 0 };
    let revision = 1;
    return {
      calls, bump: () => { revision += 1; },
      catalog: async () => { calls.catalog += 1; return catalogOf([], revision); },
      catalogRevision: async () => { calls.revision += 1; return revision; },
    };
  }

  it('loads once, reloads at once for a newer announced revision, and checks the revision only every few seconds', async () => {
    const repo = repository();
    let clock = 0;
    const cache = catalogCache(repo, () => clock);
    await Promise.all([cache.get(1), cache.get(1), cache.get(0)]);
    expect(repo.calls).toEqual({ catalog: 1, revision: 0 });
    repo.bump();
    expect((await cache.get(2)).revision).toBe(2);
    expect(repo.calls.catalog).toBe(2);
    // Nothing announced: the copy stands for 5 s, then one point read finds it current.
    repo.bump();
    clock += 1000;
    expect((await cache.get()).revision).toBe(2);
    expect(repo.calls.revision).toBe(0);
    clock += 5000;
    expect((await cache.get()).revision).toBe(3);
    expect(repo.calls).toEqual({ catalog: 3, revision: 1 });
    clock += 6000;
    await cache.get();
    expect(repo.calls).toEqual({ catalog: 3, revision: 2 });
  });

  it('loads once, not on every call, for a revision announced that never comes', async () => {
    const repo = repository();
    const cache = catalogCache(repo, () => 0);
    await cache.get(9);
    await cache.get(9);
    await cache.get(9);
    expect(repo.calls.catalog).toBe(1);
  });
});
