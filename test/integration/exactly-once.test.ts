// Exactly one message per logical send, on real SMTP and HTTP servers: repeated sends, a worker
// that died after the provider call but before recording it, and suppressed sends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendLedger } from '../../activities/db/send-ledger.js';
import { messageIdFor } from '../../activities/channels/smtp.js';
import type { OutgoingMessage } from '../../activities/channels/channel.js';
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

/**
 * What a worker does up to its death in the middle of a send: records the send, claims an attempt,
 * hands the message to the provider, and dies before writing down the answer.
 */
async function dieAfterProviderCall(req: SendRequest): Promise<void> {
  const ledger = sendLedger(f.stack.db.models);
  await ledger.open(req);
  await ledger.claim(req.key, []);
  const to = req.channel === 'email' ? 'ana@example.com' : '+8613800000002';
  const message: OutgoingMessage = { key: req.key, customerId: req.customerId, channel: req.channel, template: req.template, to, subject: 'Hello', body: 'Hello Ana', html: false };
  await f.channels[req.channel].deliver(message);
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

    expect(await f.messaging.sendMessage(req)).toEqual({ status: 'failed', messageId: req.key, reason: 'outcome_unknown' });
    expect(await f.messaging.sendMessage(req)).toEqual({ status: 'failed', messageId: req.key, reason: 'outcome_unknown' });
    expect(mailsFor(req.key)).toHaveLength(1);
    expect(await messageDoc(req.key)).toMatchObject({ status: 'failed', reason: 'outcome_unknown', attempts: 2 });
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
    expect(await messageDoc(req.key)).toMatchObject({ status: 'queued', attempts: 1, attemptsEnded: 0 });

    f.smtp.stalls.delete('slow@example.com');
    expect(await f.messaging.sendMessage(req)).toEqual({ status: 'failed', messageId: req.key, reason: 'outcome_unknown' });
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
