// The worker killed in the middle of a send (issue 5), on the real servers: the worker is a separate
// OS process (`worker/main.ts`, as in production), the message is provably in flight at the
// provider when it is SIGKILLed, and a second worker process takes over once the send activity's
// heartbeat timeout (10 s) has expired. What the customer observes is counted at the
// provider: a real SMTP server, and the HTTP receiver that dedupes on Idempotency-Key.
//
// The two cases are independent worlds (database, task queue, receivers, worker processes) and run
// at the same time.
import { afterAll, describe, it } from 'vitest';
import request from 'supertest';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { messageIdFor } from '../../activities/channels/smtp.js';
import type { MessageDoc } from '../../store/messages.js';
import { customerWorkflowId, stateQuery } from '../../workflows/customer-contract.js';
import { startHttpReceiver, startSmtpReceiver } from '../setup/receivers.js';
import { adminKey, eventually, startStack, workerProcessEnv, writeKey, type Stack } from '../setup/stack.js';
import { killWorkerProcesses, startWorkerProcess } from '../setup/worker-process.js';

const emailFrom = 'Shop <news@shop.example.com>';
const signingSecret = 'crash-test-provider-secret-0123456789';
/** The send activity's heartbeat timeout (10 s) plus its first retry interval (5 s), with slack. */
const takeoverMs = 60_000;

const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  await killWorkerProcesses();
  await Promise.allSettled(cleanups.map((stop) => stop()));
}, 60_000);

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
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
  it('e-mail (SMTP, no idempotency) killed after its final dot: the SMTP server gets the message once; the retry records it unknown and sends nothing', async ({ expect }) => {
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
    // It died past its point of no return: recorded before the final dot went out.
    expect(await w.stack.db.models.messages.findOne({ _id: send._id })).toMatchObject({ status: 'queued', attempts: 1, pastNoReturn: 1 });
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
    // SMTP cannot dedupe, so the retry sent nothing and says so: unknown, not failed.
    expect(outcome).toMatchObject({ status: 'unknown', reason: 'outcome_unknown', attempts: 2, customerId, channel: 'email', journeyId: 'coupon-mail', stepId: 'coupon' });
    expect(await w.stack.db.models.messages.countDocuments({ customerId })).toBe(1);
    // One logical send, which Temporal ran twice: the attempt that died, and the one that settled it.
    expect(sendActivities(events)).toEqual([{ attempt: 2, result: { status: 'unknown', messageId: send._id, reason: 'outcome_unknown' } }]);
    // Operators find it, and may send it again.
    const unknown = (await request(w.stack.app).get('/v1/messages?status=unknown').auth(adminKey, '').expect(200)).body;
    expect(unknown.items.map((m: { id: string }) => m.id)).toEqual([send._id]);
    expect(unknown.items[0]).toMatchObject({ status: 'unknown', providerId: messageIdFor(send._id, emailFrom), customerId });
    expect(await journeyState(w, customerId, 'coupon-mail')).toMatchObject({ enrollments: [], history: { entries: 1, lastExitedAt: expect.any(Number) } });
  }, 240_000);

  it('e-mail (SMTP) killed before its final dot: nothing arrived, so the retry sends it and the customer gets it once', async ({ expect }) => {
    const smtp = await startSmtpReceiver();
    cleanups.push(() => smtp.stop());
    const w = await startWorld({ EMAIL_PROVIDER: 'smtp', SMTP_URL: smtp.url, EMAIL_FROM: emailFrom });
    const address = 'bo.crash@example.com';
    // The server holds its answer to RCPT TO: the send is under way, its message not yet out.
    const rcpt = deferred();
    smtp.rcptHolds.set(address, rcpt.promise);

    const first = await startWorkerProcess(w.workerEnv);
    await publishCouponJourney(w, 'coupon-early', 'email', { subject: 'Your coupon', body: 'Hi {{ profile.traits.name }}, your code is {{ event.code }}' });
    const { customerId, send } = await requestCoupon(w, 'bo-crash', { email: address, name: 'Bo' });
    await eventually(async () => (smtp.recipients.includes(address) ? true : undefined), 30_000, 20);
    await first.kill();
    expect(await w.stack.db.models.messages.findOne({ _id: send._id })).toMatchObject({ status: 'queued', attempts: 1 });
    expect((await w.stack.db.models.messages.findOne({ _id: send._id }))!.pastNoReturn).toBeUndefined();
    await eventually(async () => (smtp.openConnections() === 0 ? true : undefined), 10_000, 20);
    smtp.rcptHolds.delete(address);
    rcpt.resolve();

    await startWorkerProcess(w.workerEnv);
    const outcome = await settled(w, send._id);
    expect(outcome).toMatchObject({ status: 'sent', attempts: 2, providerId: messageIdFor(send._id, emailFrom) });
    expect(smtp.mailsWithMessageId(messageIdFor(send._id, emailFrom))).toHaveLength(1);
    expect(smtp.mailsWithMessageId(messageIdFor(send._id, emailFrom))[0]!.text).toContain('Hi Bo, your code is SAVE10');
    const events = await historyAfterSend(w, customerId);
    expect(sendActivities(events)).toEqual([{ attempt: 2, result: { status: 'sent', messageId: send._id, providerId: messageIdFor(send._id, emailFrom) } }]);
    expect(await journeyState(w, customerId, 'coupon-early')).toMatchObject({ enrollments: [], history: { entries: 1, lastExitedAt: expect.any(Number) } });
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
