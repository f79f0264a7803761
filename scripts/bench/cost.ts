// The bench's "cost per event" phase: what one customer's events cost in history (events, and
// bytes as the server counts them: the protobuf encoding), in the MongoDB profile and in the
// customer view, with 5, 50 and 500 published journeys that the measured customers do not enter;
// and how fast new customers are fully applied against a minimal workflow (one signal, one
// activity upserting one document) measured on the same server in the same run.
import { performance } from 'node:perf_hooks';
import pLimit from 'p-limit';
import { BSON, type Db } from 'mongodb';
import type { Client } from '@temporalio/client';
import protos, { type temporal as proto } from '@temporalio/proto';
import { customerWorkflowId } from '../../workflows/customer-contract.js';
import { loadAverage, round, sleep } from './measure.js';

export interface CostContext {
  temporal: Client;
  db: Db;
  api: string;
  writeAuth: string;
  adminAuth: string;
  /** The minimal workflow's task queue (its worker is running). */
  minimalTaskQueue: string;
  log: (msg: string) => void;
  /** Cores used per process (and by other processes on the machine) while `run` runs. */
  cpu: <T>(run: () => Promise<T>) => Promise<T & { cpuCores: Record<string, number> }>;
  sizes: { catalogs: number[]; customersPerSize: number; throughputCustomers: number; requestsInFlight: number };
}

