// The benchmark (`npm run bench`): stands up a local Temporal dev server (SQLite file in a temp
// dir, as the run command does), mongo-java-server (memory), and the worker and the API as child
// processes (`node --import tsx worker/main.ts`, `api/main.ts`), then measures, side by side:
//   ceiling  — a bare client doing signalWithStart of new customers, 32 in flight (before and
//              after the ingest runs; the mean is the ceiling)
//   ingest   — POST /v1/batch: 100 events for 100 customers, and 100 events for 10 customers
//   profile  — (when ingest misses 80% of the ceiling, or BENCH_PROFILE=1) the ingest pipeline
//              in this process with identity resolution and signalWithStart timed per request,
//              and the API with one request in flight
//   latency  — POST /v1/track → message recorded as sent by a journey, sequential and 8 in flight
//   history  — 10,000 events to one customer: runs and history length per run
//   memory   — the worker's RSS before and after, and its workflow cache size
//   cost     — history events and bytes per event, profile and view sizes at 5, 50 and 500
//              published journeys, and new customers fully applied against a minimal workflow
//              (scripts/bench/cost.ts). BENCH_ONLY=cost runs this phase alone.
//   live, herd, broadcast — live customers waiting on timers, a herd of them woken at one instant,
//              a campaign to all of them (scripts/bench/scale.ts); BENCH_ONLY=scale runs these alone
//              between two runs of the minimal workflow.
// BENCH_TEMPORAL=server runs it all on Temporal Server 1.32.2 on PostgreSQL (scripts/temporal-server.ts)
// instead of the dev server; there BENCH_ONLY=faults kills the server and restarts PostgreSQL
// mid-ingest (scripts/bench/faults.ts).
// Throughput phases run while the worker applies what they send; after each, every running
// workflow is terminated so the next phase starts on an idle server (the worker applies new
// customers several times slower than Temporal accepts them, so waiting would take minutes).
// CPU per process (from /proc) is reported for every phase, including other processes on the
// machine. Prints one JSON summary on stdout; progress goes to stderr. Stops all it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pLimit from 'p-limit';
import { Client, Connection } from '@temporalio/client';
import { MongoClient, type Db } from 'mongodb';
import protos, { type temporal as proto } from '@temporalio/proto';
import { loadConfig } from '../config.js';
import { connectDatabase, type Database } from '../store/connection.js';
import { identityRepository, newCustomerId, type IdentityRepository } from '../store/identities.js';
import { journeyRepository } from '../store/journeys.js';
import { startCustomerOptions } from '../activities/temporal.js';
import { ingestService, type IngestItem } from '../api/ingest/service.js';
import type { SegmentEvent } from '../api/ingest/segment.js';
import { customerWorkflowId, eventsSignal, stateQuery } from '../workflows/customer-contract.js';
import type { CustomerEvent } from '../workflows/lifecycle/event.js';
import { freePort, rootDir, startMongo, startTemporal, type RunningServer, stopProcess } from './servers.js';
import { startTemporalServer, type TemporalServerCluster } from './temporal-server.js';
import { costPhase } from './bench/cost.js';
import { faultPhase } from './bench/faults.js';
import { broadcastPhase, herdPhase, minimalReference, type ScaleContext } from './bench/scale.js';
import { loadAverage, round, seconds, sleep, stats } from './bench/measure.js';

// ---------------------------------------------------------------------------------------------
// Sizes (env) and small helpers

const env = process.env;
const int = (name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
};
/** dev: the Temporal CLI dev server (SQLite file); server: Temporal Server 1.32.2 on PostgreSQL (scripts/temporal-server.ts). */
const temporalKind = env.BENCH_TEMPORAL ?? 'dev';
if (temporalKind !== 'dev' && temporalKind !== 'server') throw new Error(`BENCH_TEMPORAL must be dev or server, got "${temporalKind}"`);
const onServer = temporalKind === 'server';
const sizes = {
  /** Customers (signals) for the ceiling. */
  ceilingCustomers: int('BENCH_CUSTOMERS', 500),
  /** Concurrent signalWithStart calls of the bare client (the API's own limit is also 32). */
  ceilingInFlight: int('BENCH_CEILING_IN_FLIGHT', 32),
  /** Requests of 100 events for 100 new customers. */
  distinctBatches: int('BENCH_INGEST_BATCHES', 5),
  /** Requests of 100 events for 10 customers (10 each). */
  groupedBatches: int('BENCH_GROUPED_BATCHES', 20),
  batchSize: 100,
  groupedPerCustomer: 10,
  /** Concurrent HTTP requests during ingest. */
  requestsInFlight: int('BENCH_REQUESTS_IN_FLIGHT', 4),
  /** Customers for event-to-send latency: one at a time, then several in flight. */
  latencyCustomers: int('BENCH_LATENCY_CUSTOMERS', 200),
  latencyConcurrentCustomers: int('BENCH_LATENCY_CONCURRENT_CUSTOMERS', 100),
  latencyInFlight: int('BENCH_LATENCY_IN_FLIGHT', 8),
  historyEvents: int('BENCH_HISTORY_EVENTS', 10_000),
  historyBatch: int('BENCH_HISTORY_BATCH', 50),
  /** One customer's events usually arrive one request at a time: the most history per event. */
  historyInFlight: int('BENCH_HISTORY_IN_FLIGHT', 1),
  /** Requests for the in-process profile of identity resolution vs signalWithStart. */
  profileBatches: int('BENCH_PROFILE_BATCHES', 3),
  /** Live customers: new customers left alive and waiting, against a worker with a small cache (0 skips). */
  liveCustomers: int('BENCH_LIVE', int('BENCH_LIVE_CUSTOMERS', onServer ? 100_000 : 1500)),
  liveCache: int('BENCH_LIVE_CACHE', 250),
  /** Live customers woken by timers at the same instant (0 skips), and how many of their histories are read for task timeouts. */
  herdCustomers: int('BENCH_HERD', onServer ? 10_000 : 0),
  herdHistorySample: int('BENCH_HERD_HISTORY_SAMPLE', 1000),
  /** A broadcast to the segment of all live customers (0 skips), at this ratePerSecond (the API allows 1–500). */
  broadcast: int('BENCH_BROADCAST', onServer ? 1 : 0),
  broadcastRatePerSecond: int('BENCH_BROADCAST_RATE', 50),
  /**
   * Instead of the live customers (with BENCH_LIVE=0): a broadcast to this many customers stored as
   * profiles only, with no workflow running (imported, or ended by hand): the broadcast starts each
   * one's workflow, which restores the profile, then sends. 0: the broadcast goes to the live customers.
   */
  broadcastSeeded: int('BENCH_BROADCAST_SEEDED', 0),
  /** How long the broadcast may take before its figures are taken as they stand (0: three times what its rate would take). */
  broadcastMinutes: int('BENCH_BROADCAST_MINUTES', 0),
  /** Minimal workflows fully applied, before and after the scale phases: their reference rate. */
  scaleReferenceWorkflows: int('BENCH_SCALE_REFERENCE', 500),
  /** Fault mode: customers the ingest spreads over, seconds the server stays killed. */
  faultCustomers: int('BENCH_FAULT_CUSTOMERS', 200),
  faultOutageSeconds: int('BENCH_FAULT_OUTAGE_SECONDS', 10),
  mongoHeap: env.BENCH_MONGO_HEAP ?? (onServer ? '6g' : '2g'),
  /** Cost per event: catalog sizes, customers measured at each, new customers for the rates. */
  costCatalogs: (env.BENCH_COST_CATALOGS ?? '5,50,500').split(',').map(Number),
  costCustomers: int('BENCH_COST_CUSTOMERS', 5),
  costThroughputCustomers: int('BENCH_COST_THROUGHPUT_CUSTOMERS', 300),
  /** How long the history phase waits for the workflow to apply every event. */
  applyTimeoutMs: int('BENCH_APPLY_TIMEOUT_MS', 120_000),
};
const profileMode = env.BENCH_PROFILE ?? 'auto'; // auto | 1 | 0
const only = env.BENCH_ONLY; // cost: the cost phase alone; scale: live customers, herd and broadcast with their references
const target = 0.8;

