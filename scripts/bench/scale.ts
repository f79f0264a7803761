// The bench's scale phases, run on the live customers (each waiting on its at-risk timer):
//   herd      — many of them woken by timers at the same instant (a journey's `wait_until` to one
//               date and minute): time from that instant until every one has acted (its message
//               sent), the rate, and workflow task timeouts in their histories;
//   broadcast — a campaign to the segment of all live customers at its ratePerSecond: start to
//               last send, messages a second, and no customer sent the broadcast twice;
//   reference — the minimal workflow (one signal, one activity upserting one document) fully
//               applied on the same server in the same run, which throughputs are divided by.
import { performance } from 'node:perf_hooks';
import pLimit from 'p-limit';
import type { Db } from 'mongodb';
import type { Client } from '@temporalio/client';
import protos from '@temporalio/proto';
import { customerWorkflowId, eventsSignal } from '../../workflows/customer-contract.js';
import { startCustomerOptions } from '../../activities/temporal.js';
import { loadAverage, round, sleep, spread } from './measure.js';

type Settings = Parameters<typeof startCustomerOptions>[1];
export interface ScaleContext {
  temporal: Client;
  db: Db;
  api: string;
  adminAuth: string;
  taskQueue: string;
  minimalTaskQueue: string;
  settings: Settings;
  log: (msg: string) => void;
  /** Cores used per process (and by other processes on the machine) while `run` runs. */
  cpu: <T>(run: () => Promise<T>) => Promise<T & { cpuCores: Record<string, number> }>;
}

const EventType = protos.temporal.api.enums.v1.EventType;
const TimeoutType = protos.temporal.api.enums.v1.TimeoutType;

async function admin(ctx: ScaleContext, method: string, pathname: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${ctx.api}${pathname}`, {
    method, headers: { 'Content-Type': 'application/json', Authorization: ctx.adminAuth }, ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok && res.status !== 409) throw new Error(`${method} ${pathname}: ${res.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}
const catalogRevision = async (db: Db): Promise<number> =>
  (await db.collection<{ _id: string; value: number }>('counters').findOne({ _id: 'journey_catalog' }))?.value ?? 0;

/** The minimal workflow, `k` new ones, 32 signalWithStart in flight, until every document is written. */
export async function minimalReference(ctx: ScaleContext, label: string, k: number) {
  return ctx.cpu(async () => {
    const docs = ctx.db.collection('minimal');
    const base = await docs.countDocuments();
    const limit = pLimit(32);
    const tag = `${Date.now().toString(36)}-${label}`;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: k }, (_, i) => limit(() => ctx.temporal.workflow.signalWithStart('minimalWorkflow', {
      workflowId: `minimal-scale-${tag}-${i}`, taskQueue: ctx.minimalTaskQueue, args: [`scale-${tag}-${i}`], signal: 'touch', signalArgs: ['order'],
    }))));
    const acceptedSeconds = round((performance.now() - t0) / 1000, 2);
    const deadline = Date.now() + 20 * 60_000;
    while ((await docs.countDocuments()) < base + k && Date.now() < deadline) await sleep(250);
    const secondsTaken = (performance.now() - t0) / 1000;
    const result = { workflows: k, acceptedSeconds, seconds: round(secondsTaken, 2), perSec: round(k / secondsTaken), loadAverage: loadAverage() };
    ctx.log(`reference (${label}): minimal workflow ${result.perSec}/s fully applied, ${round(k / acceptedSeconds)}/s accepted; load ${result.loadAverage.join(' ')}`);
    return result;
  });
}

/**
 * Workflow task timeouts (by type, and since `since`) and failures in the histories of up to
 * `sample` of these customers. SCHEDULE_TO_START is a task left on the worker's sticky queue past
 * WORKER_STICKY_QUEUE_TIMEOUT (then given to any worker); START_TO_CLOSE is a task the worker did not finish in 10 s.
 */
