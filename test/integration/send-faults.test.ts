// Sends over real SMTP while the workers that send die or are told to stop (issue 21), each worker
// a separate OS process (`worker/main.ts`, as in production): the customers' workflows in one
// (WORKER_ROLE=workflows), the channels' sends in another (WORKER_ROLE=sends), which is the one
// killed or stopped.
// - 300 customers get two transactional e-mails each; the sender is SIGKILLed while the first ones
//   go out, and again while the second ones do. Every mail arrives once, except the few whose
//   attempt died between its final dot and the recorded answer: those are `unknown`, at most one a
//   kill (a sender lets one send at a time past its mark; BENCHMARKS.md).
// - SIGTERM during a broadcast: the sender finishes the sends in flight, exits 0, and the next
//   one finishes the broadcast: nothing lost, nothing doubled, nothing unknown.
import { loadavg } from 'node:os';
import type { WorkerRole } from '../../config.js';
import { afterAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { messageIdFor } from '../../activities/channels/smtp.js';
import { customerRepository } from '../../store/customers.js';
import type { MessageDoc } from '../../store/messages.js';
import { initialState } from '../../workflows/lifecycle/state.js';
import { startSmtpReceiver, type SmtpReceiver } from '../setup/receivers.js';
import { adminKey, eventually, startStack, workerProcessEnv, writeKey, type Stack } from '../setup/stack.js';
import { killWorkerProcesses, startWorkerProcess } from '../setup/worker-process.js';

const emailFrom = 'Shop <orders@shop.example.com>';
const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  await killWorkerProcesses();
  await Promise.allSettled(cleanups.map((stop) => stop()));
}, 60_000);

interface World {
  stack: Stack;
  smtp: SmtpReceiver;
  /** The environment of a worker process with that role. */
  workerEnv: (role: WorkerRole) => Record<string, string>;
  admin: (path: string, body?: object) => request.Test;
}

// No quiet hours (the test behaves the same at any hour) and caps that a broadcast does not reach.
const policy = { caps: [{ window: '1 day', max: 5 }], quietHours: null, defaultTimeZone: 'UTC', maxConcurrentJourneys: 3 };

async function startWorld(): Promise<World> {
  const smtp = await startSmtpReceiver();
  cleanups.push(() => smtp.stop());
  const env = { EMAIL_PROVIDER: 'smtp', SMTP_URL: smtp.url, EMAIL_FROM: emailFrom, MESSAGING_POLICY: JSON.stringify(policy) };
  const stack = await startStack({ worker: false, env });
  cleanups.push(() => stack.stop());
  return {
    stack, smtp, workerEnv: (role) => ({ ...workerProcessEnv(stack, env), WORKER_ROLE: role }),
    admin: (path, body) => request(stack.app).post(path).auth(adminKey, '').send(body ?? {}),
  };
}

/** Each send's document with the number of times its Message-ID reached the SMTP server. */
async function arrivals(w: World, filter: Partial<MessageDoc>) {
  const docs = await w.stack.db.models.messages.find(filter).toArray();
  return docs.map((doc) => ({ doc, arrived: w.smtp.mailsWithMessageId(messageIdFor(doc._id, emailFrom)).length }));
}

const settledCount = (w: World, template: string) => w.stack.db.models.messages.countDocuments({ template, status: { $ne: 'queued' } });
const load = () => loadavg()[0]!.toFixed(1);