type HistoryEvent = proto.api.history.v1.IHistoryEvent;
const { History } = protos.temporal.api.history.v1;
const EventType = protos.temporal.api.enums.v1.EventType;
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] ?? NaN;

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`cost phase: no ${what} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

export async function costPhase(ctx: CostContext) {
  const { temporal, db, api, log } = ctx;
  const runId = Date.now().toString(36);
  const request = async (method: string, pathname: string, body: unknown, auth: string) => {
    const res = await fetch(`${api}${pathname}`, { method, headers: { 'Content-Type': 'application/json', Authorization: auth }, ...(body !== undefined && { body: JSON.stringify(body) }) });
    const text = await res.text();
    if (!res.ok && res.status !== 409) throw new Error(`${method} ${pathname}: ${res.status} ${text}`);
    return text;
  };
  const admin = (pathname: string, body?: unknown) => request('POST', pathname, body ?? {}, ctx.adminAuth);
  const track = (userId: string, event: string, properties: Record<string, unknown>) =>
    request('POST', '/v1/track', { userId, event, properties, messageId: `${runId}-${userId}-${event}-${performance.now()}` }, ctx.writeAuth);

  /** A history once the workflow is idle: no workflow task pending, the same length twice in a row. */
  async function settledHistory(customerId: string): Promise<HistoryEvent[]> {
    const handle = temporal.workflow.getHandle(customerWorkflowId(customerId));
    let last = -1;
    for (;;) {
      const events = (await handle.fetchHistory()).events ?? [];
      const type = events.at(-1)?.eventType;
      const busy = type === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED || type === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED;
      if (!busy && events.length === last) return events;
      last = busy ? -1 : events.length;
      await sleep(300);
    }
  }
  const bytesOf = (events: HistoryEvent[]): number => History.encode({ events }).finish().length;
  const composition = (events: HistoryEvent[]): string[] => events.map((e) => (EventType[e.eventType ?? 0] ?? '?').replace(/^EVENT_TYPE_/, ''));
  const profileOf = (customerId: string) => db.collection<{ _id: string; counters?: { events: number; orders: number } }>('customers').findOne({ _id: customerId });
  const customerIdOf = (userId: string) => until(`identity of ${userId}`, async () => (await db.collection<{ _id: string; customerId: string }>('identities').findOne({ _id: `userId:${userId}` }))?.customerId);

  // Journeys the measured customers never enter: the catalog a big brand keeps.
  await admin('/v1/templates', { id: 'bench-never', channel: 'sms', body: 'Hello {{ profile.traits.name }}' });
  await admin('/v1/templates', { id: 'bench-enter', channel: 'sms', body: 'Welcome' });
  const activeJourneys = () => db.collection('journeys').countDocuments({ status: 'active' });
  async function publishUpTo(n: number): Promise<void> {
    for (let i = await activeJourneys(); i < n; i++) {
      const id = `bench-never-${runId}-${i}`;
      await admin('/v1/journeys', {
        id, name: `Never entered ${i}`, trigger: { type: 'event', event: `Bench Never ${i}`, where: [{ field: 'total', op: 'gte', value: 100 }] }, entry: 'hello',
        steps: {
          hello: { type: 'send', channel: 'sms', template: 'bench-never', next: 'wait' },
          wait: { type: 'wait_for_event', event: 'Order Completed', timeout: '7 days', onEvent: 'done', onTimeout: 'again' },
          again: { type: 'send', channel: 'sms', template: 'bench-never', onlyIfEngagedWith: 'hello', next: 'done' },
          done: { type: 'exit' },
        },
        goal: { event: 'Order Completed' }, reentry: { mode: 'never' }, onPause: 'hold',
      });
      await admin(`/v1/journeys/${id}/publish`);
    }
  }
  // One journey a customer does enter: what it costs to be in one.
  const enterId = `bench-enter-${runId}`;
  async function ensureEnterJourney(): Promise<void> {
    await admin('/v1/journeys', {
      id: enterId, name: 'Entered', trigger: { type: 'event', event: 'Bench Entered' }, entry: 'hello',
      steps: { hello: { type: 'send', channel: 'sms', template: 'bench-enter', priority: 'transactional', next: 'wait' }, wait: { type: 'wait', duration: '30 days', next: 'done' }, done: { type: 'exit' } },
      reentry: { mode: 'never' }, onPause: 'hold',
    });
    await admin(`/v1/journeys/${enterId}/publish`);
  }

  /** A new customer's first order, then their next event: history and sizes of each. */
  async function customerCost(n: number, k: number, enters: boolean) {
    const userId = `cost-${runId}-${n}-${k}${enters ? '-in' : ''}`;
    await track(userId, 'Order Completed', { total: 10 });
    const customerId = await customerIdOf(userId);
    await until('first profile', async () => (await profileOf(customerId))?.counters?.orders === 1);
    const first = await settledHistory(customerId);
    if (enters) {
      await track(userId, 'Bench Entered', {});
      await until('journey entry', async () => (await db.collection('messages').countDocuments({ customerId, template: 'bench-enter' })) > 0);
    }
    const before = await settledHistory(customerId);
    await track(userId, 'Page Viewed', { path: '/' });
    await until('next event applied', async () => (await profileOf(customerId))?.counters?.events === (enters ? 3 : 2));
    const after = await settledHistory(customerId);
    const doc = await profileOf(customerId);
    const view = await (await fetch(`${api}/v1/customers/${customerId}`, { headers: { Authorization: ctx.adminAuth } })).text();
    return {
      first: { events: first.length, bytes: bytesOf(first) },
      next: { events: after.length - before.length, bytes: bytesOf(after) - bytesOf(before) },
      profileBytes: BSON.calculateObjectSize(doc ?? {}),
      viewBytes: Buffer.byteLength(view),
      firstComposition: composition(first),
    };
  }

  async function costAt(n: number) {
    await publishUpTo(n);
    const samples = [];
    for (let k = 0; k < ctx.sizes.customersPerSize; k++) samples.push(await customerCost(n, k, false));
    const inJourney = await customerCost(n, 0, true);
    const result = {
      publishedJourneys: await activeJourneys(),
      newCustomerFirstEvent: { historyEvents: median(samples.map((s) => s.first.events)), historyBytes: median(samples.map((s) => s.first.bytes)) },
      knownCustomerNextEvent: { historyEvents: median(samples.map((s) => s.next.events)), historyBytes: median(samples.map((s) => s.next.bytes)) },
      profileBytes: median(samples.map((s) => s.profileBytes)),
      customerViewBytes: median(samples.map((s) => s.viewBytes)),
      inOneJourneyNextEvent: { historyEvents: inJourney.next.events, historyBytes: inJourney.next.bytes, profileBytes: inJourney.profileBytes },
      firstEventHistory: samples[0]?.firstComposition,
    };
    log(`cost at ${result.publishedJourneys} journeys: first event ${result.newCustomerFirstEvent.historyEvents} events / ${result.newCustomerFirstEvent.historyBytes} B; `
      + `next ${result.knownCustomerNextEvent.historyEvents} / ${result.knownCustomerNextEvent.historyBytes} B; profile ${result.profileBytes} B; in a journey, next ${inJourney.next.bytes} B`);
    return result;
  }

  /** New customers with one order each, 100 a request: until every profile shows the order. */
  const closedloopRate = (label: string) => ctx.cpu(() => closedloopRun(label));
  const minimalRate = (label: string) => ctx.cpu(() => minimalRun(label));
  async function closedloopRun(label: string) {
    const k = ctx.sizes.throughputCustomers;
    const customers = db.collection('customers');
    const base = await customers.countDocuments({ 'counters.orders': { $gte: 1 } });
    const limit = pLimit(ctx.sizes.requestsInFlight);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: Math.ceil(k / 100) }, (_, b) => limit(() => request('POST', '/v1/batch', {
      batch: Array.from({ length: Math.min(100, k - b * 100) }, (_, i) => ({
        type: 'track', userId: `rate-${runId}-${label}-${b}-${i}`, event: 'Order Completed', properties: { total: 10 }, messageId: `rate-${runId}-${label}-${b}-${i}`,
      })),
    }, ctx.writeAuth))));
    const acceptedSeconds = round((performance.now() - t0) / 1000, 2);
    await until('every profile', async () => (await customers.countDocuments({ 'counters.orders': { $gte: 1 } })) >= base + k, 20 * 60_000);
    const secondsTaken = (performance.now() - t0) / 1000;
    return { customers: k, acceptedSeconds, seconds: round(secondsTaken, 2), perSec: round(k / secondsTaken), loadAverage: loadAverage() };
  }

  /** The same number of minimal workflows: signalWithStart, 32 in flight, until every document is written. */
  async function minimalRun(label: string) {
    const k = ctx.sizes.throughputCustomers;
    const docs = db.collection('minimal');
    const base = await docs.countDocuments();
    const limit = pLimit(32);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: k }, (_, i) => limit(() => temporal.workflow.signalWithStart('minimalWorkflow', {
      workflowId: `minimal-${runId}-${label}-${i}`, taskQueue: ctx.minimalTaskQueue, args: [`${runId}-${label}-${i}`], signal: 'touch', signalArgs: ['order'],
    }))));
    const acceptedSeconds = round((performance.now() - t0) / 1000, 2);
    await until('every minimal document', async () => (await docs.countDocuments()) >= base + k, 20 * 60_000);
    const secondsTaken = (performance.now() - t0) / 1000;
    return { workflows: k, acceptedSeconds, seconds: round(secondsTaken, 2), perSec: round(k / secondsTaken), loadAverage: loadAverage() };
  }

  await ensureEnterJourney();
  const [smallest, ...rest] = [...ctx.sizes.catalogs].sort((a, b) => a - b);
  const largest = rest.at(-1) ?? smallest!;
  const minimalBefore = await minimalRate('before');
  log(`minimal workflow: ${minimalBefore.perSec}/s`);
  const costs = [await costAt(smallest!)];
  const atSmallest = await closedloopRate(`first-${smallest}`);
  log(`new customers fully applied at ${smallest} journeys: ${atSmallest.perSec}/s`);
  for (const n of rest) costs.push(await costAt(n));
  const atLargest = await closedloopRate(`second-${largest}`);
  log(`new customers fully applied at ${largest} journeys: ${atLargest.perSec}/s`);
  const minimalAfter = await minimalRate('after');
  const minimalPerSec = round((minimalBefore.perSec + minimalAfter.perSec) / 2);
  const first = costs[0]!;
  const last = costs.at(-1)!;
  const change = (a: number, b: number) => round(((b - a) / a) * 100);
  return {
    costs,
    historyChangeSmallestToLargestPercent: {
      newCustomerEvents: change(first.newCustomerFirstEvent.historyEvents, last.newCustomerFirstEvent.historyEvents),
      newCustomerBytes: change(first.newCustomerFirstEvent.historyBytes, last.newCustomerFirstEvent.historyBytes),
      knownCustomerEvents: change(first.knownCustomerNextEvent.historyEvents, last.knownCustomerNextEvent.historyEvents),
      knownCustomerBytes: change(first.knownCustomerNextEvent.historyBytes, last.knownCustomerNextEvent.historyBytes),
    },
    throughput: {
      minimalWorkflowPerSec: minimalPerSec, minimalRuns: [minimalBefore, minimalAfter],
      [`at${smallest}Journeys`]: { ...atSmallest, ratioToMinimal: round(atSmallest.perSec / minimalPerSec, 2) },
      [`at${largest}Journeys`]: { ...atLargest, ratioToMinimal: round(atLargest.perSec / minimalPerSec, 2) },
      target: 0.8,
    },
    targets: {
      newCustomerFirstEvent: '≤ 15 history events, ≤ 8 KB', knownCustomerNextBatch: '≤ 8 history events, ≤ 4 KB', profileOfCustomerInNoJourney: '≤ 2 KB',
      eachWithin: '±10% between the smallest and the largest catalog',
    },
  };
}
