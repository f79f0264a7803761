// The reports benchmark (`npm run bench:reports`): starts its own mongo-java-server (memory),
// seeds 100,000 customers and 1,000,000 events with their messages, conversions, stage changes
// and journey events (scripts/seed-reports.ts), then, through the same service the API answers with:
//   cold     each report once over all 120 days with no stored day figures (every day counted);
//   warm     each report 5 times over the last 30 days and over all 120 days (stored figures);
//   written  each report after a write counted on one day of the range (that day counted again);
//   edges    each report over a range starting and ending inside a day (the two parts counted apart);
//   schedule the report-days refresh: its first run with nothing stored, a run with nothing to do,
//            and a run after writes on three days;
// and times a bare count of each collection's range (the floor of any counting on a server
// without secondary indexes); then
//   backtest a 30-day backtest of a cart journey over every customer (the backtest workflow's page
//            activity, page after page, as the worker runs it), and one customer's preview.
//   BENCH_REPORTS_ONLY=backtest      seed, then only the backtest phase
// Prints one JSON summary on stdout (progress on stderr) and stops the server, also on failure or Ctrl-C.
//   BENCH_CUSTOMERS, BENCH_EVENTS   data size (default 100000, 1000000)
//   BENCH_MONGO_HEAP                 the server's heap (default 12g: mongo-java-server keeps every
//                                    document as Java maps: ~6 GB live here, with the oplog it had then)
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { connectDatabase, type Database } from '../store/connection.js';
import { reportQueries } from '../store/reports.js';
import { dailyFigures } from '../store/report-days.js';
import { reportService } from '../api/reports/service.js';
import { benchSeed, seedReports } from './seed-reports.js';
import { startMongo, type RunningServer } from './servers.js';
import { createBacktestActivities } from '../activities/backtest/index.js';
import { customerEvents } from '../activities/backtest/events.js';
import { backtestPageSize } from '../workflows/backtest-contract.js';
import { backtestRepository } from '../store/backtests.js';
import { backtestService } from '../api/backtests/service.js';
import { journeyRepository } from '../store/journeys.js';
import { segmentRepository } from '../store/segments.js';
import { templateRepository } from '../store/templates.js';
import { defaultLifecycleRules } from '../workflows/lifecycle/rules.js';
import { defaultMessagingPolicy } from '../workflows/messaging/arbiter.js';
import type { JourneyDefinition } from '../workflows/journeys/types.js';

const D = 86_400_000;
const runs = 5;
const targetMs = 1000;
const env = process.env;
const sizes = { customers: Number(env.BENCH_CUSTOMERS ?? benchSeed.customers), events: Number(env.BENCH_EVENTS ?? benchSeed.events) };
const heap = env.BENCH_MONGO_HEAP ?? '12g';
const start = Date.parse('2026-01-01T00:00:00.000Z');
const ranges = {
  'last 30 days': { from: new Date(start + 90 * D), to: new Date(start + 120 * D) },
  'all 120 days': { from: new Date(start), to: new Date(start + 120 * D) },
};
// Costs as a brand might configure them (CHANNEL_COSTS), so cost per conversion is computed too.
const costs = { sms: 0.05, email: 0.001, wechat: 0.01 };

const log = (msg: string): void => { process.stderr.write(`[bench:reports ${new Date().toISOString().slice(11, 19)}] ${msg}\n`); };
const round = (n: number): number => Math.round(n * 10) / 10;

let mongo: RunningServer | undefined;
let db: Database | undefined;
async function cleanup(): Promise<void> {
  await db?.close().catch(() => undefined);
  await mongo?.stop().catch(() => undefined);
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { log(`${sig}: stopping`); void cleanup().finally(() => process.exit(130)); });