async function taskTroubles(ctx: ScaleContext, customerIds: string[], sample: number, since: number) {
  const step = Math.max(1, Math.floor(customerIds.length / Math.max(1, sample)));
  const picked = customerIds.filter((_, i) => i % step === 0).slice(0, sample);
  const timeouts: Record<string, number> = {};
  const sinceTimeouts: Record<string, number> = {};
  let failed = 0;
  let withTimeoutSince = 0;
  // Where a woken customer waited: seconds from the instant to each step of its wake-up, per history.
  const milestones: Record<string, number[]> = { timerFired: [], firstTaskStarted: [], sendScheduled: [], sendStarted: [], sendCompleted: [] };
  const limit = pLimit(16);
  await Promise.all(picked.map((id) => limit(async () => {
    const events = (await ctx.temporal.workflow.getHandle(customerWorkflowId(id)).fetchHistory()).events ?? [];
    let any = false;
    const order: [keyof typeof milestones, protos.temporal.api.enums.v1.EventType][] = [
      ['timerFired', EventType.EVENT_TYPE_TIMER_FIRED], ['firstTaskStarted', EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED],
      ['sendScheduled', EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED], ['sendStarted', EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED],
      ['sendCompleted', EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED],
    ];
    let next = 0;
    for (const e of events) {
      const at = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
      if (at >= since && next < order.length && e.eventType === order[next]![1]) milestones[order[next++]![0]]!.push((at - since) / 1000);
    }
    for (const e of events) {
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) failed += 1;
      if (e.eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) continue;
      const type = (TimeoutType[e.workflowTaskTimedOutEventAttributes?.timeoutType ?? 0] ?? '?').replace(/^TIMEOUT_TYPE_/, '');
      timeouts[type] = (timeouts[type] ?? 0) + 1;
      const at = Number(e.eventTime?.seconds ?? 0) * 1000;
      if (at >= since) { sinceTimeouts[type] = (sinceTimeouts[type] ?? 0) + 1; any = true; }
    }
    if (any) withTimeoutSince += 1;
  })));
  return {
    historiesRead: picked.length,
    secondsAfterWake: Object.fromEntries(Object.entries(milestones).map(([k, xs]) => [k, spread(xs)])),
    workflowTaskTimeoutsSinceWake: sinceTimeouts, customersWithATimeoutSinceWake: withTimeoutSince,
    workflowTaskTimeoutsWholeHistory: timeouts, workflowTaskFailures: failed,
  };
}

/**
 * Thundering herd: `n` live customers enter a journey whose first step waits until one date and
 * minute (UTC: the live customers' time zone), then sends a transactional message (webhook channel: no address needed). The instant is
 * chosen so that all of them have entered before it (from `signalsPerSec`, the rate the worker
 * applied the live customers at); all their timers fire at that instant. Those entering later act
 * at once (`enteredBeforeWake` says how many did not).
 */
