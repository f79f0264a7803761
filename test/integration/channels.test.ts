// Channels on real servers: what customers receive by e-mail (SMTP) and through HTTP providers,
// signed; and how provider errors are classified (permanent: recorded failed; retryable: thrown).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { ApplicationFailure } from '@temporalio/common';
import { verifyToken } from '../../signing/tokens.js';
import { messageIdFor } from '../../activities/channels/smtp.js';
import { createChannels } from '../../activities/channels/index.js';
import { createMessagingActivities } from '../../activities/messaging.js';
import { startMessaging, type MessagingFixture } from '../setup/messaging.js';

let f: MessagingFixture;
beforeAll(async () => {
  f = await startMessaging();
  await f.addTemplate({
    _id: 'welcome', channel: 'email', html: true,
    subject: 'Welcome, {{ profile.traits.name }}',
    body: '<html><body><p>Hello {{ profile.traits.name }}, see <a href="https://shop.example.com/new?a=1&amp;b=2">new in</a></p></body></html>',
    locales: { 'zh-CN': { subject: '欢迎，{{ profile.traits.name }}', body: '<p>{{ profile.traits.name }}，您好！<a href="https://shop.example.com/cn">新品</a> 积分 {{ profile.points }}</p>' } },
    variants: [{ when: { tiers: ['gold'] }, body: '<p>Dear {{ profile.traits.name }}, your gold gift: <a href="https://shop.example.com/gold">claim</a></p>' }],
  });
  await f.addTemplate({ _id: 'otp', channel: 'sms', body: 'Hi {{ profile.traits.name }}, your order {{ event.properties.orderId }} shipped: https://shop.example.com/o/{{ event.properties.orderId }}' });
  await f.addTemplate({
    _id: 'bio', channel: 'email', html: true, subject: 'Your page',
    body: '<p><a href="https://shop.example.com/u/{{ profile.traits.handle }}">your page</a>: {{ profile.traits.website }} {{ profile.traits.bio | raw }}</p>',
  });
  await f.addTemplate({ _id: 'bio-sms', channel: 'sms', body: 'Your page https://shop.example.com/u/{{ profile.traits.handle }} links to {{ profile.traits.website }}' });
  await f.addTemplate({ _id: 'crm-sync', channel: 'webhook', body: '{"customer":"{{ profile.traits.name }}","stage":"{{ profile.stage }}"}' });
  await f.addIdentity('c-mei', 'email', 'mei@example.com');
  await f.addIdentity('c-mei', 'phone', '+8613800000001');
});
afterAll(async () => { await f?.stop(); });

const tokenOf = (url: string) => verifyToken(url.split('/').pop()!, f.stack.config.tracking);
const messageDoc = (key: string) => f.stack.db.models.messages.findOne({ _id: key });