async function main(): Promise<void> {
  log(`starting mongo-java-server (memory, heap ${heap})`);
  mongo = await startMongo({ storage: 'memory', heap });
  db = await connectDatabase(mongo.address, { dbName: 'reports_bench' });
  const { models } = db;
  // connectDatabase builds the indexes of the collections it owns; these are the reports' own.
  await Promise.all([models.Conversion, models.StageChange, models.JourneyEvent].map((m) => m.createIndexes()));

  log(`seeding ${sizes.customers} customers, ${sizes.events} events`);
  const seedStarted = performance.now();
  const seeded = await seedReports(models, sizes);
  const seedMs = Math.round(performance.now() - seedStarted);
  log(`seeded in ${(seedMs / 1000).toFixed(1)} s: ${JSON.stringify(seeded)}`);

  if (env.BENCH_REPORTS_ONLY === 'backtest') {
    console.log(JSON.stringify({ machine: { cpus: cpus().length, node: process.version }, seed: { ms: seedMs, documents: seeded }, backtest: await backtestPhase(db) }, null, 2));
    return;
  }
  const service = reportService({ queries: reportQueries(models), costs });
  const daily = dailyFigures(models.reportDays);
  type Range = { from: Date; to: Date };
  const reports: Record<string, { run: (r: Range) => Promise<unknown>; source: (day: string) => string }> = {
    'channels (last_touch)': { run: (r) => service.channels(r, 'last_touch'), source: (day) => daily.key('messages', day) },
    'channels (linear)': { run: (r) => service.channels(r, 'linear'), source: (day) => daily.key('conversions', day) },
    'journey welcome': { run: (r) => service.journey('welcome', r), source: (day) => daily.key('journey|welcome', day) },
    'journey winback': { run: (r) => service.journey('winback', r), source: (day) => daily.key('journey|winback', day) },
    lifecycle: { run: (r) => service.lifecycle(r), source: () => '' },
  };
  const timed = async (f: () => Promise<unknown>): Promise<number> => {
    const began = performance.now();
    await f();
    return round(performance.now() - began);
  };
  const all = ranges['all 120 days'];

  // Cold: nothing stored, every day of every source counted (the channel reports share the messages days).
  const cold: Record<string, number> = {};
  for (const [name, report] of Object.entries(reports)) {
    cold[name] = await timed(() => report.run(all));
    log(`cold, all 120 days, ${name}: ${cold[name]} ms`);
  }

  const results: Record<string, Record<string, { p50: number; max: number; runs: number[]; loadAverage: number }>> = {};
  for (const [rangeName, range] of Object.entries(ranges)) {
    results[rangeName] = {};
    for (const [name, report] of Object.entries(reports)) {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) times.push(await timed(() => report.run(range)));
      const sorted = [...times].sort((a, b) => a - b);
      results[rangeName]![name] = { p50: sorted[Math.floor(runs / 2)]!, max: sorted[runs - 1]!, runs: times, loadAverage: round(loadavg()[0]!) };
      log(`warm, ${rangeName}, ${name}: p50 ${results[rangeName]![name]!.p50} ms, max ${results[rangeName]![name]!.max} ms`);
    }
  }

  // A write counted on the range's last day: that day alone is counted again.
  const lastDay = new Date(all.to.getTime() - D).toISOString().slice(0, 10);
  const written: Record<string, number> = {};
  for (const [name, report] of Object.entries(reports)) {
    if (name === 'lifecycle') continue;
    await daily.markStale([report.source(lastDay)]);
    written[name] = await timed(() => report.run(all));
    log(`after a write on ${lastDay}, all 120 days, ${name}: ${written[name]} ms`);
  }

  // Edges inside a day: whole days stored, the two parts of a day counted from the records.
  const inside = { from: new Date(all.from.getTime() + 7.5 * 3_600_000), to: new Date(all.to.getTime() - 3 * 3_600_000) };
  const edges: Record<string, number> = {};
  for (const [name, report] of Object.entries(reports)) {
    edges[name] = await timed(() => report.run(inside));
    log(`edges inside days, ${name}: ${edges[name]} ms`);
  }

  // The report-days schedule's run: first after an upgrade (nothing stored: the last 90 days of
  // every source counted), then with nothing to do (every day current), then after one written day.
  const queries = reportQueries(models);
  const dataEnd = all.to.getTime() - 1;
  await models.reportDays.deleteMany({});
  const refresh: Record<string, number> = {};
  refresh['first run, nothing stored'] = await timed(() => queries.refreshStale(90, dataEnd));
  refresh['nothing to do'] = await timed(() => queries.refreshStale(90, dataEnd));
  await daily.markStale([daily.key('messages', lastDay), daily.key('conversions', lastDay), daily.key('journey|welcome', lastDay)]);
  refresh['three days written'] = await timed(() => queries.refreshStale(90, dataEnd));
  log(`schedule run: ${JSON.stringify(refresh)}`);

  // The floor under every report on this server: it has no secondary indexes, so each $match reads the whole collection.
  const month = ranges['last 30 days'];
  const scans: Record<string, number> = {};
  for (const [name, count] of Object.entries({
    'messages by sentAt': () => models.messages.countDocuments({ sentAt: { $gte: month.from, $lt: month.to } }),
    'conversions by at': () => models.conversions.countDocuments({ at: { $gte: month.from, $lt: month.to } }),
    'journey_events by journeyId, at': () => models.journeyEvents.countDocuments({ journeyId: 'welcome', at: { $gte: month.from, $lt: month.to } }),
  })) {
    const began = performance.now();
    await count();
    scans[name] = round(performance.now() - began);
  }
  const slowest = Math.max(...Object.values(results).flatMap((r) => Object.values(r).map((x) => x.p50)));
  const storedDays = await models.reportDays.countDocuments();
  console.log(JSON.stringify({
    machine: { cpus: cpus().length, memoryGb: round(totalmem() / 2 ** 30), node: process.version, loadAverageAtEnd: loadavg().map(round) },
    server: { kind: 'mongo-java-server (memory backend)', heap },
    seed: { ms: seedMs, documents: seeded },
    ranges: Object.fromEntries(Object.entries(ranges).map(([k, r]) => [k, { from: r.from.toISOString(), to: r.to.toISOString() }])),
    coldMs: cold,
    reports: results,
    afterOneWrittenDayMs: written,
    edgesInsideDaysMs: { range: { from: inside.from.toISOString(), to: inside.to.toISOString() }, ms: edges },
    storedDays,
    scheduleRunMs: refresh,
    countOnlyMs: scans,
    targetMs, slowestWarmP50Ms: slowest, warmUnderTarget: slowest < targetMs,
    slowestAfterOneWrittenDayMs: Math.max(...Object.values(written)), afterOneWrittenDayUnderTarget: Math.max(...Object.values(written)) < targetMs,
    backtest: await backtestPhase(db),
  }, null, 2));
}

