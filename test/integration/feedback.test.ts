// The feedback loop on the real servers: opens, clicks, unsubscribes and provider receipts come
// back as events in the customer's workflow, and forged or replayed ones change nothing.
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { signToken, type TrackingClaims } from '../../signing/tokens.js';
import type { MessageDoc } from '../../store/messages.js';
import { adminKey, eventually, startStack, writeKey, type Stack } from '../setup/stack.js';

// A rotated tracking secret, each provider's own webhook secret, and small limits to flood against.
const previousTrackingSecret = 'feedback-test-previous-tracking-secret-0123';
const webhookSecrets = { email: 'feedback-test-email-webhook-secret-0123456', sms: 'feedback-test-sms-webhook-secret-01234567' };
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    env: {
      TRACKING_SECRETS_PREVIOUS: previousTrackingSecret, WEBHOOK_SECRET_EMAIL: webhookSecrets.email, WEBHOOK_SECRET_SMS: webhookSecrets.sms,
      API_MAX_BACKLOG: '20', FEEDBACK_MAX_BACKLOG: '20', WEBHOOK_RATE_LIMIT_PER_MINUTE: '30',
    },
  });
});
afterAll(async () => { await stack?.stop(); });

const admin = (path: string) => request(stack.app).get(path).auth(adminKey, '');
const links = ['https://shop.example/a', 'https://shop.example/b'];

interface Customer { id: string; userId: string }

/** A known customer who agreed to e-mail and SMS, with a stored profile. */
async function newCustomer(): Promise<Customer> {
  const userId = `fb-${randomUUID()}`;
  await request(stack.app).post('/v1/identify').auth(writeKey, '')
    .send({ userId, messageId: `id-${userId}`, traits: { email: `${userId}@example.com`, consent: { email: true, sms: true } } }).expect(200);
  const id = await eventually(async () => {
    const res = await admin(`/v1/customers?userId=${userId}`);
    return res.status === 200 && res.body.profile ? (res.body.customerId as string) : undefined;
  });
  return { id, userId };
}

async function sentMessage({ id: customerId }: Customer, fields: Partial<MessageDoc> = {}): Promise<MessageDoc> {
  const now = new Date();
  const doc: MessageDoc = {
    _id: `send-${randomUUID()}`, customerId, channel: 'email', template: 'welcome', priority: 'marketing',
    journeyId: 'welcome-journey', stepId: 'step-1', campaignId: 'spring', status: 'sent', providerId: `prov-${randomUUID()}`,
    links, attempts: 1, attemptsEnded: 0, createdAt: now, sentAt: now, updatedAt: now, ...fields,
  };
  await stack.db.models.messages.insertOne(doc);
  return doc;
}

const token = (m: MessageDoc, k: TrackingClaims['k'], extra: Partial<TrackingClaims> = {}) =>
  signToken({ m: m._id, c: m.customerId, ch: m.channel, k, ...extra }, stack.config.tracking);

const timeline = async ({ id }: Customer): Promise<{ messageId: string; name?: string; properties: Record<string, unknown> }[]> =>
  (await admin(`/v1/customers/${id}/timeline?limit=200`).expect(200)).body.items
    .filter((e: { type: string }) => e.type === 'event')
    .map(({ id: messageId, ...e }: { id: string }) => ({ messageId, ...e }));
const named = async (customer: Customer, name: string) => (await timeline(customer)).filter((e) => e.name === name);
const eventNamed = (customer: Customer, name: string) =>
  eventually(async () => { const found = await named(customer, name); return found.length > 0 ? found : undefined; });

/** Waits until the workflow has applied `count` events: everything signalled before is in. */
const eventsApplied = ({ id }: Customer, count: number) =>
  eventually(async () => {
    const res = await admin(`/v1/customers/${id}`);
    return res.body.workflow?.live?.counters.events === count ? res.body : undefined;
  });
/** Sends a marker event and waits until it is applied and stored: so is every reaction signalled before it. */
const settle = async (customer: Customer, eventsBefore: number) => {
  const marker = `mark-${randomUUID()}`;
  await request(stack.app).post('/v1/track').auth(writeKey, '').send({ userId: customer.userId, event: 'Marker', messageId: marker }).expect(200);
  await eventsApplied(customer, eventsBefore + 1);
  await eventually(async () => ((await timeline(customer)).some((e) => e.messageId === marker) ? true : undefined));
};
const message = (id: string) => stack.db.models.messages.findOne({ _id: id });
const consent = async ({ id }: Customer) => (await admin(`/v1/customers/${id}`)).body.workflow?.live?.consent;