describe('e-mail over SMTP', () => {
  it('delivers a personalised, localised e-mail whose links, open pixel and unsubscribe are tracked', async () => {
    const req = f.request({ customerId: 'c-mei', channel: 'email', template: 'welcome', locale: 'zh-CN', variables: { profile: { traits: { name: '<Mei>' }, points: 120, tier: 'silver' } } });
    const outcome = await f.messaging.sendMessage(req);

    const messageId = messageIdFor(req.key, 'news@shop.example.com');
    expect(outcome).toEqual({ status: 'sent', messageId: req.key, providerId: messageId });
    const [mail] = f.smtp.mailsWithMessageId(messageId);
    expect(mail?.subject).toBe('欢迎，<Mei>');
    expect(mail?.to && 'text' in mail.to ? mail.to.text : '').toBe('mei@example.com');
    const html = String(mail?.html);
    expect(html).toContain('&lt;Mei&gt;，您好！');
    expect(html).toContain('积分 120');
    expect(html).not.toContain('href="https://shop.example.com');

    const urls = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
    const claims = urls.map(tokenOf);
    expect(claims.map((c) => c?.k)).toEqual(['click', 'unsubscribe', 'open']);
    expect(claims.every((c) => c?.m === req.key && c?.c === 'c-mei' && c?.ch === 'email')).toBe(true);
    expect(claims[0]?.l).toBe(0);
    const listUnsubscribe = mail?.headerLines.find((h) => h.key === 'list-unsubscribe')?.line.replace(/\r?\n\s+/g, ' ');
    expect(listUnsubscribe).toContain(`<${urls[1]}>`);
    expect(mail?.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');

    const doc = await messageDoc(req.key);
    expect(doc).toMatchObject({ status: 'sent', customerId: 'c-mei', channel: 'email', template: 'welcome', providerId: messageId, attempts: 1, links: ['https://shop.example.com/cn'] });
    expect(doc?.sentAt).toBeInstanceOf(Date);
  });

  it('points List-Unsubscribe at a URL whose POST (RFC 8058) unsubscribes and whose GET only asks', async () => {
    const req = f.request({ customerId: 'c-mei', channel: 'email', template: 'welcome', variables: { profile: { traits: { name: 'Mei' } } } });
    await f.messaging.sendMessage(req);
    const [mail] = f.smtp.mailsWithMessageId(messageIdFor(req.key, 'news@shop.example.com'));
    const header = mail?.headerLines.find((h) => h.key === 'list-unsubscribe')?.line.replace(/\r?\n\s+/g, ' ') ?? '';
    const url = /<(https:\/\/track\.example\.com\/t\/u\/[^>]+)>/.exec(header)?.[1];
    expect(tokenOf(url!)).toMatchObject({ k: 'unsubscribe', m: req.key, exp: expect.any(Number), kid: expect.any(String) });
    const path = new URL(url!).pathname;
    expect((await request(f.stack.app).get(path).expect(200)).text).toContain('<form method="post">');
    expect((await request(f.stack.app).post(path).type('form').send('List-Unsubscribe=One-Click').expect(200)).body).toEqual({ unsubscribed: true });
  });

  it('tracks only the template\'s own links: a URL or a link in a customer\'s traits is sent as it is, untracked', async () => {
    const traits = { handle: 'mei', website: 'https://evil.example/', bio: '<a href="https://evil.example/">my shop</a>' };
    const req = f.request({ customerId: 'c-mei', channel: 'email', template: 'bio', variables: { profile: { traits } } });
    await f.messaging.sendMessage(req);
    const [mail] = f.smtp.mailsWithMessageId(messageIdFor(req.key, 'news@shop.example.com'));
    const html = String(mail?.html);
    expect(html).toContain(': https://evil.example/ <a href="https://evil.example/">my shop</a>');
    expect(html).toMatch(/<a href="https:\/\/track\.example\.com\/t\/c\/[^"]+">your page<\/a>/);
    expect((await messageDoc(req.key))?.links).toEqual(['https://shop.example.com/u/mei']);

    const sms = f.request({ customerId: 'c-mei', channel: 'sms', template: 'bio-sms', variables: { profile: { traits } } });
    await f.messaging.sendMessage(sms);
    expect(String(f.http.callsFor(sms.key)[0]?.json.body)).toMatch(/^Your page https:\/\/track\.example\.com\/t\/c\/\S+ links to https:\/\/evil\.example\/$/);
    expect((await messageDoc(sms.key))?.links).toEqual(['https://shop.example.com/u/mei']);
  });

  it('sends the first segment variant that matches the customer, in the base language otherwise', async () => {
    const req = f.request({ customerId: 'c-mei', channel: 'email', template: 'welcome', variables: { profile: { traits: { name: 'Mei' }, tier: 'gold' } } });
    await f.messaging.sendMessage(req);
    const [mail] = f.smtp.mailsWithMessageId(messageIdFor(req.key, 'news@shop.example.com'));
    expect(mail?.subject).toBe('Welcome, Mei');
    expect(String(mail?.html)).toContain('Dear Mei, your gold gift');
    expect((await messageDoc(req.key))?.links).toEqual(['https://shop.example.com/gold']);
  });

  it('records a 550 for the address as a permanent failure and never asks the server again', async () => {
    await f.addIdentity('c-gone', 'email', 'gone@example.com');
    f.smtp.rejections.set('gone@example.com', 550);
    const req = f.request({ customerId: 'c-gone', channel: 'email', template: 'welcome' });
    expect(await f.messaging.sendMessage(req)).toEqual({ status: 'failed', messageId: req.key, reason: 'bad_address' });
    expect(await f.messaging.sendMessage(req)).toEqual({ status: 'failed', messageId: req.key, reason: 'bad_address' });
    expect(f.smtp.recipients.filter((r) => r === 'gone@example.com')).toHaveLength(1);
    expect(await messageDoc(req.key)).toMatchObject({ status: 'failed', reason: 'bad_address', attempts: 1 });
  });

  it('retries a 451 (try later) and sends on the next attempt', async () => {
    await f.addIdentity('c-busy', 'email', 'busy@example.com');
    f.smtp.rejections.set('busy@example.com', 451);
    const req = f.request({ customerId: 'c-busy', channel: 'email', template: 'welcome' });
    const err = await f.messaging.sendMessage(req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(false);
    expect(await messageDoc(req.key)).toMatchObject({ status: 'queued', attempts: 1, attemptsEnded: 1 });

    f.smtp.rejections.delete('busy@example.com');
    expect(await f.messaging.sendMessage(req)).toMatchObject({ status: 'sent' });
    expect(f.smtp.mailsWithMessageId(messageIdFor(req.key, 'news@shop.example.com'))).toHaveLength(1);
  });
});

describe('HTTP providers', () => {
  it('POSTs a signed SMS with an Idempotency-Key, to the customer\'s phone, with bare links tracked', async () => {
    const req = f.request({ customerId: 'c-mei', channel: 'sms', template: 'otp', variables: { profile: { traits: { name: 'Mei' } }, event: { properties: { orderId: 'A7' } } } });
    expect(await f.messaging.sendMessage(req)).toEqual({ status: 'sent', messageId: req.key, providerId: `prov-${req.key}` });
    const [call] = f.http.callsFor(req.key);
    expect(call).toMatchObject({ path: '/sms', signed: true });
    expect(call?.headers['x-closedloop-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(call?.json).toMatchObject({ messageId: req.key, channel: 'sms', customerId: 'c-mei', to: '+8613800000001' });
    const body = String(call?.json.body);
    expect(body).toMatch(/^Hi Mei, your order A7 shipped: https:\/\/track\.example\.com\/t\/c\/\S+$/);
    expect(tokenOf(body.split(' ').pop()!)).toMatchObject({ k: 'click', l: 0, m: req.key });
    expect((await messageDoc(req.key))?.links).toEqual(['https://shop.example.com/o/A7']);
  });

  it('calls a webhook, which needs no address, signed', async () => {
    const req = f.request({ customerId: 'c-anonymous', channel: 'webhook', template: 'crm-sync', variables: { profile: { traits: { name: 'Ana' }, stage: 'fan' } } });
    expect(await f.messaging.sendMessage(req)).toMatchObject({ status: 'sent' });
    const [call] = f.http.callsFor(req.key);
    expect(call).toMatchObject({ path: '/webhook', signed: true });
    expect(JSON.parse(String(call?.json.body))).toEqual({ customer: 'Ana', stage: 'fan' });
    expect(call?.json.to).toBeUndefined();
  });

  it.each([
    [{ status: 400, body: { error: 'invalid number' } }, 'http_400'],
    [{ status: 404 }, 'http_404'],
    [{ status: 200, body: { status: 'unsubscribed' } }, 'unsubscribed'],
    [{ status: 422, body: { error: { code: 'unsubscribed' } } }, 'unsubscribed'],
  ])('records %j as a permanent failure (%s) without retrying', async (answer, reason) => {
    f.http.answers.push(answer);
    const req = f.request({ customerId: 'c-mei', channel: 'sms', template: 'otp' });
    expect(await f.messaging.sendMessage(req)).toEqual({ status: 'failed', messageId: req.key, reason });
    expect(await f.messaging.sendMessage(req)).toEqual({ status: 'failed', messageId: req.key, reason });
    expect(f.http.callsFor(req.key)).toHaveLength(1);
    expect(await messageDoc(req.key)).toMatchObject({ status: 'failed', reason });
  });

  it('throws a retryable failure on 503 or a timeout, records nothing as sent, and the retry sends with the same key', async () => {
    for (const answer of [{ status: 503 }, 'hang' as const]) {
      f.http.answers.push(answer);
      const req = f.request({ customerId: 'c-mei', channel: 'sms', template: 'otp' });
      const err = await f.messaging.sendMessage(req).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'RetryableDeliveryError', nonRetryable: false });
      expect(await messageDoc(req.key)).toMatchObject({ status: 'queued', attempts: 1 });

      expect(await f.messaging.sendMessage(req)).toMatchObject({ status: 'sent' });
      expect(f.http.callsFor(req.key)).toHaveLength(2);
      expect(f.http.delivered.get(req.key)).toBeDefined();
    }
  });

  it('waits as long as a 429\'s Retry-After asks', async () => {
    f.http.answers.push({ status: 429, headers: { 'Retry-After': '7' } });
    const err = await f.messaging.sendMessage(f.request({ customerId: 'c-mei', channel: 'sms', template: 'otp' })).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'RetryableDeliveryError', nonRetryable: false, nextRetryDelay: 7000 });
  });
});