/** A cart journey with a wait, an awaited order, a branch and a split: 30 days of it over every customer. */
const cartJourney: JourneyDefinition = {
  id: 'bench-cart', version: 0, name: 'Cart reminder', trigger: { type: 'event', event: 'Cart Added' }, entry: 'wait', reentry: { mode: 'cooldown', cooldown: '7 days' }, onPause: 'hold',
  goal: { event: 'Order Completed', within: '7 days' },
  steps: {
    wait: { type: 'wait', duration: '2 hours', next: 'split' },
    split: { type: 'split', variants: [{ name: 'sms', weight: 45, next: 'sms' }, { name: 'email', weight: 45, next: 'email' }], holdout: 10 },
    sms: { type: 'send', channel: 'sms', template: 'cart-sms', next: 'order' },
    email: { type: 'send', channel: 'email', template: 'cart-email', next: 'order' },
    order: { type: 'wait_for_event', event: 'Order Completed', timeout: '3 days', onEvent: 'done', onTimeout: 'vip' },
    vip: { type: 'branch', branches: [{ when: [{ field: 'counters.orders', op: 'gte', value: 3 }], next: 'coupon' }], otherwise: 'done' },
    coupon: { type: 'send', channel: 'sms', template: 'cart-coupon', next: 'done' },
    done: { type: 'exit' },
  },
} as JourneyDefinition;