describe('open pixel and click redirect', () => {
  it('records an open once however often the pixel loads, and always answers an uncacheable pixel', async () => {
    const customer = await newCustomer();
    const m = await sentMessage(customer);
    for (let i = 0; i < 3; i++) {
      const res = await request(stack.app).get(`/t/o/${token(m, 'open')}`).expect(200);
      expect(res.headers['content-type']).toBe('image/gif');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body.subarray(0, 6).toString('latin1')).toBe('GIF89a');
    }
    const [opened] = await eventNamed(customer, 'Message Opened');
    expect(opened).toMatchObject({ messageId: `open:${m._id}`, properties: { messageId: m._id, channel: 'email', journeyId: 'welcome-journey', stepId: 'step-1', campaignId: 'spring' } });
    // identify + one open + the marker: the repeated opens were dropped by the workflow.
    await settle(customer, 2);
    expect(await named(customer, 'Message Opened')).toHaveLength(1);
    const doc = await message(m._id);
    expect(doc?.status).toBe('opened');
    expect(doc?.openedAt).toBeInstanceOf(Date);
    await request(stack.app).get(`/t/o/${token(m, 'open')}`).expect(200);
    expect((await message(m._id))?.openedAt).toEqual(doc?.openedAt);
  });

  it('redirects a click to the exact stored URL and records it', async () => {
    const customer = await newCustomer();
    const m = await sentMessage(customer);
    const res = await request(stack.app).get(`/t/c/${token(m, 'click', { l: 1 })}`).expect(302);
    expect(res.headers.location).toBe('https://shop.example/b');
    const [clicked] = await eventNamed(customer, 'Message Clicked');
    expect(clicked).toMatchObject({
      messageId: `click:${m._id}:1`,
      properties: { messageId: m._id, channel: 'email', url: 'https://shop.example/b', journeyId: 'welcome-journey', stepId: 'step-1', campaignId: 'spring' },
    });
    const doc = await message(m._id);
    expect(doc?.status).toBe('clicked');
    expect(doc?.clickedAt).toBeInstanceOf(Date);
  });

  it('answers forged, foreign, out-of-range and unknown tokens with 404 and no redirect, and records nothing', async () => {
    const customer = await newCustomer();
    const m = await sentMessage(customer);
    const [, signature] = token(m, 'click', { l: 0 }).split('.');
    const tamperedBody = Buffer.from(JSON.stringify({ m: m._id, c: customer.id, ch: 'email', k: 'click', l: 1 })).toString('base64url');
    const forged = [
      `${tamperedBody}.${signature}`,
      signToken({ m: m._id, c: customer.id, ch: 'email', k: 'click', l: 0 }, 'another-secret-of-at-least-32-characters'),
      token(m, 'click', { l: 2 }),
      signToken({ m: 'no-such-message', c: customer.id, ch: 'email', k: 'click', l: 0 }, stack.config.tracking),
      token(m, 'open'),
      'garbage',
    ];
    for (const t of forged) {
      const res = await request(stack.app).get(`/t/c/${t}`).expect(404);
      expect(res.headers.location).toBeUndefined();
      expect(res.body.error.code).toBe('not_found');
    }
    // The pixel gives nothing away, and a forged unsubscribe is refused.
    const tamperedOpen = Buffer.from(JSON.stringify({ m: m._id, c: customer.id, ch: 'email', k: 'open' })).toString('base64url');
    await request(stack.app).get(`/t/o/${tamperedOpen}.${signature}`).expect(200).expect('Content-Type', 'image/gif');
    await request(stack.app).get(`/t/u/${token(m, 'open')}`).expect(404);

    await settle(customer, 1);
    expect((await timeline(customer)).map((e) => e.name)).toEqual(['Marker', undefined]);
    const doc = await message(m._id);
    expect(doc).toMatchObject({ status: 'sent' });
    expect(doc?.openedAt).toBeUndefined();
    expect(doc?.clickedAt).toBeUndefined();
  });
});