export async function herdPhase(ctx: ScaleContext, customerIds: string[], n: number, options: { signalsPerSec: number; historySample: number }) {
  const herd = customerIds.slice(0, n);
  const runId = Date.now().toString(36);
  const journeyId = `bench-herd-${runId}`;
  // A customer enters when its workflow has applied the signal: the live phase's applied rate is the estimate
  // (its acceptance rate left a fifth of the herd entering after the instant in a run of 3,000).
  const signalSeconds = herd.length / Math.max(1, options.signalsPerSec);
  const wakeAt = new Date(Math.ceil((Date.now() + (signalSeconds * 1.5 + 90) * 1000) / 60_000) * 60_000);
  const iso = wakeAt.toISOString();
  ctx.log(`herd: ${herd.length} customers into ${journeyId}, all waiting until ${iso} (in ${round((wakeAt.getTime() - Date.now()) / 1000)} s)`);
  await admin(ctx, 'POST', '/v1/templates', { id: 'bench-herd', channel: 'webhook', body: 'Your reward is ready.' });
  await admin(ctx, 'POST', '/v1/journeys', {
    id: journeyId, name: 'Bench: herd', trigger: { type: 'event', event: 'Herd Joined' }, entry: 'wait',
    steps: {
      wait: { type: 'wait_until', date: iso.slice(0, 10), time: iso.slice(11, 16), next: 'send' },
      send: { type: 'send', channel: 'webhook', template: 'bench-herd', priority: 'transactional', next: 'done' },
      done: { type: 'exit' },
    },
    reentry: { mode: 'never' }, onPause: 'hold',
  });
  await admin(ctx, 'POST', `/v1/journeys/${journeyId}/publish`);
  const revision = await catalogRevision(ctx.db);

  const limit = pLimit(16);
  const t0 = performance.now();
  await Promise.all(herd.map((customerId, i) => limit(() => ctx.temporal.workflow.signalWithStart('customerWorkflow', {
    ...startCustomerOptions(customerId, ctx.settings, ctx.taskQueue), signal: eventsSignal,
    signalArgs: [[{ messageId: `herd-${runId}-${i}`, kind: 'track', name: 'Herd Joined', properties: {}, traits: {}, timestamp: new Date().toISOString() }], { catalogRevision: revision }],
  }))));
  const signalledSeconds = round((performance.now() - t0) / 1000, 2);
  const inJourney = async () => (await ctx.temporal.workflow.count(`ActiveJourneys = "${journeyId}" AND ExecutionStatus = "Running"`)).count;
  let entered = await inJourney();
  while (entered < herd.length && Date.now() < wakeAt.getTime() - 2000) {
    await sleep(2000);
    entered = await inJourney();
  }
  const enteredBeforeWake = entered;
  ctx.log(`herd: signalled in ${signalledSeconds} s; ${enteredBeforeWake} of ${herd.length} in the journey before ${iso}`);

  const messages = ctx.db.collection<{ customerId: string; status: string; sentAt?: Date; journeyId?: string }>('messages');
  const sentCount = () => messages.countDocuments({ journeyId, status: 'sent' });
  const samples: { secondsAfterWake: number; sent: number }[] = [];
  while (Date.now() < wakeAt.getTime()) await sleep(200);
  const result = await ctx.cpu(async () => {
    const deadline = Date.now() + 30 * 60_000;
    let sent = 0;
    let last = -1;
    let stalledSince = Date.now();
    while (sent < herd.length && Date.now() < deadline) {
      await sleep(1000);
      sent = await sentCount();
      samples.push({ secondsAfterWake: round((Date.now() - wakeAt.getTime()) / 1000), sent });
      if (samples.length % 60 === 0) ctx.log(`herd: ${sent} of ${herd.length} acted ${samples.at(-1)!.secondsAfterWake} s after the wake-up; load ${loadAverage().join(' ')}`);
      if (sent !== last) { last = sent; stalledSince = Date.now(); } else if (Date.now() - stalledSince > 120_000) break; // nothing for 2 minutes
    }
    const lastSend = await messages.find({ journeyId, status: 'sent' }).sort({ sentAt: -1 }).limit(1).next();
    const firstSend = await messages.find({ journeyId, status: 'sent' }).sort({ sentAt: 1 }).limit(1).next();
    const allActedSeconds = lastSend?.sentAt ? round((lastSend.sentAt.getTime() - wakeAt.getTime()) / 1000, 2) : null;
    return {
      customers: herd.length, wakeAt: iso, signalledSeconds, enteredBeforeWake, acted: sent,
      firstActedSecondsAfterWake: firstSend?.sentAt ? round((firstSend.sentAt.getTime() - wakeAt.getTime()) / 1000, 2) : null,
      allActedSecondsAfterWake: allActedSeconds,
      actedPerSec: allActedSeconds ? round(sent / allActedSeconds) : null,
      loadAverage: loadAverage(),
    };
  });
  const troubles = await taskTroubles(ctx, herd, options.historySample, wakeAt.getTime());
  const out = { ...result, ...troubles, samples: samples.filter((_, i) => i % 5 === 0), target: 'all acted within 600 s, no workflow task timeouts' };
  ctx.log(`herd: ${out.acted} of ${out.customers} acted; the last ${out.allActedSecondsAfterWake} s after the wake-up (${out.actedPerSec}/s); `
    + `workflow task timeouts since the wake-up ${JSON.stringify(troubles.workflowTaskTimeoutsSinceWake)} (whole histories ${JSON.stringify(troubles.workflowTaskTimeoutsWholeHistory)}) in ${troubles.historiesRead} histories`);
  return out;
}

