// Exactly one message per logical send, on real SMTP and HTTP servers: repeated sends, a worker
// that died after the provider call but before recording it, and suppressed sends.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sendLedger } from '../../store/send-ledger.js';
import { messageFeedbackRepository } from '../../store/message-feedback.js';
import { messageIdFor } from '../../activities/channels/smtp.js';
import type { ChannelProvider, OutgoingMessage } from '../../activities/channels/channel.js';
import { DeliveryError } from '../../activities/channels/errors.js';
import { createMessagingActivities } from '../../activities/messaging.js';
import type { SendRequest } from '../../workflows/messaging/types.js';
import { startMessaging, type MessagingFixture } from '../setup/messaging.js';

let f: MessagingFixture;
beforeAll(async () => {
  f = await startMessaging();
  await f.addTemplate({ _id: 'hello-mail', channel: 'email', subject: 'Hello', body: 'Hello {{ profile.traits.name }}' });
  await f.addTemplate({ _id: 'hello-sms', channel: 'sms', body: 'Hello {{ profile.traits.name }}' });
  await f.addIdentity('c-ana', 'email', 'ana@example.com');
  await f.addIdentity('c-ana', 'phone', '+8613800000002');
});
afterAll(async () => { await f?.stop(); });

const mailsFor = (key: string) => f.smtp.mailsWithMessageId(messageIdFor(key, 'news@shop.example.com'));
const messageDoc = (key: string) => f.stack.db.models.messages.findOne({ _id: key });

const outgoing = (req: SendRequest): OutgoingMessage => ({
  key: req.key, customerId: req.customerId, channel: req.channel, template: req.template,
  to: req.channel === 'email' ? 'ana@example.com' : '+8613800000002', subject: 'Hello', body: 'Hello Ana', html: false,
});

/**
 * What a worker does up to its death in the middle of a send: records the send, claims an attempt,
 * hands the message to the provider (recording its point of no return as the worker does), and
 * dies before writing down the answer.
 */