describe('unsubscribe links', () => {
  it('asks before unsubscribing: GET and HEAD (link scanners) change nothing, the page\'s button does', async () => {
    const customer = await newCustomer();
    const email = await sentMessage(customer);
    const url = `/t/u/${token(email, 'unsubscribe')}`;
    const page = await request(stack.app).get(url).expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.text).toContain('<form method="post">');
    expect(page.text).toContain('name="List-Unsubscribe" value="One-Click"');
    const head = await request(stack.app).head(url).expect(200);
    expect(head.headers['content-type']).toBe(page.headers['content-type']);
    await settle(customer, 1);
    expect(await named(customer, 'Unsubscribed')).toEqual([]);
    expect(await consent(customer)).toEqual({ email: true, sms: true });

    // The button posts the form to the same URL, as a browser does.
    const done = await request(stack.app).post(url).set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8').type('form').send('List-Unsubscribe=One-Click').expect(200);
    expect(done.headers['content-type']).toMatch(/^text\/html/);
    expect(done.text).toContain('You are unsubscribed');
    await eventually(async () => ((await consent(customer))?.email === false ? true : undefined));
    expect(await consent(customer)).toEqual({ email: false, sms: true });
  });

  it('turns off consent for the link\'s channel with RFC 8058 one-click POST', async () => {
    const customer = await newCustomer();
    const sms = await sentMessage(customer, { channel: 'sms' });
    const res = await request(stack.app).post(`/t/u/${token(sms, 'unsubscribe')}`).type('form').send('List-Unsubscribe=One-Click').expect(200);
    expect(res.body).toEqual({ unsubscribed: true });
    await eventually(async () => ((await consent(customer))?.sms === false ? true : undefined));
    expect(await consent(customer)).toEqual({ email: true, sms: false });
    const [unsubscribed] = (await named(customer, 'Unsubscribed')).filter((e) => e.messageId === `unsubscribe:${sms._id}`);
    expect(unsubscribed?.properties).toMatchObject({ channel: 'sms', messageId: sms._id });
  });
});

describe('token life and rotation', () => {
  const yearsAgo = Date.now() - 400 * 24 * 3600 * 1000;
  const expired = (m: MessageDoc, k: TrackingClaims['k'], extra: Partial<TrackingClaims> = {}) =>
    signToken({ m: m._id, c: m.customerId, ch: m.channel, k, ...extra }, stack.config.tracking, yearsAgo);
  /** A token as made before key ids and expiries: claims and HMAC only. */
  const legacy = (m: MessageDoc, k: TrackingClaims['k'], key: string, extra: Partial<TrackingClaims> = {}) => {
    const body = Buffer.from(JSON.stringify({ m: m._id, c: m.customerId, ch: m.channel, k, ...extra })).toString('base64url');
    return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
  };

  it('past its expiry a token records no open or click, but the link still redirects and the unsubscribe is honoured', async () => {
    const customer = await newCustomer();
    const m = await sentMessage(customer);
    const pixel = await request(stack.app).get(`/t/o/${expired(m, 'open')}`).expect(200);
    expect(pixel.headers['content-type']).toBe('image/gif');
    const click = await request(stack.app).get(`/t/c/${expired(m, 'click', { l: 0 })}`).expect(302);
    expect(click.headers.location).toBe(links[0]);
    await settle(customer, 1);
    expect((await timeline(customer)).map((e) => e.name)).toEqual(['Marker', undefined]);
    expect(await message(m._id)).toMatchObject({ status: 'sent' });

    await request(stack.app).post(`/t/u/${expired(m, 'unsubscribe')}`).expect(200);
    await eventually(async () => ((await consent(customer))?.email === false ? true : undefined));
  });

  it('keeps links signed with the previous secret, and links made before key ids, working after a rotation', async () => {
    const customer = await newCustomer();
    const m = await sentMessage(customer);
    const rotated = signToken({ m: m._id, c: m.customerId, ch: 'email', k: 'click', l: 1 }, previousTrackingSecret);
    expect((await request(stack.app).get(`/t/c/${rotated}`).expect(302)).headers.location).toBe(links[1]);
    expect((await request(stack.app).get(`/t/c/${legacy(m, 'click', previousTrackingSecret, { l: 0 })}`).expect(302)).headers.location).toBe(links[0]);
    await request(stack.app).get(`/t/o/${legacy(m, 'open', stack.config.tracking.secret)}`).expect(200);
    await eventNamed(customer, 'Message Opened');
    const clicks = await eventually(async () => { const c = await named(customer, 'Message Clicked'); return c.length === 2 ? c : undefined; });
    expect(clicks.map((c) => c.properties.url).sort()).toEqual(links);
    await request(stack.app).get(`/t/c/${legacy(m, 'click', 'a-secret-this-server-never-had-0123456789', { l: 0 })}`).expect(404);
  });
});