/** A broadcast to the segment of the live customers (trait `benchCohort`) at `ratePerSecond`. */
export async function broadcastPhase(ctx: ScaleContext, cohort: string, expected: number, ratePerSecond: number, limitMinutes?: number) {
  const runId = Date.now().toString(36);
  const segmentId = `bench-live-${runId}`;
  await admin(ctx, 'POST', '/v1/templates', { id: 'bench-broadcast', channel: 'webhook', body: 'Spring sale: 20% off this week.' });
  await admin(ctx, 'POST', '/v1/segments', { id: segmentId, name: 'Bench: live customers', rule: { type: 'profile', field: 'traits.benchCohort', op: 'eq', value: cohort } });
  const preview = await admin(ctx, 'POST', `/v1/segments/${segmentId}/preview`);
  const campaignId = `bench-broadcast-${runId}`;
  ctx.log(`broadcast: ${campaignId} to ${preview.count as number} customers (segment ${segmentId}) at ${ratePerSecond}/s`);
  const messages = ctx.db.collection<{ _id: string; customerId: string; status: string; sentAt?: Date; campaignId?: string }>('messages');
  const samples: { seconds: number; signalled: number; sent: number }[] = [];
  const result = await ctx.cpu(async () => {
    const startedAt = Date.now();
    await admin(ctx, 'POST', '/v1/campaigns', { id: campaignId, name: 'Bench: broadcast', segmentId, message: { channel: 'webhook', template: 'bench-broadcast' }, ratePerSecond });
    // Unless told otherwise, three times what the asked rate would take; the figures then say how far it got.
    const deadline = startedAt + (limitMinutes ? limitMinutes * 60_000 : Math.max(30 * 60_000, (expected / ratePerSecond) * 3000));
    let sent = 0;
    let last = -1;
    let stalledSince = Date.now();
    let signalled = 0;
    let loggedAt = startedAt;
    for (;;) {
      // The count is a scan on the stand-in: every 5 s keeps it off the path it measures (the last
      // send's time comes from its sentAt, not from this poll).
      await sleep(5000);
      sent = await messages.countDocuments({ campaignId, status: 'sent' });
      const campaign = await admin(ctx, 'GET', `/v1/campaigns/${campaignId}`);
      signalled = ((campaign.lastRun as { progress?: { signalled?: number } } | undefined)?.progress?.signalled) ?? 0;
      samples.push({ seconds: round((Date.now() - startedAt) / 1000), signalled, sent });
      if (Date.now() - loggedAt >= 60_000) {
        loggedAt = Date.now();
        ctx.log(`broadcast: ${round((loggedAt - startedAt) / 1000)} s, ${signalled} signalled, ${sent} sent; load ${loadAverage()[0]}`);
      }
      if (sent !== last) { last = sent; stalledSince = Date.now(); }
      if (sent >= expected || Date.now() > deadline || Date.now() - stalledSince > 120_000) break;
    }
    const lastSend = await messages.find({ campaignId, status: 'sent' }).sort({ sentAt: -1 }).limit(1).next();
    const seconds = lastSend?.sentAt ? (lastSend.sentAt.getTime() - startedAt) / 1000 : NaN;
    // One send key per customer and campaign: a second document for a customer would be a second send.
    const perCustomer = await messages.aggregate<{ _id: string; n: number }>([
      { $match: { campaignId } }, { $group: { _id: '$customerId', n: { $sum: 1 } } }, { $match: { n: { $gt: 1 } } },
    ]).toArray();
    const keys = new Set((await messages.find({ campaignId }, { projection: { _id: 1 } }).toArray()).map((m) => m._id));
    // Counted here rather than with `_id: {$in: keys}`: the stand-in matches each row against the
    // whole list, which at 100,000 keys ran for over 8 minutes without an answer.
    let outboxRows = 0;
    for await (const row of ctx.db.collection<{ _id: string }>('outbox').find({}, { projection: { _id: 1 } })) if (keys.has(row._id)) outboxRows++;
    const statuses = await messages.aggregate<{ _id: string; n: number }>([{ $match: { campaignId } }, { $group: { _id: '$status', n: { $sum: 1 } } }]).toArray();
    return {
      segmentCustomers: preview.count, ratePerSecond, signalled, sent,
      messagesByStatus: Object.fromEntries(statuses.map((s) => [s._id, s.n])),
      startToLastSendSeconds: round(seconds, 2), messagesPerSec: round(sent / seconds),
      ratioToRatePerSecond: round(sent / seconds / ratePerSecond, 2),
      customersSentTwice: perCustomer.length, outboxRowsForItsSendKeys: outboxRows, sendKeys: keys.size,
      loadAverage: loadAverage(),
    };
  });
  const out = { ...result, samples: samples.filter((_, i) => i % 6 === 0) };
  ctx.log(`broadcast: ${out.sent} sent in ${out.startToLastSendSeconds} s (${out.messagesPerSec}/s at ratePerSecond ${ratePerSecond}); ${out.customersSentTwice} customers sent twice`);
  return out;
}