describe('the outbox (local demo, no provider configured)', () => {
  it('records what would have been sent, once per send, and sends nothing', async () => {
    const { models } = f.stack.db;
    const channels = createChannels({ ...f.stack.config.channels, sms: { provider: 'outbox' } }, models);
    const messaging = createMessagingActivities({ models, channels, config: f.stack.config });
    const req = f.request({ customerId: 'c-mei', channel: 'sms', template: 'otp', variables: { profile: { traits: { name: 'Mei' } } } });
    expect(await messaging.sendMessage(req)).toEqual({ status: 'sent', messageId: req.key, providerId: `outbox:${req.key}` });
    await channels.sms.deliver({ key: req.key, customerId: 'c-mei', channel: 'sms', template: 'otp', body: 'again', html: false });
    expect(await models.outbox.find({ _id: req.key }).toArray()).toEqual([
      expect.objectContaining({ channel: 'sms', customerId: 'c-mei', to: '+8613800000001', body: expect.stringMatching(/^Hi Mei, your order/), recordedAt: expect.any(Date) }),
    ]);
    expect(f.http.callsFor(req.key)).toHaveLength(0);
  });
});

describe('sends that cannot be made', () => {
  it('fails with no_address when the customer has no address on the channel, and sends nothing', async () => {
    for (const [channel, template] of [['email', 'welcome'], ['sms', 'otp']] as const) {
      const req = f.request({ customerId: 'c-nobody', channel, template });
      expect(await f.messaging.sendMessage(req)).toEqual({ status: 'failed', messageId: req.key, reason: 'no_address' });
      expect(await messageDoc(req.key)).toMatchObject({ status: 'failed', reason: 'no_address', attempts: 0 });
      expect(f.http.callsFor(req.key)).toHaveLength(0);
    }
  });

  it('fails with template_missing for an unknown template', async () => {
    const req = f.request({ customerId: 'c-mei', channel: 'sms', template: 'no-such-template' });
    expect(await f.messaging.sendMessage(req)).toEqual({ status: 'failed', messageId: req.key, reason: 'template_missing' });
  });
});