async function dieAfterProviderCall(req: SendRequest): Promise<void> {
  const ledger = sendLedger(f.stack.db.models);
  await ledger.open(req);
  const claim = await ledger.claim(req.key, []);
  await f.channels[req.channel].deliver(outgoing(req), { pointOfNoReturn: (id) => ledger.passNoReturn(req.key, claim!.attempt, id) });
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

describe('one logical send reaches the customer once', () => {
  it.each(['email', 'sms'] as const)('sending the same %s key twice (or at once) delivers once and returns the same outcome', async (channel) => {
    const req = f.request({ customerId: 'c-ana', channel, template: `hello-${channel === 'email' ? 'mail' : 'sms'}`, variables: { profile: { traits: { name: 'Ana' } } } });
    const first = await f.messaging.sendMessage(req);
    const again = await Promise.all([f.messaging.sendMessage(req), f.messaging.sendMessage(req)]);
    expect(first.status).toBe('sent');
    expect(again).toEqual([first, first]);
    if (channel === 'email') expect(mailsFor(req.key)).toHaveLength(1);
    else expect(f.http.callsFor(req.key)).toHaveLength(1);
    expect(await messageDoc(req.key)).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('does not send an e-mail again after a worker died mid-send: SMTP cannot dedupe, so the outcome is unknown', async () => {
    const req = f.request({ customerId: 'c-ana', channel: 'email', template: 'hello-mail' });
    await dieAfterProviderCall(req);
    expect(mailsFor(req.key)).toHaveLength(1);

    const unknown = { status: 'unknown', messageId: req.key, reason: 'outcome_unknown' };
    expect(await f.messaging.sendMessage(req)).toEqual(unknown);
    expect(await f.messaging.sendMessage(req)).toEqual(unknown);
    expect(mailsFor(req.key)).toHaveLength(1);
    // Kept for an operator: the Message-ID a receipt will quote, and what "send again" renders.
    expect(await messageDoc(req.key)).toMatchObject({
      status: 'unknown', reason: 'outcome_unknown', attempts: 2, pastNoReturn: 1, unknownAt: expect.any(Date),
      providerId: messageIdFor(req.key, 'news@shop.example.com'), variables: req.variables,
    });
  });

  it('keeps the older rule for a send opened before the point of no return was recorded: any open attempt is unknown', async () => {
    const req = f.request({ customerId: 'c-ana', channel: 'email', template: 'hello-mail' });
    const now = new Date();
    await f.stack.db.models.messages.insertOne({
      _id: req.key, customerId: req.customerId, channel: 'email', template: req.template, priority: 'marketing',
      status: 'queued', links: [], attempts: 1, attemptsEnded: 0, createdAt: now, updatedAt: now,
    });
    expect(await f.messaging.sendMessage(req)).toMatchObject({ status: 'unknown' });
    expect(mailsFor(req.key)).toHaveLength(0);
  });

  it('sends an e-mail again when the worker stopped before the final dot: the SMTP server discarded the first', async () => {
    const req = f.request({ customerId: 'c-ana', channel: 'email', template: 'hello-mail', variables: { profile: { traits: { name: 'Ana' } } } });
    const ledger = sendLedger(f.stack.db.models);
    await ledger.open(req);
    const claim = await ledger.claim(req.key, []);
    // The worker is gone at its point of no return: every byte sent but the final dot, nothing recorded.
    await expect(f.channels.email.deliver(outgoing(req), { pointOfNoReturn: () => Promise.reject(new Error('worker gone')) }))
      .rejects.toMatchObject({ kind: 'retryable', reason: 'not_recorded', options: { mayHaveArrived: false } });
    expect(claim).toEqual({ attempt: 1, mayHaveDelivered: false });
    expect(mailsFor(req.key)).toHaveLength(0);

    expect(await f.messaging.sendMessage(req)).toMatchObject({ status: 'sent' });
    expect(mailsFor(req.key)).toHaveLength(1);
    expect(await messageDoc(req.key)).toMatchObject({ status: 'sent', attempts: 2 });
    expect((await messageDoc(req.key))!.pastNoReturn).toBeUndefined();
  });

  it('an attempt overtaken by a later one (a heartbeat timeout while it still ran) aborts at its final dot: one mail', async () => {
    const req = f.request({ customerId: 'c-ana', channel: 'email', template: 'hello-mail' });
    const ledger = sendLedger(f.stack.db.models);
    await ledger.open(req);
    const first = await ledger.claim(req.key, []);
    const atTheDot = deferred();
    const slow = f.channels.email.deliver(outgoing(req), {
      pointOfNoReturn: async (id) => { await atTheDot.promise; await ledger.passNoReturn(req.key, first!.attempt, id); },
    });
    // Temporal gave up on the slow attempt and ran another, which sends.
    expect(await f.messaging.sendMessage(req)).toMatchObject({ status: 'sent' });
    atTheDot.resolve();
    await expect(slow).rejects.toMatchObject({ reason: 'not_recorded', message: expect.stringContaining('superseded') });
    expect(mailsFor(req.key)).toHaveLength(1);
    expect(await messageDoc(req.key)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('an unknown send is settled by a receipt for its Message-ID, or sent again by an operator', async () => {
    const settledByReceipt = f.request({ customerId: 'c-ana', channel: 'email', template: 'hello-mail' });
    const sentAgain = f.request({ customerId: 'c-ana', channel: 'email', template: 'hello-mail', variables: { profile: { traits: { name: 'Ana' } } } });
    for (const req of [settledByReceipt, sentAgain]) {
      await dieAfterProviderCall(req);
      expect(await f.messaging.sendMessage(req)).toMatchObject({ status: 'unknown' });
    }
    const feedback = messageFeedbackRepository(f.stack.db.models);
    const found = await feedback.findForProvider('email', { providerId: messageIdFor(settledByReceipt.key, 'news@shop.example.com') });
    expect(found?._id).toBe(settledByReceipt.key);
    await feedback.record(found!._id, 'delivered', new Date());
    expect(await messageDoc(settledByReceipt.key)).toMatchObject({ status: 'delivered', deliveredAt: expect.any(Date) });
    // Settled: sending it again is refused (it answers the stored outcome) and sends nothing.
    expect(await f.messaging.sendAgain(settledByReceipt.key)).toMatchObject({ status: 'sent' });
    expect(mailsFor(settledByReceipt.key)).toHaveLength(1);

    // A deliberate second send: the same key and Message-ID, rendered from what was kept.
    expect(await f.messaging.sendAgain(sentAgain.key)).toMatchObject({ status: 'sent', messageId: sentAgain.key });
    expect(mailsFor(sentAgain.key)).toHaveLength(2);
    expect(mailsFor(sentAgain.key)[1]!.text).toContain('Hello Ana');
    expect(await messageDoc(sentAgain.key)).toMatchObject({ status: 'sent', attempts: 3, sentAgainAt: expect.any(Date) });
    // Once sent, again is a no-op.
    expect(await f.messaging.sendAgain(sentAgain.key)).toMatchObject({ status: 'sent' });
    expect(mailsFor(sentAgain.key)).toHaveLength(2);
  });

  it('sends an SMS again with the same Idempotency-Key after a worker died mid-send, and the provider delivers it once', async () => {
    const req = f.request({ customerId: 'c-ana', channel: 'sms', template: 'hello-sms' });
    await dieAfterProviderCall(req);

    expect(await f.messaging.sendMessage(req)).toEqual({ status: 'sent', messageId: req.key, providerId: `prov-${req.key}` });
    const calls = f.http.callsFor(req.key);
    expect(calls).toHaveLength(2);
    expect(calls.every((c) => c.signed && c.headers['idempotency-key'] === req.key)).toBe(true);
    expect([...f.http.delivered.keys()].filter((k) => k === req.key)).toHaveLength(1);
    expect(await messageDoc(req.key)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('does not send an e-mail again when the SMTP server took it but never confirmed (a timeout mid-send)', async () => {
    await f.addIdentity('c-slow', 'email', 'slow@example.com');
    f.smtp.stalls.add('slow@example.com');
    const req = f.request({ customerId: 'c-slow', channel: 'email', template: 'hello-mail' });
    await expect(f.messaging.sendMessage(req)).rejects.toMatchObject({ type: 'RetryableDeliveryError', nonRetryable: false });
    // The final dot went out and no answer came: past the point of no return.
    expect(await messageDoc(req.key)).toMatchObject({ status: 'queued', attempts: 1, attemptsEnded: 0, pastNoReturn: 1 });

    f.smtp.stalls.delete('slow@example.com');
    expect(await f.messaging.sendMessage(req)).toEqual({ status: 'unknown', messageId: req.key, reason: 'outcome_unknown' });
    expect(mailsFor(req.key)).toHaveLength(1);
  });

  it('a retry after a retryable error is not mistaken for a dead worker', async () => {
    const req = f.request({ customerId: 'c-ana', channel: 'email', template: 'hello-mail' });
    // The SMTP server answered 451, so nothing left: the retry must send.
    f.smtp.rejections.set('ana@example.com', 451);
    await expect(f.messaging.sendMessage(req)).rejects.toMatchObject({ type: 'RetryableDeliveryError' });
    f.smtp.rejections.delete('ana@example.com');
    expect(await f.messaging.sendMessage(req)).toMatchObject({ status: 'sent' });
    expect(mailsFor(req.key)).toHaveLength(1);
    expect(await messageDoc(req.key)).toMatchObject({ status: 'sent', attempts: 2, attemptsEnded: 1 });
  });
});

describe('past the point of no return, one send at a time', () => {
  it('holds the next send before its mark until the one past it is recorded, and a send that fails while it waits gives its turn back', async () => {
    // An e-mail provider the test steers: it asks for its mark, then answers when told to.
    const answers = new Map<string, () => void>();
    const marked: string[] = [];
    let dropWhileWaiting: string | undefined;
    const email: ChannelProvider = {
      idempotent: false,
      async deliver(message, hooks) {
        const mark = hooks!.pointOfNoReturn(`p-${message.key}`);
        // The connection drops while this send waits for its turn: the attempt ends before its mark.
        if (message.key === dropWhileWaiting) { void mark.catch(() => undefined); throw new DeliveryError('retryable', 'connection', 'dropped', { mayHaveArrived: false }); }
        await mark;
        marked.push(message.key);
        await new Promise<void>((answered) => answers.set(message.key, answered));
        return { providerId: `p-${message.key}` };
      },
    };
    const messaging = createMessagingActivities({ models: f.stack.db.models, channels: { ...f.channels, email }, config: f.stack.config });
    const [a, b, c] = [0, 1, 2].map(() => f.request({ customerId: 'c-ana', channel: 'email', template: 'hello-mail' }));
    dropWhileWaiting = b!.key;
    const sentA = messaging.sendMessage(a!);
    await vi.waitFor(() => expect(marked).toEqual([a!.key]));
    // B and C reach their marks while A is past its own: both wait; B's connection drops meanwhile.
    const [sentB, sentC] = [b!, c!].map((req) => messaging.sendMessage(req));
    await expect(sentB).rejects.toMatchObject({ type: 'RetryableDeliveryError' });
    await new Promise((r) => setTimeout(r, 200));
    // C is still before its mark: a crash now would leave A alone unknown.
    expect(marked).toEqual([a!.key]);
    expect(await messageDoc(c!.key)).not.toHaveProperty('pastNoReturn');
    answers.get(a!.key)!();
    // A recorded, the turn goes to C: B's failed wait took none.
    await vi.waitFor(() => expect(marked).toEqual([a!.key, c!.key]));
    answers.get(c!.key)!();
    expect(await Promise.all([sentA, sentC])).toMatchObject([{ status: 'sent' }, { status: 'sent' }]);
    // The turn B never used is free: B's retry goes past its mark and is sent.
    dropWhileWaiting = undefined;
    const retry = messaging.sendMessage(b!);
    await vi.waitFor(() => expect(marked).toContain(b!.key));
    answers.get(b!.key)!();
    expect(await retry).toMatchObject({ status: 'sent' });
  });
});

describe('suppressed sends', () => {
  it('records a suppressed send once, with its reason, and a later send with that key sends nothing', async () => {
    const { key: _key, variables: _v, ...rest } = f.request({ customerId: 'c-ana', channel: 'sms', template: 'hello-sms', journeyId: 'j-welcome', stepId: 's1' });
    const suppressed = { ...rest, key: `wf-c-ana/j-welcome/s1/${Date.now()}`, reason: 'quiet_hours_expired' as const };
    await f.messaging.recordSuppressed(suppressed);
    await f.messaging.recordSuppressed({ ...suppressed, reason: 'frequency_cap' });
    expect(await messageDoc(suppressed.key)).toMatchObject({ status: 'suppressed', reason: 'quiet_hours_expired', journeyId: 'j-welcome', stepId: 's1', customerId: 'c-ana' });
    expect(await f.stack.db.models.messages.countDocuments({ _id: suppressed.key })).toBe(1);

    expect(await f.messaging.sendMessage({ ...suppressed, variables: {} })).toEqual({ status: 'failed', messageId: suppressed.key, reason: 'quiet_hours_expired' });
    expect(f.http.callsFor(suppressed.key)).toHaveLength(0);
  });
});