describe('SMTP sends through worker crashes and stops', () => {
  it('300 customers, two e-mails each, two SIGKILLs of the sender: every mail once but the few caught past their final dot, none failed', async () => {
    const w = await startWorld();
    // A slow relay before the message leaves (RCPT answered after 300 ms): a kill finds sends in
    // flight that have not passed their point of no return, which must go again, once.
    w.smtp.rcptDelayMs = 300;
    for (const [id, event, subject] of [['confirm', 'Order Placed', 'Order confirmed'], ['ship', 'Order Shipped', 'On its way']] as const) {
      await w.admin('/v1/templates', { id: `${id}-mail`, channel: 'email', subject, body: `${subject}: order {{ event.orderId }}` }).expect(201);
      await w.admin('/v1/journeys', {
        id, name: subject, trigger: { type: 'event', event }, entry: 'mail',
        steps: { mail: { type: 'send', channel: 'email', template: `${id}-mail`, priority: 'transactional', next: 'done' }, done: { type: 'exit' } },
        reentry: { mode: 'never' }, onPause: 'hold',
      }).expect(201);
      await w.admin(`/v1/journeys/${id}/publish`).expect(200);
    }
    const customers = Array.from({ length: 300 }, (_, i) => `buyer-${String(i).padStart(3, '0')}`);
    const track = async (event: string) => {
      for (let i = 0; i < customers.length; i += 50) {
        const batch = customers.slice(i, i + 50).flatMap((userId) => [
          ...(event === 'Order Placed' ? [{ type: 'identify', userId, traits: { email: `${userId}@example.com` } }] : []),
          { type: 'track', userId, event, properties: { orderId: `o-${userId}` } },
        ]);
        await request(w.stack.app).post('/v1/batch').auth(writeKey, '').send({ batch }).expect(200);
      }
    };
    const mailsWith = (subject: string) => w.smtp.mails.filter((m) => m.subject === subject).length;
    const kills: { round: string; arrivedBefore: number; at: number }[] = [];
    /**
     * Kills the sender while the round's mails go out: 3 s after the first arrives, a moment that
     * has nothing to do with any one send (a kill right after an arrival would pick a send in its
     * last milliseconds on purpose).
     */
    const killDuring = async (round: string, subject: string): Promise<void> => {
      await eventually(async () => (mailsWith(subject) > 0 ? true : undefined), 240_000, 50);
      await new Promise((r) => setTimeout(r, 3000));
      kills.push({ round, arrivedBefore: mailsWith(subject), at: Date.now() });
      await sender.kill();
    };

    // The customers' workflows run on throughout; only the process that sends dies.
    await startWorkerProcess(w.workerEnv('workflows'));
    // Round one: the confirmations. Kill the sender while they go out; the next one finishes.
    let sender = await startWorkerProcess(w.workerEnv('sends'));
    await track('Order Placed');
    await killDuring('confirm', 'Order confirmed');
    sender = await startWorkerProcess(w.workerEnv('sends'));
    await eventually(async () => ((await settledCount(w, 'confirm-mail')) === 300 ? true : undefined), 300_000, 250);

    // Round two: the shipping notices, and a second kill.
    await track('Order Shipped');
    await killDuring('ship', 'On its way');
    sender = await startWorkerProcess(w.workerEnv('sends'));
    await eventually(async () => ((await settledCount(w, 'ship-mail')) === 300 ? true : undefined), 300_000, 250);

    const sends = await arrivals(w, {});
    const once = sends.filter((s) => s.arrived === 1).length;
    const twice = sends.filter((s) => s.arrived > 1).length;
    const unknown = sends.filter((s) => s.doc.status === 'unknown');
    const failed = sends.filter((s) => s.doc.status === 'failed');
    const resent = sends.filter((s) => s.doc.status === 'sent' && s.doc.attempts > 1).length;
    // The unknown window of each send: from the mark before its final dot to its recorded `sent`.
    const windows = sends.flatMap((s) => (s.doc.noReturnAt && s.doc.sentAt ? [s.doc.sentAt.getTime() - s.doc.noReturnAt.getTime()] : [])).sort((a, b) => a - b);
    const pct = (q: number) => windows[Math.min(windows.length - 1, Math.floor(q * windows.length))];
    console.log(`send faults: ${sends.length} sends over SMTP, 2 SIGKILLs of the sender process (at ${kills.map((k) => `${k.arrivedBefore} ${k.round}`).join(', ')} arrived): `
      + `${once} arrived once, ${twice} twice, ${unknown.length} unknown (${unknown.filter((s) => s.arrived > 0).length} of them arrived), `
      + `${failed.length} failed, ${resent} interrupted before their final dot and sent again; `
      + `unknown window (final-dot mark to sent) p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${windows.at(-1)} ms; load ${load()}`);

    // Each unknown send had reached its point of no return before the kill of its round, with no answer by then.
    const killOf = (template: string) => kills.find((k) => k.round === (template === 'confirm-mail' ? 'confirm' : 'ship'))!;
    const unknownBeforeKill = unknown.map((u) => killOf(u.doc.template).at - u.doc.noReturnAt!.getTime());
    const unknownByKill = kills.map((k) => `${unknown.filter((u) => killOf(u.doc.template) === k).length} at the ${k.round} kill`).join(', ');
    console.log(`  unknown sends (${unknownByKill}) reached their point of no return ${unknownBeforeKill.map((ms) => `${ms} ms`).join(', ') || '(none)'} before their kill`);
    // Where the window goes: mark to the server's final dot (the worker), the dot to its answer (the server), the answer to `sent` (the worker).
    const parts = sends.flatMap((s) => {
      const answer = w.smtp.answers.get(messageIdFor(s.doc._id, emailFrom));
      return answer && s.doc.noReturnAt && s.doc.sentAt ? [[answer.dotAt - s.doc.noReturnAt.getTime(), answer.answeredAt - answer.dotAt, s.doc.sentAt.getTime() - answer.answeredAt]] : [];
    });
    const part = (k: number, q: number) => parts.map((p) => p[k]!).sort((a, b) => a - b)[Math.floor(q * parts.length)];
    console.log(`  window medians (p90): mark to final dot ${part(0, 0.5)} ms (${part(0, 0.9)}), dot to answer ${part(1, 0.5)} ms (${part(1, 0.9)}), `
      + `answer to sent ${part(2, 0.5)} ms (${part(2, 0.9)})`);
    expect(sends).toHaveLength(600);
    // Each kill came while its round was going out.
    expect(kills.every((k) => k.arrivedBefore > 0 && k.arrivedBefore < 300)).toBe(true);
    expect(twice).toBe(0);
    // At most one a kill: a sender lets one send at a time past its mark until its answer is recorded
    // (WORKER_SENDS_PAST_NO_RETURN, 1). Each was past its mark when its worker died.
    for (const k of kills) expect(unknown.filter((u) => killOf(u.doc.template) === k).length).toBeLessThanOrEqual(1);
    expect(unknownBeforeKill.every((ms) => ms >= 0)).toBe(true);
    expect(failed).toEqual([]);
    // Everything not unknown was sent and arrived exactly once.
    expect(sends.filter((s) => s.doc.status !== 'unknown').every((s) => s.doc.status === 'sent' && s.arrived === 1)).toBe(true);
    // The kills did interrupt sends under way (the point of this test): those went again.
    expect(resent).toBeGreaterThan(0);
  }, 900_000);

  it('SIGTERM during a broadcast: the sender finishes the sends in flight and exits 0; nothing lost, doubled or unknown', async () => {
    const w = await startWorld();
    // A slow relay after the final dot: exactly where a killed worker leaves sends unknown.
    w.smtp.replyDelayMs = 400;
    const ids = Array.from({ length: 40 }, (_, i) => `reader-${String(i).padStart(2, '0')}`);
    const customers = customerRepository(w.stack.db.models);
    await Promise.all(ids.map(async (id) => {
      await customers.save({ ...initialState(id), traits: { cohort: 'news' } }, []);
      await w.stack.db.models.identities.insertOne({ _id: `email:${id}@example.com`, type: 'email', customerId: id, createdAt: new Date() });
    }));
    await w.admin('/v1/segments', { id: 'news', name: 'News readers', rule: { type: 'profile', field: 'traits.cohort', op: 'eq', value: 'news' } }).expect(201);
    await w.admin('/v1/templates', { id: 'news-mail', channel: 'email', subject: 'This week', body: 'This week at the shop' }).expect(201);

    await startWorkerProcess(w.workerEnv('workflows'));
    const first = await startWorkerProcess(w.workerEnv('sends'));
    await w.admin('/v1/campaigns', { id: 'news', name: 'Weekly news', segmentId: 'news', message: { channel: 'email', template: 'news-mail' }, ratePerSecond: 20 }).expect(201);
    await eventually(async () => (w.smtp.mails.length >= 8 ? true : undefined), 120_000, 20);
    const inFlight = await w.stack.db.models.messages.countDocuments({ campaignId: 'news', status: 'queued' });
    const drainStarted = Date.now();
    expect(await first.terminate(60_000)).toBe(0);
    const drainMs = Date.now() - drainStarted;
    // Drained: no send left past its point of no return without an answer.
    expect(await w.stack.db.models.messages.countDocuments({ campaignId: 'news', pastNoReturn: { $exists: true } })).toBe(0);

    await startWorkerProcess(w.workerEnv('sends'));
    await eventually(async () => ((await settledCount(w, 'news-mail')) === 40 ? true : undefined), 180_000, 250);
    const sends = await arrivals(w, { campaignId: 'news' });
    console.log(`send drain: SIGTERM with ${inFlight} of 40 broadcast sends under way, drained in ${drainMs} ms; `
      + `${sends.filter((s) => s.arrived === 1).length} arrived once, ${sends.filter((s) => s.arrived > 1).length} twice, `
      + `${sends.filter((s) => s.doc.status === 'unknown').length} unknown; load ${load()}`);
    expect(sends).toHaveLength(40);
    expect(sends.map((s) => [s.doc.customerId, s.doc.status, s.arrived]).sort()).toEqual(ids.map((id) => [id, 'sent', 1]));
  }, 600_000);
});