async function backtestPhase(database: Database) {
  const { models } = database;
  const month = ranges['last 30 days'];
  const total = await models.customers.countDocuments({ mergedInto: { $exists: false } });
  const id = 'btbench000000000000';
  await models.backtests.deleteMany({ _id: id });
  await models.backtestPages.deleteMany({ backtestId: id });
  await backtestRepository(models).create(id, {
    journeyId: cartJourney.id, version: 'draft', from: month.from.toISOString(), to: month.to.toISOString(), withLiveJourneys: false, engagementRate: 0,
  }, { definition: cartJourney, catalog: { revision: 0, journeys: [{ definition: cartJourney, status: 'active' }] }, total, every: 1 });
  const activities = createBacktestActivities({ models, rules: defaultLifecycleRules, policy: defaultMessagingPolicy });
  const rss: number[] = [];
  const spent = { readMs: 0, simulateMs: 0 };
  const pageSize = Number(env.BENCH_BACKTEST_PAGE ?? backtestPageSize);
  const began = performance.now();
  // As the workflow runs them: lanes side by side (one's reads overlap another's simulation), page after page.
  let simulated = 0;
  const lanes = await activities.planBacktestLanes({ backtestId: id });
  await Promise.all(lanes.map(async (lane) => {
    let at = { page: 0, position: 0, taken: 0, cursor: undefined as string | undefined };
    for (;;) {
      const page = await activities.runBacktestPage({ backtestId: id, pageSize, ...lane, ...at });
      simulated += page.taken - at.taken;
      at = { page: at.page + 1, position: page.position, taken: page.taken, cursor: page.cursor };
      spent.readMs += page.readMs;
      spent.simulateMs += page.simulateMs;
      rss.push(Math.round(process.memoryUsage().rss / 2 ** 20));
      log(`backtest: lane ${lane.lane}, ${simulated} customers, ${Math.round(performance.now() - began)} ms`);
      if (page.done) return;
    }
  }));
  await activities.finishBacktest({ backtestId: id, status: 'completed' });
  const ms = Math.round(performance.now() - began);
  const result = (await models.backtests.findOne({ _id: id }))?.result as { customers: unknown; sends: { total: number }; suppressions: unknown; exits: unknown; conversions: unknown };
  log(`backtest: ${total} customers in ${ms} ms`);

  // One customer's preview, as the API answers it (no Temporal involved).
  const preview = backtestService({
    journeys: journeyRepository(models), backtests: backtestRepository(models), segments: segmentRepository(models), templates: templateRepository(models), models,
    temporal: undefined as never, taskQueue: '', rules: defaultLifecycleRules, policy: defaultMessagingPolicy,
  });
  const now = new Date();
  for (const [template, channel] of [['cart-sms', 'sms'], ['cart-email', 'email'], ['cart-coupon', 'sms']] as const) {
    await models.templates.updateOne({ _id: template }, { $set: { channel, body: 'Your cart misses you', locales: {}, variants: [], createdAt: now, updatedAt: now } }, { upsert: true });
  }
  await models.journeys.updateOne({ _id: cartJourney.id }, { $set: { name: cartJourney.name, status: 'draft', latestVersion: 0, onPause: 'hold', createdAt: new Date(), updatedAt: new Date(),
    draft: Object.fromEntries(Object.entries(cartJourney).filter(([k]) => k !== 'id' && k !== 'version')) } } as never, { upsert: true });
  const someone = (await models.customers.find({}, { projection: { _id: 1 } }).skip(Math.floor(total / 2)).limit(1).toArray())[0]!._id;
  const previews: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await preview.preview(cartJourney.id, { customerId: someone, enteredAt: month.from.toISOString(), withLiveJourneys: false, engagementRate: 0 });
    previews.push(round(performance.now() - t));
  }
  // Of which reading the customer's events (one query on customerId: a full scan of `events` on
  // mongo-java-server, an index seek on MongoDB): the same read, alone.
  const previewReads: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await customerEvents(models, someone, new Date(month.from.getTime() + 90 * D));
    previewReads.push(round(performance.now() - t));
  }
  return {
    range: { from: month.from.toISOString(), to: month.to.toISOString() }, customers: total, lanes: lanes.length, pageSize, ms, customersPerSecond: Math.round(total / (ms / 1000)),
    // Reading is a full scan of \`events\` a page on mongo-java-server (no secondary indexes); the simulation is the engine's own cost.
    readMs: spent.readMs, simulateMs: spent.simulateMs, simulatedCustomersPerSecond: Math.round(total / (spent.simulateMs / 1000)),
    rssMbSampled: rss, loadAverage: loadavg().map(round), result: { customers: result.customers, sends: result.sends.total, suppressions: result.suppressions, exits: result.exits, conversions: result.conversions },
    previewMs: previews, previewReadMs: previewReads, targets: { backtestUnder60s: ms < 60_000, previewUnder200ms: Math.max(...previews.slice(1)) < 200 },
  };
}

main().then(cleanup, async (err: unknown) => {
  log(`failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  await cleanup();
  process.exit(1);
});
