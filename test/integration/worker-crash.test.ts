// The worker killed in the middle of a send (issue 5), on the real servers: the worker is a separate
// OS process (`worker/main.ts`, as in production), the message is provably in flight at the
// provider when it is SIGKILLed, and a second worker process takes over once the send activity's
// heartbeat timeout (10 s) has expired. What the customer observes is counted at the
// provider: a real SMTP server, and the HTTP receiver that dedupes on Idempotency-Key.
//
// The two cases are independent worlds (database, task queue, receivers, worker processes) and run
// at the same time.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, describe, it } from 'vitest';
import request from 'supertest';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { rootDir } from '../../scripts/servers.js';
import { messageIdFor } from '../../activities/channels/smtp.js';
import type { MessageDoc } from '../../activities/db/messages.js';
import { customerWorkflowId, stateQuery } from '../../workflows/messages.js';
import { startHttpReceiver, startSmtpReceiver } from '../setup/receivers.js';
import { adminKey, eventually, startStack, workerProcessEnv, writeKey, type Stack } from '../setup/stack.js';

const emailFrom = 'Shop <news@shop.example.com>';
const signingSecret = 'crash-test-provider-secret-0123456789';
/** The send activity's heartbeat timeout (10 s) plus its first retry interval (5 s), with slack. */
const takeoverMs = 60_000;

// ---------------------------------------------------------------------------------------------
// Everything a case starts, so that afterAll can end it whatever happened.

const children = new Set<ChildProcess>();
const cleanups: (() => Promise<unknown>)[] = [];

const alive = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;
// Should this test process end without its afterAll, the workers go with it.
process.once('exit', () => { for (const child of children) if (alive(child)) child.kill('SIGKILL'); });

afterAll(async () => {
  await Promise.allSettled([...children].filter(alive).map(async (child) => {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await within(exited, 10_000, `exit of worker process ${child.pid}`);
  }));
  await Promise.allSettled(cleanups.map((stop) => stop()));
}, 60_000);

/** Resolves with the promise, or rejects naming what was awaited after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}


interface WorkerProcess {
  child: ChildProcess;
  /** SIGKILL: no shutdown hook, no drain; the kernel closes its sockets. */
  kill(): Promise<void>;
}