const log = (msg: string): void => { process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`); };

// ---------------------------------------------------------------------------------------------
// Processes: what we started, their CPU time and memory (from /proc)

const children: ChildProcess[] = [];
const servers: RunningServer[] = [];
const closers: (() => Promise<unknown>)[] = [];
let tempDir: string | undefined;
let cleanedUp = false;

const stopChild = (child: ChildProcess): Promise<void> => stopProcess(child, 15_000);

async function cleanup(): Promise<void> {
  if (cleanedUp) return;
  cleanedUp = true;
  log('stopping everything');
  for (const close of closers.reverse()) await close().catch(() => undefined);
  for (const child of [...children].reverse()) await stopChild(child).catch(() => undefined);
  await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => { log(`${sig}: stopping`); void cleanup().finally(() => process.exit(130)); });
}

/** Children stopped on purpose before the end (the worker replaced for the live phase). */
const retired = new WeakSet<ChildProcess>();

/** Runs a TypeScript entry point as `node --import tsx <script>`; its output goes to our stderr. */
function runChild(name: string, script: string, childEnv: NodeJS.ProcessEnv): ChildProcess {
  // BENCH_CPU_PROF=<dir>: every child writes a V8 CPU profile there when it exits (open it in Chrome's DevTools).
  const profile = env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', script], { cwd: rootDir, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      // Expected after a reset: completions for workflows the bench just terminated.
      if (!line.trim() || /Activity not found on completion|Task not found when completing/.test(line)) continue;
      process.stderr.write(`  [${name}] ${line}\n`);
    }
  };
  child.stdout!.on('data', forward);
  child.stderr!.on('data', forward);
  child.on('exit', (code, signal) => { if (!cleanedUp && !retired.has(child)) log(`${name} exited unexpectedly (code ${code}, signal ${signal})`); });
  children.push(child);
  return child;
}

function waitForOutput(child: ChildProcess, text: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => { if (chunk.toString().includes(text)) { done(); resolve(); } };
    const onExit = (code: number | null) => { done(); reject(new Error(`process exited (code ${code}) before printing "${text}"`)); };
    const timer = setTimeout(() => { done(); reject(new Error(`no "${text}" after ${timeoutMs} ms`)); }, timeoutMs);
    const done = () => { clearTimeout(timer); child.stdout!.off('data', onData); child.off('exit', onExit); };
    child.stdout!.on('data', onData);
    child.on('exit', onExit);
  });
}

const clockTick = 100; // USER_HZ on Linux
function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTick; // utime, stime
  } catch { return 0; }
}
function memoryOf(pid: number): { rssMB: number; peakRssMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMB: round(kb('VmRSS') / 1024), peakRssMB: round(kb('VmHWM') / 1024) };
}
/** Our direct children that are Temporal or Java (the servers start them; RunningServer hides the pid). */
function serverPids(): { temporal?: number; mongo?: number } {
  const found: { temporal?: number; mongo?: number } = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      if (comm === 'temporal') found.temporal = Number(entry);
      if (comm === 'java') found.mongo = Number(entry);
    } catch { /* gone */ }
  }
  return found;
}

/** CPU seconds the whole machine spent busy (all cores), from /proc/stat. */
function machineBusySeconds(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / clockTick;
}

/** A process and its children, those still running and (through cutime/cstime) those it reaped: PostgreSQL's backends. */
function cpuSecondsOfTree(pid: number): number {
  if (!pid) return 0;
  let total = 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    total += (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / clockTick;
  } catch { return 0; }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) total += cpuSecondsOf(Number(entry));
    } catch { /* gone */ }
  }
  return total;
}

type Pids = Record<'temporal' | 'mongo' | 'worker' | 'api', number> & { postgres?: number };
let pids: Pids;
type CpuSnapshot = Record<'temporal' | 'mongo' | 'worker' | 'api' | 'postgres' | 'bench' | 'machine', number> & { at: number };
function cpuSnapshot(): CpuSnapshot {
  const own = process.cpuUsage();
  return {
    at: performance.now(),
    temporal: cpuSecondsOf(pids.temporal), mongo: cpuSecondsOf(pids.mongo), worker: cpuSecondsOf(pids.worker), api: cpuSecondsOf(pids.api),
    postgres: cpuSecondsOfTree(pids.postgres ?? 0), bench: (own.user + own.system) / 1e6, machine: machineBusySeconds(),
  };
}
/** CPU used per process between two snapshots, in cores (1.0 = one core busy the whole time). */
function cpuCores(from: CpuSnapshot, to: CpuSnapshot): Record<string, number> {
  const wall = (to.at - from.at) / 1000;
  const out: Record<string, number> = {};
  let total = 0;
  for (const key of ['temporal', ...(onServer ? ['postgres'] as const : []), 'mongo', 'worker', 'api', 'bench'] as const) {
    const cores = (to[key] - from[key]) / wall;
    out[key] = round(cores, 2);
    total += cores;
  }
  out.total = round(total, 2);
  // Anything else on the machine (other people's builds and tests) competes for the same cores.
  out.otherProcesses = round(Math.max(0, (to.machine - from.machine) / wall - total), 2);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Workflow histories: where a customer's time goes

type HistoryEvent = proto.api.history.v1.IHistoryEvent;
// A CommonJS module: its namespaces come through the default export.
const EventType = protos.temporal.api.enums.v1.EventType;
const num = (v: unknown): number => (typeof v === 'number' ? v : v && typeof (v as { toNumber?: unknown }).toNumber === 'function' ? (v as { toNumber(): number }).toNumber() : Number(v));
const timeOf = (e: HistoryEvent | undefined): number => (e?.eventTime ? num(e.eventTime.seconds) * 1000 + (e.eventTime.nanos ?? 0) / 1e6 : NaN);

/** How many events of each type (activities by name) one history has. */
function historyComposition(events: HistoryEvent[]): Record<string, number> {
  const byId = new Map(events.map((e) => [num(e.eventId), e]));
  const counts: Record<string, number> = {};
  for (const e of events) {
    let name = (EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) name += ` ${e.activityTaskScheduledEventAttributes?.activityType?.name}`;
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
      name += ` ${byId.get(num(e.activityTaskCompletedEventAttributes?.scheduledEventId))?.activityTaskScheduledEventAttributes?.activityType?.name}`;
    }
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

interface Leg { n: number; queueMs: number; runMs: number }
/**
 * The path from the workflow's start to its first sendMessage completing: time each workflow
 * task and activity spent queued (scheduled → started: server dispatch and worker poll) and
 * running (started → completed: worker execution, MongoDB, the completion round trip).
 */
function pathToSend(events: HistoryEvent[]): { totalMs: number; legs: Record<string, Leg> } | undefined {
  const byId = new Map(events.map((e) => [num(e.eventId), e]));
  const legs: Record<string, Leg> = {};
  const leg = (name: string) => (legs[name] ??= { n: 0, queueMs: 0, runMs: 0 });
  const start = timeOf(events[0]);
  for (const e of events) {
    if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED) {
      leg('workflowTask').queueMs += timeOf(e) - timeOf(byId.get(num(e.workflowTaskStartedEventAttributes?.scheduledEventId)));
    } else if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) {
      const l = leg('workflowTask');
      l.n += 1;
      l.runMs += timeOf(e) - timeOf(byId.get(num(e.workflowTaskCompletedEventAttributes?.startedEventId)));
    } else if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
      const a = e.activityTaskCompletedEventAttributes;
      const scheduled = byId.get(num(a?.scheduledEventId));
      const started = byId.get(num(a?.startedEventId));
      const name = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
      const l = leg(`activity ${name}`);
      l.n += 1;
      l.queueMs += timeOf(started) - timeOf(scheduled);
      l.runMs += timeOf(e) - timeOf(started);
      if (name === 'sendMessage') return { totalMs: timeOf(e) - start, legs };
    }
  }
  return undefined;
}

/** Mean over customers of pathToSend, in ms per customer. */
async function sendPathProfile(customerIds: string[]) {
  const paths = (await Promise.all(customerIds.map(async (id) => {
    try { return pathToSend((await temporal.workflow.getHandle(customerWorkflowId(id)).fetchHistory()).events ?? []); } catch { return undefined; }
  }))).filter((p) => p !== undefined);
  const mean = (f: (p: NonNullable<ReturnType<typeof pathToSend>>) => number) => round(paths.reduce((a, p) => a + f(p), 0) / Math.max(1, paths.length));
  const names = [...new Set(paths.flatMap((p) => Object.keys(p.legs)))];
  return {
    customers: paths.length,
    workflowStartToSendCompletedMs: mean((p) => p.totalMs),
    perCustomer: Object.fromEntries(names.map((name) => [name, {
      count: mean((p) => p.legs[name]?.n ?? 0), queuedMs: mean((p) => p.legs[name]?.queueMs ?? 0), runningMs: mean((p) => p.legs[name]?.runMs ?? 0),
    }])),
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP against the API

let api = '';
const writeKey = 'bench-write-key-0123456789';
const adminKey = 'bench-admin-key-0123456789';
const writeAuth = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;

async function post(pathname: string, body: string, auth = writeAuth): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${api}${pathname}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: auth }, body });
  const json = (await res.json()) as Record<string, unknown>;
  return { status: res.status, json };
}
let retried503 = 0;
/** POST, retrying 503 (Temporal or MongoDB too slow or away) as Segment's libraries do; same body, so the same messageIds. */
async function postRetrying(pathname: string, body: string): Promise<{ status: number; json: Record<string, unknown>; retries: number }> {
  for (let attempt = 0; ; attempt++) {
    const res = await post(pathname, body);
    if (res.status !== 503 || attempt >= 10) return { ...res, retries: attempt };
    retried503 += 1;
    await sleep(100 * 2 ** Math.min(attempt, 4));
  }
}
async function mustPost(pathname: string, body: object | string, auth = writeAuth): Promise<Record<string, unknown>> {
  const { status, json } = await post(pathname, typeof body === 'string' ? body : JSON.stringify(body), auth);
  if (status < 200 || status >= 300) throw new Error(`POST ${pathname}: ${status} ${JSON.stringify(json)}`);
  return json;
}

async function waitForHealth(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try { if ((await fetch(url)).ok) return; } catch { /* not up yet */ }
    await sleep(250);
  }
  throw new Error(`${url} not healthy after ${timeoutMs} ms`);
}

// ---------------------------------------------------------------------------------------------
// Phases

let db: Db;
let temporal: Client;
let taskQueue = '';

const storedEvents = (): Promise<number> => db.collection('events').countDocuments({});

/**
 * Between throughput phases: end every running customer workflow, so that the next phase starts
 * on an idle server and worker. (Applying the whole backlog takes the worker minutes here: it
 * applies new customers several times slower than Temporal accepts them; see workerApplied.)
 */
async function reset(label: string): Promise<{ terminated: number; seconds: number }> {
  const t0 = performance.now();
  const ids: string[] = [];
  for await (const wf of temporal.workflow.list({ query: 'ExecutionStatus = "Running"' })) ids.push(wf.workflowId);
  const limit = pLimit(32);
  await Promise.all(ids.map((id) => limit(() => temporal.workflow.getHandle(id).terminate('bench: reset between phases').catch(() => undefined))));
  await sleep(2000); // let the worker finish the tasks it holds
  const result = { terminated: ids.length, seconds: seconds(performance.now() - t0) };
  log(`${label}: terminated ${result.terminated} running workflows in ${result.seconds} s`);
  return result;
}

const trackEvent = (i: number, prefix: string): CustomerEvent => ({
  messageId: `${prefix}-${i}`, kind: 'track', name: 'Page Viewed', properties: { path: `/p/${i % 50}` }, traits: {}, timestamp: new Date().toISOString(),
});

type CustomerSettings = Parameters<typeof startCustomerOptions>[1];

async function ceilingPhase(label: string, settings: CustomerSettings, catalogRevision: number) {
  const n = sizes.ceilingCustomers;
  log(`${label}: signalWithStart of ${n} new customers, ${sizes.ceilingInFlight} in flight`);
  const limit = pLimit(sizes.ceilingInFlight);
  const prefix = label.replace(/\W+/g, '-');
  const calls = Array.from({ length: n }, (_, i) => ({ customerId: newCustomerId(), event: trackEvent(i, prefix) }));
  const latencies: number[] = [];
  const stored0 = await storedEvents();
  const cpu0 = cpuSnapshot();
  const t0 = performance.now();
  await Promise.all(calls.map(({ customerId, event }) => limit(async () => {
    const s = performance.now();
    await temporal.workflow.signalWithStart('customerWorkflow', {
      ...startCustomerOptions(customerId, settings, taskQueue), signal: eventsSignal, signalArgs: [[event], { catalogRevision }],
    });
    latencies.push(performance.now() - s);
  })));
  const ms = performance.now() - t0;
  const cpu = cpuCores(cpu0, cpuSnapshot());
  const applied = (await storedEvents()) - stored0;
  // What one new customer costs the server: the first customer's history once its event is stored.
  const sampleHandle = temporal.workflow.getHandle(customerWorkflowId(calls[0]!.customerId));
  for (let waited = 0; waited < 20_000 && !(await db.collection('events').findOne({ messageId: `${prefix}-0` } as object)); waited += 250) await sleep(250);
  await sleep(500);
  const sample = await sampleHandle.describe();
  const sampleHistory = historyComposition((await sampleHandle.fetchHistory()).events ?? []);
  const result = {
    signals: n, inFlight: sizes.ceilingInFlight, seconds: seconds(ms), signalsPerSec: round(n / (ms / 1000)),
    callMs: stats(latencies),
    workerApplied: { duringPhase: applied, perSec: round(applied / (ms / 1000)) },
    newCustomerHistory: { length: sample.historyLength, events: sampleHistory },
    cpuCores: cpu,
  };
  log(`${label}: ${result.signalsPerSec} signals/s; the worker applied ${applied} of them meanwhile (${result.workerApplied.perSec}/s)`);
  return { ...result, reset: await reset(label) };
}

/** Batches of `batchSize` events: `perCustomer` events for each of batchSize/perCustomer new customers. */
function makeBatches(prefix: string, batches: number, perCustomer: number): string[] {
  const sentAt = new Date().toISOString();
  return Array.from({ length: batches }, (_, b) => JSON.stringify({
    sentAt,
    batch: Array.from({ length: sizes.batchSize }, (_, k) => {
      const customer = Math.floor(k / perCustomer);
      return {
        type: 'track', userId: `${prefix}-${b}-${customer}`, event: 'Page Viewed', messageId: `${prefix}-${b}-${k}`,
        properties: { path: `/p/${k}`, title: 'Product page' }, timestamp: sentAt,
      };
    }),
  }));
}

async function ingestPhase(label: string, prefix: string, batches: number, perCustomer: number, inFlight: number) {
  const bodies = makeBatches(prefix, batches, perCustomer);
  const customersPerBatch = sizes.batchSize / perCustomer;
  log(`ingest ${label}: ${batches} requests of ${sizes.batchSize} events for ${customersPerBatch} customers, ${inFlight} in flight`);
  const limit = pLimit(inFlight);
  const latencies: number[] = [];
  let events = 0;
  let signals = 0;
  let failed = 0;
  let retries = 0;
  const stored0 = await storedEvents();
  const cpu0 = cpuSnapshot();
  const t0 = performance.now();
  await Promise.all(bodies.map((body) => limit(async () => {
    const s = performance.now();
    const res = await postRetrying('/v1/batch', body);
    const { status, json } = res;
    retries += res.retries;
    latencies.push(performance.now() - s);
    if (status !== 200) { failed += 1; log(`ingest ${label}: ${status} ${JSON.stringify(json).slice(0, 200)}`); return; }
    events += json.accepted as number;
    signals += json.customers as number;
  })));
  const ms = performance.now() - t0;
  const cpu = cpuCores(cpu0, cpuSnapshot());
  const applied = (await storedEvents()) - stored0;
  const perSec = (n: number) => round(n / (ms / 1000));
  const result = {
    requests: batches, eventsPerRequest: sizes.batchSize, customersPerRequest: customersPerBatch, requestsInFlight: inFlight,
    failedRequests: failed, retriedAfter503: retries,
    seconds: seconds(ms), eventsPerSec: perSec(events), signalsPerSec: perSec(signals), requestsPerSec: round(batches / (ms / 1000), 2),
    requestMs: stats(latencies),
    workerApplied: { eventsDuringPhase: applied, eventsPerSec: perSec(applied) },
    cpuCores: cpu,
  };
  log(`ingest ${label}: ${result.eventsPerSec} events/s, ${result.signalsPerSec} signals/s, ${result.requestsPerSec} req/s `
    + `(${retries} retries after 503)`);
  return { ...result, reset: await reset(`ingest ${label}`) };
}

/**
 * The API's ingest pipeline (normalise → identity resolution → signalWithStart, the same service
 * and its shared limit of 32) run in this process under the same load, with each stage timed
 * per request. Three runs: identity resolution alone (Temporal stubbed), both stages, and the
 * stage split of that run.
 */
async function profilePhase(database: Database, config: ReturnType<typeof loadConfig>) {
  const identities = identityRepository(database.models);
  const journeys = journeyRepository(database.models);
  type Timing = { resolveStart: number; resolveEnd: number; signalStart: number; signalEnd: number; claims: number; signals: number };
  const als = new AsyncLocalStorage<Timing>();
  const timedIdentities: IdentityRepository = {
    ...identities,
    async owners(keys) {
      const t = als.getStore();
      if (t && !t.resolveStart) t.resolveStart = performance.now();
      const result = await identities.owners(keys);
      if (t) t.resolveEnd = Math.max(t.resolveEnd, performance.now());
      return result;
    },
    async resolve(wanted, known) {
      const result = await identities.resolve(wanted, known);
      const t = als.getStore();
      if (t) { t.resolveEnd = Math.max(t.resolveEnd, performance.now()); t.claims += 1; }
      return result;
    },
  };
  const timedTemporal = (real: boolean): Client => {
    const workflow = {
      signalWithStart: async (...args: Parameters<Client['workflow']['signalWithStart']>) => {
        const t = als.getStore();
        if (t && !t.signalStart) t.signalStart = performance.now();
        const result = real ? await temporal.workflow.signalWithStart(...args) : undefined;
        if (t) { t.signalEnd = Math.max(t.signalEnd, performance.now()); t.signals += 1; }
        return result;
      },
    };
    return { workflow, connection: temporal.connection } as unknown as Client;
  };
  const run = async (label: string, real: boolean) => {
    const service = ingestService({
      temporal: timedTemporal(real), identities: timedIdentities, taskQueue, settings: { rules: config.lifecycleRules, policy: config.messagingPolicy },
      identity: config.identity, temporalDeadlineMs: config.api.temporalTimeoutMs, catalogRevision: journeys.catalogRevision,
    });
    const prefix = `prof-${label}`;
    const batches = makeBatches(prefix, sizes.profileBatches, 1).map((body) => (JSON.parse(body) as { batch: SegmentEvent[] }).batch);
    const limit = pLimit(sizes.requestsInFlight);
    const cpu0 = cpuSnapshot();
    const timings: Timing[] = [];
    const totals: number[] = [];
    let failures = 0;
    const t0 = performance.now();
    await Promise.all(batches.map((batch) => limit(async () => {
      const timing: Timing = { resolveStart: 0, resolveEnd: 0, signalStart: 0, signalEnd: 0, claims: 0, signals: 0 };
      const items: IngestItem[] = batch.map((event, i) => ({ event, at: `batch.${i}` }));
      const s = performance.now();
      try {
        await als.run(timing, () => service.ingest(items));
      } catch (err) {
        // A 503 (deadline) after some signals went through: those events still reach MongoDB.
        failures += 1;
        log(`profile ${label}: ${(err as Error).message}`);
      }
      totals.push(performance.now() - s);
      timings.push(timing);
    })));
    const ms = performance.now() - t0;
    const events = sizes.profileBatches * sizes.batchSize;
    const cpu = cpuCores(cpu0, cpuSnapshot());
    return {
      eventsPerSec: round(events / (ms / 1000)),
      failedRequests: failures,
      requestMs: stats(totals),
      identityResolutionMs: stats(timings.map((t) => t.resolveEnd - t.resolveStart)),
      ...(real && { signalWithStartMs: stats(timings.filter((t) => t.signalEnd).map((t) => t.signalEnd - t.signalStart)) }),
      cpuCores: cpu,
    };
  };
  log('profile: identity resolution alone (Temporal stubbed), in this process');
  const resolveOnly = await run('resolve', false);
  log(`profile: resolution alone ${resolveOnly.eventsPerSec} events/s`);
  log('profile: resolution + signalWithStart, in this process');
  const both = await run('both', true);
  log(`profile: both stages ${both.eventsPerSec} events/s`);
  await reset('profile');
  return {
    how: `ingestService (api/ingest/service.ts) in the bench process, ${sizes.profileBatches} requests of ${sizes.batchSize} new customers, ${sizes.requestsInFlight} in flight, stages timed per request with AsyncLocalStorage`,
    identityResolutionOnly: resolveOnly,
    resolutionThenSignal: both,
  };
}

/** Publishes the SMS template and a transactional trigger → send journey through the admin API. */
async function publishJourney(): Promise<void> {
  const admin = `Bearer ${adminKey}`;
  await mustPost('/v1/templates', { id: 'bench-sms', channel: 'sms', body: 'Your order is confirmed. Reply STOP to opt out.' }, admin);
  await mustPost('/v1/journeys', {
    id: 'bench', name: 'Bench: trigger → send', trigger: { type: 'event', event: 'Bench Triggered' }, entry: 'send',
    steps: {
      send: { type: 'send', channel: 'sms', template: 'bench-sms', priority: 'transactional', next: 'done' },
      done: { type: 'exit' },
    },
    reentry: { mode: 'never' }, onPause: 'hold',
  }, admin);
  await mustPost('/v1/journeys/bench/publish', {}, admin);
}

/** Polls `messages` for the customers waited on, all in one query, and resolves each one's sentAt. */
function sentWatcher() {
  const waiting = new Map<string, { resolve: (at: Date) => void; reject: (e: Error) => void; deadline: number }>();
  let running = false;
  const loop = async () => {
    running = true;
    while (waiting.size > 0) {
      const docs = await db.collection<{ _id: string; customerId: string; sentAt?: Date }>('messages')
        .find({ customerId: { $in: [...waiting.keys()] }, status: 'sent' }, { projection: { customerId: 1, sentAt: 1 } }).toArray();
      for (const doc of docs) {
        const w = waiting.get(doc.customerId);
        if (w && doc.sentAt) { waiting.delete(doc.customerId); w.resolve(doc.sentAt); }
      }
      const now = Date.now();
      for (const [id, w] of waiting) if (now > w.deadline) { waiting.delete(id); w.reject(new Error(`no message sent to ${id}`)); }
      await sleep(10);
    }
    running = false;
  };
  return (customerId: string, timeoutMs = 30_000): Promise<Date> => new Promise((resolve, reject) => {
    waiting.set(customerId, { resolve, reject, deadline: Date.now() + timeoutMs });
    if (!running) void loop().catch(reject);
  });
}

async function latencyPhase(label: string, n: number, inFlight: number) {
  log(`latency ${label}: ${n} customers, ${inFlight} in flight: POST /v1/track → message sent`);
  const waitSent = sentWatcher();
  const toSend: number[] = [];
  const ack: number[] = [];
  const customerIds: string[] = [];
  let failed = 0;
  const limit = pLimit(inFlight);
  const cpu0 = cpuSnapshot();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => limit(async () => {
    const userId = `lat-${label}-${i}`;
    const phone = `+86139${String(label === 'sequential' ? i : 50_000_000 + i).padStart(8, '0')}`;
    const body = JSON.stringify({ userId, event: 'Bench Triggered', messageId: `lat-${label}-${i}`, properties: { orderId: i }, context: { traits: { phone } } });
    const start = Date.now();
    const s = performance.now();
    const { status, json, retries } = await postRetrying('/v1/track', body);
    ack.push(performance.now() - s);
    if (retries > 0) log(`latency: ${userId} needed ${retries} retries after 503`);
    if (status !== 200) { failed += 1; log(`latency: ${status} ${JSON.stringify(json)}`); return; }
    const identity = await db.collection<{ _id: string; customerId: string }>('identities').findOne({ _id: `userId:${userId}` });
    if (!identity) { failed += 1; log(`latency: no identity for ${userId}`); return; }
    try {
      const sentAt = await waitSent(identity.customerId);
      toSend.push(sentAt.getTime() - start);
      customerIds.push(identity.customerId);
    } catch (err) { failed += 1; log(`latency: ${(err as Error).message}`); }
  })));
  const ms = performance.now() - t0;
  const cpu = cpuCores(cpu0, cpuSnapshot());
  const result = {
    customers: n, inFlight, failed, seconds: seconds(ms),
    eventToSentMs: stats(toSend), ackMs: stats(ack), cpuCores: cpu,
    // Where the time between the workflow's start and the send goes (histories of up to 50 of them).
    workflowPathToSend: await sendPathProfile(customerIds.slice(0, 50)),
    ...(customerIds[0] && { sampleHistory: historyComposition((await temporal.workflow.getHandle(customerWorkflowId(customerIds[0])).fetchHistory()).events ?? []) }),
  };
  log(`latency ${label}: event→sent p50 ${result.eventToSentMs.p50} ms, p95 ${result.eventToSentMs.p95} ms, p99 ${result.eventToSentMs.p99} ms; ack p50 ${result.ackMs.p50} ms`);
  return result;
}

async function historyPhase() {
  const total = sizes.historyEvents;
  const per = sizes.historyBatch;
  const userId = 'history-one-customer';
  log(`history: ${total} events to one customer, batches of ${per}, ${sizes.historyInFlight} in flight`);
  const bodies = Array.from({ length: Math.ceil(total / per) }, (_, r) => JSON.stringify({
    batch: Array.from({ length: Math.min(per, total - r * per) }, (_, k) => {
      const i = r * per + k;
      return i % 10 === 0
        ? { type: 'track', userId, event: 'Order Completed', messageId: `hist-${i}`, properties: { total: 10 } }
        : { type: 'track', userId, event: 'Page Viewed', messageId: `hist-${i}`, properties: { path: `/p/${i % 40}` } };
    }),
  }));
  const limit = pLimit(sizes.historyInFlight);
  const t0 = performance.now();
  await Promise.all(bodies.map((body) => limit(async () => {
    const { status, json } = await postRetrying('/v1/batch', body);
    if (status !== 200) throw new Error(`history: ${status} ${JSON.stringify(json)}`);
  })));
  const acceptedMs = performance.now() - t0;
  const identity = await db.collection<{ _id: string; customerId: string }>('identities').findOne({ _id: `userId:${userId}` });
  const customerId = identity!.customerId;
  const workflowId = customerWorkflowId(customerId);
  const handle = temporal.workflow.getHandle(workflowId);
  const deadline = Date.now() + sizes.applyTimeoutMs;
  let applied = 0;
  while (Date.now() < deadline) {
    applied = (await handle.query(stateQuery)).counters.events;
    if (applied >= total) break;
    await sleep(500);
  }
  const appliedMs = performance.now() - t0;
  // Let a continue-as-new triggered by the last signals finish before counting runs.
  await sleep(1500);
  const description = await handle.describe();
  // Every run of the chain (visibility lists them all), each described for its own history length.
  const runs: { runId: string; status: string; historyLength: number; historySizeBytes: number }[] = [];
  for await (const info of temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const d = await temporal.workflow.getHandle(workflowId, info.runId).describe();
    runs.push({ runId: info.runId, status: d.status.name, historyLength: d.historyLength, historySizeBytes: Number(d.historySize ?? 0) });
  }
  runs.sort((a, b) => (a.status === 'RUNNING' ? 1 : 0) - (b.status === 'RUNNING' ? 1 : 0));
  const stored = await db.collection('events').countDocuments({ customerId });
  const maxRun = Math.max(...runs.map((r) => r.historyLength));
  const result = {
    events: total, eventsPerRequest: per, requests: bodies.length, acceptedSeconds: seconds(acceptedMs), appliedSeconds: seconds(appliedMs),
    appliedByWorkflow: applied, storedInMongo: stored,
    runs: runs.length,
    continuedAsNew: runs.filter((r) => r.status === 'CONTINUED_AS_NEW').length,
    finalRun: { historyLength: Number(description.historyLength), historySizeBytes: Number(description.historySize ?? 0) },
    maxHistoryLengthPerRun: maxRun,
    perRunHistoryLength: runs.map((r) => r.historyLength),
    maxHistorySizeBytesPerRun: Math.max(...runs.map((r) => r.historySizeBytes)),
    bound: 'continueAsNew at 500 signals or 2,000 history events (or when the server suggests it); server terminates at 51,200 events',
  };
  log(`history: ${result.runs} runs, final run history ${result.finalRun.historyLength}, max per run ${maxRun}`);
  return result;
}

/** The live customers' settings: UTC with no quiet hours, so that when the bench runs does not decide whether the herd and the broadcast send. */
function liveSettingsOf(settings: CustomerSettings): CustomerSettings {
  const { quietHours: _quietHours, ...policy } = settings.policy;
  return { ...settings, policy: { ...policy, defaultTimeZone: 'UTC' } };
}

/** Replaces the worker with one that caches `sizes.liveCache` workflows, with `extraEnv` over `childEnv`. */
async function restartWorker(childEnv: NodeJS.ProcessEnv, extraEnv: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  const old = children.find((c) => c.pid === pids.worker)!;
  retired.add(old);
  await stopChild(old);
  const worker = runChild('worker', 'worker/main.ts', { ...childEnv, WORKER_MAX_CACHED_WORKFLOWS: String(sizes.liveCache), ...extraEnv });
  await waitForOutput(worker, 'worker polling task queue', 180_000);
  pids.worker = worker.pid!;
  return worker;
}

/**
 * Live customers: a fresh worker with a small workflow cache, then new customers (one order each,
 * so each also waits on its at-risk timer) until well past the cache size. Worker memory should
 * level off once the cache is full: evicted workflows live on in Temporal, not in the worker.
 */
async function livePhase(childEnv: NodeJS.ProcessEnv, settings: CustomerSettings, catalogRevision: number) {
  const n = sizes.liveCustomers;
  log(`live: restarting the worker with WORKER_MAX_CACHED_WORKFLOWS=${sizes.liveCache}, then ${n} new customers`);
  const worker = await restartWorker(childEnv);
  await sleep(2000);
  const idle = memoryOf(worker.pid!);
  // Nothing else writes events during this phase: the count of the collection (metadata, no scan;
  // a regex count scanned every event twice every 5 s and took 0.7 of a core from the measured run).
  const eventsBefore = await db.collection('events').estimatedDocumentCount();
  const applied = async () => (await db.collection('events').estimatedDocumentCount()) - eventsBefore;
  const samples: { applied: number; rssMB: number }[] = [];
  let sampling = true;
  const sampler = (async () => {
    // A line a minute, so that a long run shows its progress (and what it had reached if it is stopped).
    for (let k = 1; sampling; k++) {
      samples.push({ applied: await applied(), rssMB: memoryOf(worker.pid!).rssMB });
      const [now, minuteAgo] = [samples.at(-1)!, samples.at(-13)];
      if (k % 12 === 0 && minuteAgo) log(`live: ${now.applied} of ${n} applied, ${round((now.applied - minuteAgo.applied) / 60)}/s over the last minute; worker RSS ${now.rssMB} MB; load ${loadAverage().join(' ')}`);
      await sleep(5000);
    }
  })();
  const limit = pLimit(8);
  // The segment the broadcast goes to.
  const cohort = `live-${Date.now().toString(36)}`;
  const liveSettings = liveSettingsOf(settings);
  const customerIds = Array.from({ length: n }, () => newCustomerId());
  const t0 = performance.now();
  await Promise.all(customerIds.map((customerId, i) => limit(() => temporal.workflow.signalWithStart('customerWorkflow', {
    ...startCustomerOptions(customerId, liveSettings, taskQueue), signal: eventsSignal,
    signalArgs: [[{ messageId: `live-${i}`, kind: 'track', name: 'Order Completed', properties: { total: 10 }, traits: { benchCohort: cohort }, timestamp: new Date().toISOString() }], { catalogRevision }],
  }))));
  const acceptedSeconds = seconds(performance.now() - t0);
  log(`live: ${n} accepted in ${acceptedSeconds} s (${round(n / acceptedSeconds)}/s)`);
  const deadline = Date.now() + Math.max(30 * 60_000, n * 250);
  while ((await applied()) < n && Date.now() < deadline) await sleep(2000);
  const appliedSeconds = seconds(performance.now() - t0);
  sampling = false;
  await sampler;
  const end = { applied: await applied(), ...memoryOf(worker.pid!) };
  const running = (await temporal.workflow.count('ExecutionStatus = "Running"')).count;
  // Memory once the cache was full against memory at the end, and over the second half of the
  // customers alone (the heap settles for a while after the cache fills): the growth per customer.
  const atCache = samples.find((x) => x.applied >= sizes.liveCache) ?? samples[0]!;
  const atHalf = samples.find((x) => x.applied >= n / 2) ?? atCache;
  // Flat: every sample once twice the cache has been applied (the heap settles after the fill) within ±10% of their mean.
  const settledSamples = [...samples, end].filter((x) => x.applied >= 2 * sizes.liveCache);
  const settled = settledSamples.map((x) => x.rssMB);
  const settledMean = settled.reduce((a, b) => a + b, 0) / Math.max(1, settled.length);
  const flat = settled.length === 0 ? null : {
    samples: settled.length, meanMB: round(settledMean), minMB: Math.min(...settled), maxMB: Math.max(...settled),
    maxDeviationPercent: round(Math.max(...settled.map((v) => Math.abs(v - settledMean) / settledMean)) * 100),
    withinTenPercent: settled.every((v) => Math.abs(v - settledMean) <= 0.1 * settledMean),
  };
  // The heap between collections makes every 5-s sample swing; what the cache bounds is what stays after a
  // collection: the lowest sample of each minute (12 samples), and the trend of those floors per 10,000 customers.
  const floors = Array.from({ length: Math.floor(settledSamples.length / 12) }, (_, k) => settledSamples.slice(k * 12, k * 12 + 12))
    .map((w) => w.reduce((low, x) => (x.rssMB < low.rssMB ? x : low)));
  const floorMean = floors.reduce((a, x) => a + x.rssMB, 0) / Math.max(1, floors.length);
  const slope = (points: { applied: number; rssMB: number }[]): number | null => {
    if (points.length < 2) return null;
    const mx = points.reduce((a, p) => a + p.applied, 0) / points.length;
    const my = points.reduce((a, p) => a + p.rssMB, 0) / points.length;
    const sxx = points.reduce((a, p) => a + (p.applied - mx) ** 2, 0);
    return sxx === 0 ? null : round((points.reduce((a, p) => a + (p.applied - mx) * (p.rssMB - my), 0) / sxx) * 10_000);
  };
  const floorsOnceCacheFull = floors.length === 0 ? null : {
    minutes: floors.length, meanMB: round(floorMean), minMB: Math.min(...floors.map((f) => f.rssMB)), maxMB: Math.max(...floors.map((f) => f.rssMB)),
    maxDeviationPercent: round(Math.max(...floors.map((f) => Math.abs(f.rssMB - floorMean) / floorMean)) * 100),
    withinTenPercent: floors.every((f) => Math.abs(f.rssMB - floorMean) <= 0.1 * floorMean),
    trendMBPer10kCustomers: slope(floors), trendOfAllSamplesMBPer10kCustomers: slope(settledSamples),
  };
  const result = {
    customers: n, workerCache: sizes.liveCache, acceptedSeconds, acceptedPerSec: round(n / acceptedSeconds), appliedSeconds, appliedPerSec: round(end.applied / appliedSeconds),
    runningWorkflows: running,
    workerRssMB: { idle: idle.rssMB, whenCacheFull: atCache.rssMB, end: end.rssMB, peak: end.peakRssMB },
    workerRssOnceCacheFull: flat,
    workerRssFloorsOnceCacheFull: floorsOnceCacheFull,
    loadAverage: loadAverage(),
    growthAfterCacheFullKBPerCustomer: end.applied > atCache.applied ? round(((end.rssMB - atCache.rssMB) * 1024) / (end.applied - atCache.applied), 2) : null,
    growthSecondHalfKBPerCustomer: end.applied > atHalf.applied ? round(((end.rssMB - atHalf.rssMB) * 1024) / (end.applied - atHalf.applied), 2) : null,
    samples: samples.filter((_, i) => i % 3 === 0),
  };
  log(`live: ${end.applied} customers applied in ${appliedSeconds} s; worker RSS ${idle.rssMB} idle → ${atCache.rssMB} with a full cache → ${end.rssMB} MB at the end`);
  return { result, customerIds, cohort, liveSettings };
}

/**
 * `n` customers of one new cohort stored as profiles with no workflow running: one made by its
 * workflow as a live customer is, the rest copies of its profile under new ids. The worker restarts
 * with the live phase's cache and the live customers' policy (UTC, no quiet hours), which the
 * workflows the broadcast starts take from it.
 */
async function seedProfiles(childEnv: NodeJS.ProcessEnv, settings: CustomerSettings, catalogRevision: number, n: number): Promise<string> {
  await restartWorker(childEnv, { MESSAGING_POLICY: JSON.stringify({ quietHours: null, defaultTimeZone: 'UTC' }) });
  const cohort = `stored-${Date.now().toString(36)}`;
  const model = newCustomerId();
  await temporal.workflow.signalWithStart('customerWorkflow', {
    ...startCustomerOptions(model, liveSettingsOf(settings), taskQueue), signal: eventsSignal,
    signalArgs: [[{ messageId: `stored-${cohort}`, kind: 'track', name: 'Order Completed', properties: { total: 10 }, traits: { benchCohort: cohort }, timestamp: new Date().toISOString() }], { catalogRevision }],
  });
  const customers = db.collection<{ _id: string }>('customers');
  const deadline = Date.now() + 60_000;
  let doc = await customers.findOne({ _id: model });
  while (!doc && Date.now() < deadline) { await sleep(250); doc = await customers.findOne({ _id: model }); }
  if (!doc) throw new Error(`the model customer ${model} was not written within 60 s`);
  // The profile names its customer only by _id (identities live in their own collection).
  if (JSON.stringify({ ...doc, _id: undefined }).includes(model)) throw new Error('the model profile names its customer beyond _id: copies would not be other customers');
  const t0 = performance.now();
  for (let i = 1; i < n; i += 5000) {
    await customers.insertMany(Array.from({ length: Math.min(5000, n - i) }, () => ({ ...structuredClone(doc), _id: newCustomerId() })));
  }
  log(`broadcast: ${n} stored profiles of cohort ${cohort} (one made by its workflow, ${n - 1} copies) in ${seconds(performance.now() - t0)} s`);
  return cohort;
}

// ---------------------------------------------------------------------------------------------
// Main

const postgresVersion = (): string => {
  try { return readdirSync('/usr/lib/postgresql').sort().at(-1) ?? '?'; } catch { return '?'; }
};

const machineFacts = (loadAverageAtStart: number[]) => ({
  nproc: cpus().length, cpu: cpus()[0]?.model, memoryGB: round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform} ${process.arch}`, loadAverageAtStart,
});