describe('links in messages sent before a merge', () => {
  it('redirect and record into the survivor\'s workflow once the message\'s customer was merged away', async () => {
    const older = await newCustomer();
    const newer = await newCustomer();
    const m = await sentMessage(newer);
    // The newer customer turns out to be the older one: one identify names both identities.
    await request(stack.app).post('/v1/identify').auth(writeKey, '')
      .send({ userId: older.userId, messageId: `link-${randomUUID()}`, traits: { email: `${newer.userId}@example.com` } }).expect(200);
    await eventually(async () => ((await message(m._id))?.customerId === older.id ? true : undefined));

    const click = await request(stack.app).get(`/t/c/${token({ ...m, customerId: newer.id }, 'click', { l: 1 })}`).expect(302);
    expect(click.headers.location).toBe(links[1]);
    await request(stack.app).get(`/t/o/${token({ ...m, customerId: newer.id }, 'open')}`).expect(200);
    const [clicked] = await eventNamed(older, 'Message Clicked');
    expect(clicked).toMatchObject({ messageId: `click:${m._id}:1`, properties: { messageId: m._id, url: links[1] } });
    await eventNamed(older, 'Message Opened');
    expect(await message(m._id)).toMatchObject({ status: 'clicked', customerId: older.id });

    await request(stack.app).post(`/t/u/${token({ ...m, customerId: newer.id }, 'unsubscribe')}`).expect(200);
    await eventually(async () => ((await consent(older))?.email === false ? true : undefined));
  });
});

describe('floods of public routes', () => {
  it('a flood of one open pixel, or of many, never makes ingest answer 503', async () => {
    const customer = await newCustomer();
    const m = await sentMessage(customer);
    const many = await Promise.all(Array.from({ length: 60 }, () => sentMessage(customer)));
    const one = token(m, 'open');
    const flood = [
      ...Array.from({ length: 120 }, () => request(stack.app).get(`/t/o/${one}`)),
      ...many.map((each) => request(stack.app).get(`/t/o/${token(each, 'open')}`)),
    ].map((r) => r.then((res) => res.status));
    const tracked: number[] = [];
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const res = await request(stack.app).post('/v1/track').auth(writeKey, '')
        .send({ userId: `flood-${randomUUID()}`, event: 'Product Viewed', messageId: `flood-${randomUUID()}` });
      tracked.push(res.status);
    }
    const pixels = await Promise.all(flood);
    expect(tracked).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(pixels)).toEqual(new Set([200]));
  });
});