/** `node --import tsx worker/main.ts`, ready once it prints that it polls the task queue. */
async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: rootDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => { output += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { output += c.toString(); });
  const exited = once(child, 'exit');
  const deadline = Date.now() + 90_000;
  while (!/^worker polling /m.test(output)) {
    if (!alive(child)) throw new Error(`worker process exited (${child.exitCode ?? child.signalCode}) before polling:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker process not polling after 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    async kill() {
      child.kill('SIGKILL');
      const [code, signal] = (await within(exited, 10_000, 'worker exit after SIGKILL')) as [number | null, NodeJS.Signals | null];
      if (signal !== 'SIGKILL') throw new Error(`worker ended with ${code ?? signal}, not by SIGKILL:\n${output}`);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// One world per case: the API in this process, the worker as a child process.

interface World {
  stack: Stack;
  /** The worker processes' environment. */
  workerEnv: Record<string, string>;
  admin: (path: string, body?: object) => request.Test;
  track: (kind: 'identify' | 'track', body: object) => request.Test;
}

async function startWorld(channelEnv: Record<string, string>): Promise<World> {
  const env = { ...channelEnv, PROVIDER_SIGNING_SECRET: signingSecret };
  const stack = await startStack({ worker: false, env });
  cleanups.push(() => stack.stop());
  const workerEnv = workerProcessEnv(stack, env);
  return {
    stack, workerEnv,
    admin: (path, body) => request(stack.app).post(path).auth(adminKey, '').send(body ?? {}),
    track: (kind, body) => request(stack.app).post(`/v1/${kind}`).auth(writeKey, '').send(body),
  };
}

/** Publishes a one-send journey through the API: the event → send `template` on `channel` → exit. */
async function publishCouponJourney(w: World, id: string, channel: 'email' | 'sms', template: Record<string, unknown>): Promise<void> {
  await w.admin('/v1/templates', { id: `${id}-template`, channel, ...template }).expect(201);
  await w.admin('/v1/journeys', {
    id,
    name: 'Coupon on request',
    trigger: { type: 'event', event: 'Coupon Requested' },
    entry: 'coupon',
    steps: {
      // Transactional: a requested coupon goes out at once, whatever the time of day (no quiet hours).
      coupon: { type: 'send', channel, template: `${id}-template`, priority: 'transactional', next: 'done' },
      done: { type: 'exit' },
    },
    reentry: { mode: 'never' },
    onPause: 'hold',
  }).expect(201);
  await w.admin(`/v1/journeys/${id}/publish`).expect(200);
}

/** Identifies the customer with `traits`, asks for a coupon, and returns the customer and the send's document. */
async function requestCoupon(w: World, userId: string, traits: Record<string, string>): Promise<{ customerId: string; send: MessageDoc }> {
  await w.track('identify', { userId, traits }).expect(200);
  await w.track('track', { userId, event: 'Coupon Requested', properties: { code: 'SAVE10' } }).expect(200);
  const customerId = await eventually(async () =>
    (await request(w.stack.app).get(`/v1/customers?userId=${userId}`).auth(adminKey, '')).body.customerId as string | undefined);
  const send = await eventually(async () => (await w.stack.db.models.messages.findOne({ customerId })) ?? undefined, 30_000);
  return { customerId, send };
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The workflow's whole history once the send has ended and the workflow has acted on it (nothing pending). */
async function historyAfterSend(w: World, customerId: string): Promise<HistoryEvent[]> {
  const handle = w.stack.temporal.workflow.getHandle(customerWorkflowId(customerId));
  return eventually(async () => {
    const description = await handle.describe();
    if ((description.raw.pendingActivities?.length ?? 0) > 0) return undefined;
    const events = (await handle.fetchHistory()).events ?? [];
    const activity = (e: HistoryEvent) => events.find((s) => String(s.eventId) === String(e.activityTaskCompletedEventAttributes?.scheduledEventId))
      ?.activityTaskScheduledEventAttributes?.activityType?.name;
    const sendDone = events.findIndex((e) => activity(e) === 'sendMessage');
    // The profile write that follows the send (a local activity: its marker) has completed, and the workflow task after it too.
    const savedAfter = sendDone >= 0 && events.slice(sendDone).some((e) => e.markerRecordedEventAttributes);
    const last = events.at(-1);
    const idle = !last?.workflowTaskScheduledEventAttributes && !last?.workflowTaskStartedEventAttributes;
    return savedAfter && idle ? events : undefined;
  }, 30_000, 250);
}

/** Each sendMessage activity in the history: the attempt that ended it, and its result. */
function sendActivities(events: HistoryEvent[]) {
  const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendMessage');
  return scheduled.map((s) => {
    const id = String(s.eventId);
    const started = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === id);
    const completed = events.find((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === id);
    const payload = completed?.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
    return {
      attempt: started?.activityTaskStartedEventAttributes?.attempt,
      result: payload ? defaultPayloadConverter.fromPayload(payload) : undefined,
    };
  });
}

/** The journey is over for the customer: no enrollment left, entered once, exited. */
async function journeyState(w: World, customerId: string, journeyId: string) {
  const state = await w.stack.temporal.workflow.getHandle(customerWorkflowId(customerId)).query(stateQuery);
  return { enrollments: state.journeys?.enrollments, history: state.journeys?.history[journeyId] };
}

/** The send's document once a worker has settled it (sent or failed); the second worker only gets it after the timeout. */
async function settled(w: World, key: string): Promise<MessageDoc> {
  try {
    return await eventually(async () => {
      const doc = await w.stack.db.models.messages.findOne({ _id: key });
      return doc && doc.status !== 'queued' ? doc : undefined;
    }, takeoverMs, 250);
  } catch (err) {
    throw new Error(`the send was still queued ${takeoverMs / 1000} s after the restart (does sendMessage still heartbeat, with a 10 s heartbeat timeout?): ${String(err)}`);
  }
}

describe.concurrent('a worker killed in the middle of a send', () => {
  it('e-mail (SMTP, no idempotency): the SMTP server gets the message once; the retry records outcome_unknown and sends nothing', async ({ expect }) => {
    const smtp = await startSmtpReceiver();
    cleanups.push(() => smtp.stop());
    const w = await startWorld({ EMAIL_PROVIDER: 'smtp', SMTP_URL: smtp.url, EMAIL_FROM: emailFrom });
    const address = 'ana.crash@example.com';
    // The server takes the whole message, then holds its reply: the send is in flight at the provider.
    const reply = deferred();
    smtp.holds.set(address, reply.promise);

    const first = await startWorkerProcess(w.workerEnv);
    await publishCouponJourney(w, 'coupon-mail', 'email', { subject: 'Your coupon', body: 'Hi {{ profile.traits.name }}, your code is {{ event.code }}' });
    const { customerId, send } = await requestCoupon(w, 'ana-crash', { email: address, name: 'Ana' });
    const toAna = () => smtp.mails.filter((m) => [m.to ?? []].flat().some((t) => t.value.some((v) => v.address === address)));

    // DATA has fully arrived (parsed up to the final dot) and the server has not answered it.
    await eventually(async () => (toAna().length > 0 ? true : undefined), 30_000, 20);
    await first.kill();
    expect(await w.stack.db.models.messages.findOne({ _id: send._id })).toMatchObject({ status: 'queued', attempts: 1, attemptsEnded: 0 });
    // The dead worker's connection is gone; the held reply now goes nowhere.
    await eventually(async () => (smtp.openConnections() === 0 ? true : undefined), 10_000, 20);
    reply.resolve();

    await startWorkerProcess(w.workerEnv);
    const outcome = await settled(w, send._id);
    const events = await historyAfterSend(w, customerId);

    // What the customer observes, over the whole test, both workers: one RCPT, one message.
    expect(smtp.recipients.filter((r) => r === address)).toHaveLength(1);
    expect(toAna()).toHaveLength(1);
    expect(toAna()[0]).toMatchObject({ messageId: messageIdFor(send._id, emailFrom), subject: 'Your coupon', text: expect.stringContaining('Hi Ana, your code is SAVE10') });
    // SMTP cannot dedupe, so the retry sent nothing and says so.
    expect(outcome).toMatchObject({ status: 'failed', reason: 'outcome_unknown', attempts: 2, customerId, channel: 'email', journeyId: 'coupon-mail', stepId: 'coupon' });
    expect(await w.stack.db.models.messages.countDocuments({ customerId })).toBe(1);
    // One logical send, which Temporal ran twice: the attempt that died, and the one that settled it.
    expect(sendActivities(events)).toEqual([{ attempt: 2, result: { status: 'failed', messageId: send._id, reason: 'outcome_unknown' } }]);
    expect(await journeyState(w, customerId, 'coupon-mail')).toMatchObject({ enrollments: [], history: { entries: 1, lastExitedAt: expect.any(Number) } });
  }, 240_000);

  it('SMS (HTTP, Idempotency-Key): the retry sends again with the same key and the provider delivers it once', async ({ expect }) => {
    const http = await startHttpReceiver(signingSecret);
    cleanups.push(() => http.stop());
    const w = await startWorld({ SMS_PROVIDER: 'http', SMS_URL: `${http.url}/sms` });
    // The provider takes the message (delivers it), then holds its answer: the send is in flight.
    const answer = deferred();
    http.answers.push({ status: 200, after: answer.promise });

    const first = await startWorkerProcess(w.workerEnv);
    await publishCouponJourney(w, 'coupon-sms', 'sms', { body: 'Your code is {{ event.code }}' });
    const { customerId, send } = await requestCoupon(w, 'lin-crash', { phone: '13800000077', name: 'Lin' });
    const deliveredToLin = () => [...http.delivered.values()].filter((c) => c.json.customerId === customerId);

    await eventually(async () => (http.calls.some((c) => c.json.customerId === customerId) ? true : undefined), 30_000, 20);
    await first.kill();
    expect(deliveredToLin()).toHaveLength(1);
    expect(await w.stack.db.models.messages.findOne({ _id: send._id })).toMatchObject({ status: 'queued', attempts: 1, attemptsEnded: 0 });
    answer.resolve();

    await startWorkerProcess(w.workerEnv);
    const outcome = await settled(w, send._id);
    const events = await historyAfterSend(w, customerId);

    // What the customer observes: the provider passed one message on. It saw the send twice,
    // signed, both times with the send's Idempotency-Key, and deduped the second.
    expect(deliveredToLin()).toHaveLength(1);
    expect(http.calls.filter((c) => c.json.customerId === customerId)).toHaveLength(2);
    const calls = http.callsFor(send._id);
    expect(calls).toHaveLength(2);
    expect(calls.every((c) => c.signed && c.json.to === '+8613800000077' && c.json.body === 'Your code is SAVE10')).toBe(true);
    expect(calls[1]!.rawBody).toBe(calls[0]!.rawBody); // the same request, not a re-rendered one
    expect(outcome).toMatchObject({ status: 'sent', providerId: `prov-${send._id}`, attempts: 2, attemptsEnded: 0, customerId, channel: 'sms', journeyId: 'coupon-sms' });
    expect(await w.stack.db.models.messages.countDocuments({ customerId })).toBe(1);
    expect(sendActivities(events)).toEqual([{ attempt: 2, result: { status: 'sent', messageId: send._id, providerId: `prov-${send._id}` } }]);
    expect(await journeyState(w, customerId, 'coupon-sms')).toMatchObject({ enrollments: [], history: { entries: 1, lastExitedAt: expect.any(Number) } });
  }, 240_000);
});