async function main() {
  const startedAt = new Date();
  const loadAverageAtStart = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  log(`load average at start: ${loadAverageAtStart.join(' ')}`);
  tempDir = mkdtempSync(path.join(tmpdir(), 'closedloop-bench-'));
  log(onServer
    ? 'starting Temporal Server 1.32.2 on a throw-away PostgreSQL cluster (built into .cache/temporal-server/ on first use) and mongo-java-server (memory)'
    : `starting Temporal dev server (--db-filename in ${tempDir}) and mongo-java-server (memory)`);
  let cluster: TemporalServerCluster | undefined;
  const [temporalServer, mongo] = await Promise.all([
    onServer ? startTemporalServer().then((c) => (cluster = c)) : startTemporal({ dbFile: path.join(tempDir, 'temporal.db') }),
    startMongo({ storage: 'memory', heap: sizes.mongoHeap }),
  ]);
  servers.push(temporalServer, mongo);
  const found = serverPids();
  const temporalPid = cluster ? cluster.serverPid() : found.temporal;
  const mongoPid = found.mongo;
  if (!temporalPid || !mongoPid) throw new Error('cannot find the server processes in /proc');

  taskQueue = 'closedloop-bench';
  const apiPort = await freePort();
  const childEnv: NodeJS.ProcessEnv = {
    ...env, TEMPORAL_ADDRESS: temporalServer.address, MONGODB_URI: `${mongo.address}/bench`, TEMPORAL_TASK_QUEUE: taskQueue,
    API_PORT: String(apiPort), API_WRITE_KEYS: writeKey, API_ADMIN_KEYS: adminKey, LOG_LEVEL: 'warn', PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
  };
  const config = loadConfig(childEnv);
  log('starting the worker and the API as child processes');
  const worker = runChild('worker', 'worker/main.ts', childEnv);
  const workerReady = waitForOutput(worker, 'worker polling task queue', 180_000);
  const minimalTaskQueue = `${taskQueue}-minimal`;
  const minimalWorker = runChild('minimal worker', 'scripts/bench/minimal-worker.ts', { ...childEnv, MINIMAL_TASK_QUEUE: minimalTaskQueue });
  const minimalReady = waitForOutput(minimalWorker, 'minimal worker polling', 180_000);
  const apiChild = runChild('api', 'api/main.ts', childEnv);
  api = `http://127.0.0.1:${apiPort}`;
  await Promise.all([workerReady, minimalReady, waitForHealth(`${api}/healthz`, 60_000)]);
  pids = { temporal: temporalPid, mongo: mongoPid, worker: worker.pid!, api: apiChild.pid!, ...(cluster && { postgres: cluster.postgresPid() }) };

  const mongoClient = await MongoClient.connect(`${mongo.address}`);
  closers.push(() => mongoClient.close());
  db = mongoClient.db('bench');
  const connection = await Connection.connect({ address: temporalServer.address });
  closers.push(() => connection.close());
  temporal = new Client({ connection, namespace: config.temporal.namespace });

  await publishJourney();
  const catalogRevision = (await db.collection<{ _id: string; value: number }>('counters').findOne({ _id: 'journey_catalog' }))?.value ?? 0;
  await sleep(2000);
  const memoryBefore = memoryOf(pids.worker);
  log(`worker RSS before load: ${memoryBefore.rssMB} MB`);

  const cost = () => costPhase({
    temporal, db, api, writeAuth, adminAuth: `Bearer ${adminKey}`, minimalTaskQueue, log,
    cpu: async (run) => {
      const from = cpuSnapshot();
      const minimalFrom = cpuSecondsOf(minimalWorker.pid!);
      const result = await run();
      const minimalWorkerCores = round((cpuSecondsOf(minimalWorker.pid!) - minimalFrom) / ((performance.now() - from.at) / 1000), 2);
      return { ...result, cpuCores: { ...cpuCores(from, cpuSnapshot()), minimalWorker: minimalWorkerCores } };
    },
    sizes: { catalogs: sizes.costCatalogs, customersPerSize: sizes.costCustomers, throughputCustomers: sizes.costThroughputCustomers, requestsInFlight: sizes.requestsInFlight },
  });
  const settings = { rules: config.lifecycleRules, policy: config.messagingPolicy };
  const setupText = {
    temporal: onServer
      ? 'Temporal Server 1.32.2 (go install from the Go module proxy; frontend, history, matching, worker in one process, 4 history shards) on PostgreSQL '
        + `${postgresVersion()} (throw-away cluster in a temp dir), config scripts/temporal-server/development-postgres.yaml`
      : 'Temporal CLI 1.9.1 dev server (Server 1.32), SQLite via --db-filename in a temp dir (journal_mode=wal, synchronous=normal), headless',
    mongodb: `mongo-java-server 1.47.0, memory backend (-Xmx${sizes.mongoHeap})`,
  };
  const command = `${onServer ? 'BENCH_TEMPORAL=server ' : ''}${only ? `BENCH_ONLY=${only} ` : ''}npm run -s bench`;
  if (only === 'cost') {
    const result = { command, startedAt: startedAt.toISOString(), machine: machineFacts(loadAverageAtStart), setup: setupText, sizes, cost: await cost() };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const scaleContext: ScaleContext = {
    temporal, db, api, adminAuth: `Bearer ${adminKey}`, taskQueue, minimalTaskQueue, settings, log,
    cpu: async (run) => {
      const from = cpuSnapshot();
      const result = await run();
      return { ...result, cpuCores: cpuCores(from, cpuSnapshot()) };
    },
  };
  /** Live customers, then the herd and the broadcast on them; or the broadcast alone, to stored profiles. */
  const scale = async () => {
    if (sizes.liveCustomers === 0 && sizes.broadcastSeeded > 0) {
      const cohort = await seedProfiles(childEnv, settings, catalogRevision, sizes.broadcastSeeded);
      return { live: undefined, herd: undefined, broadcast: await broadcastPhase(scaleContext, cohort, sizes.broadcastSeeded, sizes.broadcastRatePerSecond, sizes.broadcastMinutes) };
    }
    if (sizes.liveCustomers === 0) return undefined;
    const from = cpuSnapshot();
    const live = await livePhase(childEnv, settings, catalogRevision);
    const liveResult = { ...live.result, cpuCores: cpuCores(from, cpuSnapshot()) };
    const herd = sizes.herdCustomers > 0
      ? await herdPhase({ ...scaleContext, settings: live.liveSettings }, live.customerIds, sizes.herdCustomers, { signalsPerSec: liveResult.appliedPerSec, historySample: sizes.herdHistorySample })
      : undefined;
    const broadcast = sizes.broadcast > 0 ? await broadcastPhase(scaleContext, live.cohort, live.customerIds.length, sizes.broadcastRatePerSecond, sizes.broadcastMinutes) : undefined;
    return { live: liveResult, herd, broadcast };
  };
  if (only === 'faults') {
    if (!cluster) throw new Error('BENCH_ONLY=faults needs BENCH_TEMPORAL=server (the dev server is one process: nothing to restart apart)');
    const c = cluster;
    const faults = await faultPhase({
      api, writeAuth, db, cluster: c, log, restarted: () => { pids.temporal = c.serverPid() ?? 0; },
      sizes: { customers: sizes.faultCustomers, eventsPerRequest: 20, outageSeconds: sizes.faultOutageSeconds },
    });
    const result = { command, startedAt: startedAt.toISOString(), seconds: seconds(Date.now() - startedAt.getTime()), machine: machineFacts(loadAverageAtStart), loadAverageAtEnd: loadAverage(), setup: setupText, faults };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (faults.lost > 0 || faults.appliedTwice > 0 || faults.profilesBehind > 0) process.exitCode = 1;
    return;
  }
  if (only === 'scale') {
    // The reference first and last, so drift weighs on both sides; the worker's cache is the live phase's.
    const before = await minimalReference(scaleContext, 'before', sizes.scaleReferenceWorkflows);
    const phases = await scale();
    const after = await minimalReference(scaleContext, 'after', sizes.scaleReferenceWorkflows);
    const minimalPerSec = round((before.perSec + after.perSec) / 2);
    const result = {
      command, startedAt: startedAt.toISOString(), seconds: seconds(Date.now() - startedAt.getTime()), machine: machineFacts(loadAverageAtStart),
      loadAverageAtEnd: loadAverage(), setup: setupText, sizes,
      reference: { minimalWorkflowPerSec: minimalPerSec, runs: [before, after] },
      ...(phases && {
        ...(phases.live && { live: { ...phases.live, ratioAppliedToMinimal: round(phases.live.appliedPerSec / minimalPerSec, 2), ratioAcceptedToMinimalAccepted: round(phases.live.acceptedPerSec / (sizes.scaleReferenceWorkflows / ((before.acceptedSeconds + after.acceptedSeconds) / 2)), 2) } }),
        ...(phases.herd && { herd: { ...phases.herd, ratioToMinimal: phases.herd.actedPerSec ? round(phases.herd.actedPerSec / minimalPerSec, 2) : null } }),
        ...(phases.broadcast && { broadcast: { ...phases.broadcast, ratioToMinimal: round(phases.broadcast.messagesPerSec / minimalPerSec, 2) } }),
      }),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }

  // Ceiling, ingest, ingest, ceiling again: drift (a growing database, other load on the machine)
  // weighs on both sides alike; the ceiling is the mean of the two.
  const ceilingBefore = await ceilingPhase('ceiling', settings, catalogRevision);
  const distinctRaw = await ingestPhase('100 customers/request', 'ing', sizes.distinctBatches, 1, sizes.requestsInFlight);
  const groupedRaw = await ingestPhase('10 customers/request', 'grp', sizes.groupedBatches, sizes.groupedPerCustomer, sizes.requestsInFlight);
  const ceilingAfter = await ceilingPhase('ceiling again', settings, catalogRevision);
  const ceilingPerSec = round((ceilingBefore.signalsPerSec + ceilingAfter.signalsPerSec) / 2);
  const withRatios = <T extends { signalsPerSec: number; eventsPerSec: number }>(r: T) => ({
    ...r, ratioSignalsToCeiling: round(r.signalsPerSec / ceilingPerSec, 2), ratioEventsToCeiling: round(r.eventsPerSec / ceilingPerSec, 2),
  });
  const ceiling = { signalsPerSec: ceilingPerSec, runs: [ceilingBefore, ceilingAfter] };
  const distinct = withRatios(distinctRaw);
  const grouped = withRatios(groupedRaw);
  const ratio = distinct.ratioSignalsToCeiling;
  log(`ceiling ${ceilingPerSec} signals/s (${ceilingBefore.signalsPerSec} and ${ceilingAfter.signalsPerSec}); ingest ${distinct.signalsPerSec} signals/s = ${ratio} of it `
    + `(10 events a customer: ${grouped.eventsPerSec} events/s, ${grouped.ratioSignalsToCeiling} in signals)`);

  let profile: (Awaited<ReturnType<typeof profilePhase>> & { apiOneRequestInFlight: ReturnType<typeof withRatios<Awaited<ReturnType<typeof ingestPhase>>>> }) | undefined;
  if (profileMode === '1' || (profileMode === 'auto' && ratio < target)) {
    const database = await connectDatabase(config.mongodbUri);
    closers.push(() => database.close());
    const stages = await profilePhase(database, config);
    // The same API with nothing queued behind another request's signals (no 503 from the deadline).
    const apiOneRequestInFlight = withRatios(await ingestPhase('1 request in flight', 'one', sizes.profileBatches, 1, 1));
    profile = { ...stages, apiOneRequestInFlight };
  }

  const latencySequential = await latencyPhase('sequential', sizes.latencyCustomers, 1);
  const latencyConcurrent = await latencyPhase('concurrent', sizes.latencyConcurrentCustomers, sizes.latencyInFlight);
  const history = await historyPhase();

  const memoryAfter = memoryOf(pids.worker);
  // Before the live phase replaces the worker (and its cache) and fills the server with waiting customers.
  await reset('cost');
  const costPerEvent = await cost();
  const scaled = await scale();
  const minimalPerSec = costPerEvent.throughput.minimalWorkflowPerSec;
  const live = scaled?.live && {
    ...scaled.live, ratioAppliedToMinimal: round(scaled.live.appliedPerSec / minimalPerSec, 2), ratioAcceptedToCeiling: round(scaled.live.acceptedPerSec / ceilingPerSec, 2),
  };
  const herd = scaled?.herd && { ...scaled.herd, ratioToMinimal: scaled.herd.actedPerSec ? round(scaled.herd.actedPerSec / minimalPerSec, 2) : null };
  const broadcast = scaled?.broadcast && { ...scaled.broadcast, ratioToMinimal: round(scaled.broadcast.messagesPerSec / minimalPerSec, 2) };
  const running = await temporal.workflow.count('ExecutionStatus = "Running"');
  const summary = {
    command,
    startedAt: startedAt.toISOString(),
    seconds: seconds(Date.now() - startedAt.getTime()),
    machine: machineFacts(loadAverageAtStart),
    loadAverageAtEnd: loadAverage(),
    setup: {
      ...setupText,
      workerAndApi: 'child processes: node --import tsx worker/main.ts, node --import tsx api/main.ts (LOG_LEVEL=warn)',
      loadGenerator: 'this process: @temporalio/client for the ceiling, fetch over loopback for the API, mongodb driver for polling',
      sizes,
    },
    ceiling,
    ingest: {
      distinctCustomers: distinct,
      groupedCustomers: grouped,
      ratio,
      target,
      meetsTarget: ratio >= target,
      note: 'ratio = API signals/s (100 customers per request, one event each) ÷ bare-client signalWithStart/s (mean of the runs before and after the ingest runs). With 10 events per customer per request, events/s exceed the ceiling because 10 events travel in one signal. Between phases every running workflow is terminated so each phase starts on an idle server.',
    },
    ...(profile && { profile }),
    latency: { sequential: latencySequential, concurrent: latencyConcurrent },
    history,
    costPerEvent,
    ...(live && { live }),
    ...(herd && { herd }),
    ...(broadcast && { broadcast }),
    retriedAfter503: retried503,
    memory: {
      workerRssBeforeMB: memoryBefore.rssMB, workerRssAfterMB: memoryAfter.rssMB, workerPeakRssMB: memoryAfter.peakRssMB,
      maxCachedWorkflows: config.workerMaxCachedWorkflows, maxCachedWorkflowsSource: 'WORKER_MAX_CACHED_WORKFLOWS (config.ts default)',
      runningWorkflows: running.count,
    },
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

try {
  await main();
} catch (err) {
  log(`failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