describe('provider webhooks', () => {
  const secretOf = (provider: string) => stack.config.channels.webhookSecrets[provider as 'email'];
  const sign = (body: string, at = Math.floor(Date.now() / 1000), key = secretOf('email')) =>
    ({ 'X-Closedloop-Timestamp': String(at), 'X-Closedloop-Signature': `v1=${createHmac('sha256', key).update(`${at}.${body}`).digest('hex')}` });
  const post = (provider: string, body: object | string, headers: Record<string, string> = sign(typeof body === 'string' ? body : JSON.stringify(body), undefined, secretOf(provider))) =>
    request(stack.app).post(`/v1/webhooks/${provider}`).set('Content-Type', 'application/json').set(headers)
      .send(typeof body === 'string' ? body : JSON.stringify(body));

  it('applies a signed delivery receipt (by send key) and a bounce (by provider id) without an API key', async () => {
    const customer = await newCustomer();
    const delivered = await sentMessage(customer);
    const bounced = await sentMessage(customer);
    expect((await post('email', { id: randomUUID(), type: 'delivered', messageId: delivered._id })).body).toEqual({ received: true });
    await post('email', { id: randomUUID(), type: 'bounced', providerId: bounced.providerId, reason: 'mailbox full' }).expect(200);

    const [d] = await eventNamed(customer, 'Message Delivered');
    expect(d).toMatchObject({ messageId: `delivered:${delivered._id}`, properties: { messageId: delivered._id, channel: 'email' } });
    const [b] = await eventNamed(customer, 'Message Bounced');
    expect(b).toMatchObject({ messageId: `bounced:${bounced._id}`, properties: { messageId: bounced._id, reason: 'mailbox full' } });
    expect(await message(delivered._id)).toMatchObject({ status: 'delivered', deliveredAt: expect.any(Date) });
    expect(await message(bounced._id)).toMatchObject({ status: 'bounced', reason: 'mailbox full', failedAt: expect.any(Date) });
  });

  it('refuses a wrong or missing signature and a stale timestamp with 401, applying nothing', async () => {
    const customer = await newCustomer();
    const m = await sentMessage(customer);
    const receiptId = randomUUID();
    const body = JSON.stringify({ id: receiptId, type: 'delivered', messageId: m._id });
    const now = Math.floor(Date.now() / 1000);
    const attempts: [Record<string, string>, string][] = [
      [sign(body, now, 'not-the-provider-secret-0123456789abcdef'), 'invalid_signature'],
      [{ 'X-Closedloop-Timestamp': String(now) }, 'invalid_signature'],
      [{}, 'invalid_signature'],
      [sign(body.replace('delivered', 'bounced'), now), 'invalid_signature'],
      [sign(body, now - 6 * 60), 'stale_timestamp'],
      [sign(body, now + 6 * 60), 'stale_timestamp'],
    ];
    for (const [headers, code] of attempts) expect((await post('email', body, headers).expect(401)).body.error.code).toBe(code);
    await settle(customer, 1);
    expect(await named(customer, 'Message Delivered')).toEqual([]);
    expect(await message(m._id)).toMatchObject({ status: 'sent' });
    expect(await stack.db.models.webhookReceipts.countDocuments({ _id: `email:${receiptId}` })).toBe(0);
  });

  it('verifies each provider with its own secret: another provider\'s, or the outgoing signing secret, is refused', async () => {
    const customer = await newCustomer();
    const m = await sentMessage(customer);
    const body = JSON.stringify({ id: randomUUID(), type: 'delivered', messageId: m._id });
    for (const key of [webhookSecrets.sms, stack.config.channels.signingSecret]) {
      expect((await post('email', body, sign(body, undefined, key)).expect(401)).body.error.code).toBe('invalid_signature');
    }
    expect(stack.config.channels.signingSecret).not.toBe(webhookSecrets.email);
    await post('email', body, sign(body, undefined, webhookSecrets.email)).expect(200);
    expect(await message(m._id)).toMatchObject({ status: 'delivered' });
  });

  it('answers 429 rate_limited with Retry-After past a provider\'s signed requests a minute, so it retries', async () => {
    const signed = () => post('push', { id: randomUUID(), type: 'delivered', messageId: 'no-such-send' });
    // Forged requests are not counted against the provider.
    for (let i = 0; i < 5; i++) await post('push', '{}', sign('{}', undefined, 'not-the-push-secret-0123456789abcdef')).expect(401);
    for (let i = 0; i < 30; i++) await signed().expect(404);
    const res = await signed().expect(429);
    expect(res.body.error.code).toBe('rate_limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('acknowledges an exact replay of a signed receipt without applying it again', async () => {
    const customer = await newCustomer();
    const m = await sentMessage(customer, { channel: 'sms' });
    const receiptId = randomUUID();
    const body = JSON.stringify({ id: receiptId, type: 'reply', messageId: m._id, text: 'Do you have it in blue?' });
    const headers = sign(body, undefined, secretOf('sms'));
    expect((await post('sms', body, headers).expect(200)).body).toEqual({ received: true });
    expect((await post('sms', body, headers).expect(200)).body).toEqual({ received: true, duplicate: true });
    await eventNamed(customer, 'Message Replied');
    await settle(customer, 2);
    expect(await named(customer, 'Message Replied')).toHaveLength(1);
    expect(await stack.db.models.webhookReceipts.countDocuments({ _id: `sms:${receiptId}` })).toBe(1);
  });

  it('unsubscribes the customer from SMS when they reply TD', async () => {
    const customer = await newCustomer();
    const m = await sentMessage(customer, { channel: 'sms' });
    await post('sms', { id: randomUUID(), type: 'reply', providerId: m.providerId, text: ' TD ' }).expect(200);
    await eventually(async () => ((await consent(customer))?.sms === false ? true : undefined));
    expect(await consent(customer)).toEqual({ email: true, sms: false });
    const [reply] = await named(customer, 'Message Replied');
    expect(reply?.properties).toMatchObject({ text: ' TD ', messageId: m._id, channel: 'sms' });
  });

  it('names every bad field, and refuses unknown messages and providers', async () => {
    const res = await post('email', { type: 'opened', at: 'yesterday' }).expect(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['at', 'id', 'type']);
    expect((await post('email', { id: randomUUID(), type: 'delivered', messageId: 'no-such-send' }).expect(404)).body.error.code).toBe('not_found');
    await post('carrier-pigeon', { id: randomUUID(), type: 'delivered', messageId: 'x' }).expect(404);
    await post('email', 'not json').expect(400);
  });
});
