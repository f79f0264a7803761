// Subscription groups and the preference centre on the real servers: marketers define groups,
// customers join and leave them by event, by the API, on the hosted preference page and by an
// e-mail's one-click List-Unsubscribe, and journeys' sends honour them (`unsubscribed_group`).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { verifyToken } from '../../signing/tokens.js';
import { templateRepository } from '../../store/templates.js';
import { messageIdFor } from '../../activities/channels/smtp.js';
import { startSmtpReceiver, type SmtpReceiver } from '../setup/receivers.js';
import { adminKey, eventually, startStack, writeKey, type Stack } from '../setup/stack.js';

const publicUrl = 'https://prefs.example.com';
let stack: Stack;
let smtp: SmtpReceiver;

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  stack = await startStack({
    env: {
      EMAIL_PROVIDER: 'smtp', SMTP_URL: smtp.url, EMAIL_FROM: 'Shop <news@shop.example.com>', PUBLIC_URL: publicUrl,
      // Sends go at once, whatever the hour the suite runs at.
      MESSAGING_POLICY: JSON.stringify({ quietHours: null, caps: [{ window: '1 day', max: 50 }] }),
    },
  });
  await templateRepository(stack.db.models).create({
    _id: 'news-mail', channel: 'email', html: true, subject: 'News', locales: {}, variants: [],
    body: '<html><body><p>Hello</p><p><a href="{{ preferences_url }}">Your preferences</a></p></body></html>',
  });
}, 180_000);
afterAll(async () => { await stack?.stop(); await smtp?.stop(); });

const admin = {
  get: (path: string) => request(stack.app).get(path).auth(adminKey, ''),
  post: (path: string, body: unknown = {}) => request(stack.app).post(path).auth(adminKey, '').send(body as object),
  put: (path: string, body: unknown) => request(stack.app).put(path).auth(adminKey, '').send(body as object),
};
const track = (body: Record<string, unknown>) => request(stack.app).post('/v1/track').auth(writeKey, '').send({ messageId: `m-${randomUUID()}`, ...body }).expect(200);

interface Customer { id: string; userId: string; email: string }

async function newCustomer(): Promise<Customer> {
  const userId = `sub-${randomUUID()}`;
  const email = `${userId}@example.com`;
  await request(stack.app).post('/v1/identify').auth(writeKey, '').send({ userId, messageId: `id-${userId}`, traits: { email, consent: { email: true } } }).expect(200);
  const id = await eventually(async () => {
    const res = await admin.get(`/v1/customers?userId=${userId}`);
    return res.status === 200 && res.body.profile ? (res.body.customerId as string) : undefined;
  });
  return { id, userId, email };
}

type Sub = { group: string; subscribed: boolean; chosen: boolean; transactional: boolean };
const subscriptionsOf = async (c: Customer): Promise<Record<string, Sub>> =>
  Object.fromEntries(((await admin.get(`/v1/customers/${c.id}`).expect(200)).body.subscriptions as Sub[]).map((s) => [s.group, s]));
/** Waits until the customer's view says `group` is `subscribed` by their own choice. */
const chose = (c: Customer, group: string, subscribed: boolean) =>
  eventually(async () => {
    const s = (await subscriptionsOf(c))[group];
    return s?.chosen && s.subscribed === subscribed ? s : undefined;
  });
const messagesOf = (c: Customer) => stack.db.models.messages.find({ customerId: c.id }).sort({ createdAt: 1 }).toArray();
const sender = 'news@shop.example.com';

describe('subscription groups for marketers', () => {
  beforeAll(async () => {
    await admin.post('/v1/subscription-groups', { id: 'newsletter', name: 'Newsletter', channel: 'email', type: 'opt_in' }).expect(201);
    await admin.post('/v1/subscription-groups', { id: 'promotions', name: 'Promotions <& offers>', channel: 'email', type: 'opt_out' }).expect(201);
    await admin.post('/v1/subscription-groups', { id: 'orders', name: 'Order updates', channel: 'email', type: 'opt_out', transactional: true }).expect(201);
    await admin.post('/v1/subscription-groups', { id: 'sms-deals', name: 'SMS deals', channel: 'sms', type: 'opt_out' }).expect(201);
  });

  it('creates, lists, reads, renames and archives groups; a repeated create is the same group, another under its id a conflict', async () => {
    expect((await admin.post('/v1/subscription-groups', { id: 'newsletter', name: 'Newsletter', channel: 'email', type: 'opt_in' }).expect(200)).body)
      .toMatchObject({ id: 'newsletter', transactional: false, archived: false });
    expect((await admin.post('/v1/subscription-groups', { id: 'newsletter', name: 'Other', channel: 'sms', type: 'opt_in' }).expect(409)).body.error.code).toBe('conflict');

    await admin.post('/v1/subscription-groups', { id: 'tips', name: 'Tips', channel: 'push', type: 'opt_out' }).expect(201);
    expect((await admin.put('/v1/subscription-groups/tips', { name: 'Beauty tips', description: 'weekly' }).expect(200)).body).toMatchObject({ name: 'Beauty tips', description: 'weekly' });
    expect((await admin.get('/v1/subscription-groups/tips').expect(200)).body.name).toBe('Beauty tips');
    expect((await admin.post('/v1/subscription-groups/tips/archive').expect(200)).body.archived).toBe(true);
    const listed = (await admin.get('/v1/subscription-groups').expect(200)).body.items.map((g: { id: string }) => g.id);
    expect(listed).toEqual(['newsletter', 'orders', 'promotions', 'sms-deals']);
    expect((await admin.get('/v1/subscription-groups?archived=true').expect(200)).body.items.map((g: { id: string }) => g.id)).toContain('tips');
    expect((await admin.get('/v1/subscription-groups/nope').expect(404)).body.error.code).toBe('not_found');
  });

  it('refuses bad groups with 400 naming the field and why', async () => {
    const bad = await admin.post('/v1/subscription-groups', { id: 'Bad Id', name: '', channel: 'fax', type: 'maybe' }).expect(400);
    expect(bad.body.error.code).toBe('invalid_request');
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['channel', 'id', 'name', 'type']);
    const leaveable = await admin.post('/v1/subscription-groups', { id: 'receipts', name: 'Receipts', channel: 'email', type: 'opt_in', transactional: true }).expect(400);
    expect(leaveable.body.error.details).toEqual([{ field: 'type', message: expect.stringContaining('opt_out') }]);
    const fixed = await admin.put('/v1/subscription-groups/newsletter', { name: 'Newsletter', type: 'opt_out' }).expect(400);
    expect(fixed.body.error.details).toEqual([{ field: 'type', message: expect.stringContaining('fixed at creation') }]);
  });

  it('refuses a journey or campaign whose send names an unknown group, or one of another channel', async () => {
    await admin.post('/v1/journeys', {
      id: 'bad-group', name: 'Bad group', trigger: { type: 'event', event: 'Never' }, entry: 'a',
      steps: { a: { type: 'send', channel: 'email', template: 'news-mail', group: 'sms-deals', next: 'b' }, b: { type: 'send', channel: 'email', template: 'news-mail', group: 'nope', next: 'done' }, done: { type: 'exit' } },
    }).expect(201);
    const published = await admin.post('/v1/journeys/bad-group/publish').expect(400);
    expect(published.body.error.code).toBe('invalid_journey');
    expect(published.body.error.details).toEqual(expect.arrayContaining([
      { field: 'steps.a.group', message: 'subscription group "sms-deals" is for sms, not email' },
      { field: 'steps.b.group', message: 'no subscription group "nope"' },
    ]));
    await admin.post('/v1/segments', { id: 'everyone', name: 'Everyone', rule: { type: 'profile', field: 'stage', op: 'eq', value: 'stranger' } }).expect(201);
    const campaign = await admin.post('/v1/campaigns', { name: 'Deals', segmentId: 'everyone', message: { channel: 'email', template: 'news-mail', group: 'sms-deals' } }).expect(400);
    expect(campaign.body.error.details).toEqual([{ field: 'message.group', message: 'subscription group "sms-deals" is for sms, not email' }]);
  });
});

describe('customers joining and leaving', () => {
  it('shows every group with its default until the customer chooses, by event or by the API', async () => {
    const c = await newCustomer();
    const before = await subscriptionsOf(c);
    expect(before.newsletter).toMatchObject({ subscribed: false, chosen: false });
    expect(before.promotions).toMatchObject({ subscribed: true, chosen: false });
    expect(before.orders).toMatchObject({ subscribed: true, transactional: true });

    await track({ userId: c.userId, event: 'Subscription Changed', properties: { group: 'newsletter', subscribed: true } });
    await chose(c, 'newsletter', true);

    const accepted = await admin.put(`/v1/customers/${c.id}/subscriptions`, { subscriptions: { promotions: false, 'sms-deals': false } }).expect(202);
    expect(accepted.body.accepted).toBe(true);
    expect(accepted.body.subscriptions.find((s: Sub) => s.group === 'promotions')).toMatchObject({ subscribed: false, chosen: true });
    await chose(c, 'promotions', false);
    await chose(c, 'sms-deals', false);
    // Stored with the profile (what segments and restores read), not only in the live workflow.
    const stored = await eventually(async () => {
      const doc = await stack.db.models.customers.findOne({ _id: c.id });
      return doc?.subscriptions?.['sms-deals'] === false ? doc.subscriptions : undefined;
    });
    expect(stored).toEqual({ newsletter: true, promotions: false, 'sms-deals': false });
  });

  it('refuses to leave a transactional group, or to change an unknown one, naming each', async () => {
    const c = await newCustomer();
    const res = await admin.put(`/v1/customers/${c.id}/subscriptions`, { subscriptions: { orders: false, ghosts: true } }).expect(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.details).toEqual([
      { field: 'subscriptions.orders', message: '"Order updates" is transactional: it cannot be left' },
      { field: 'subscriptions.ghosts', message: 'no subscription group "ghosts"' },
    ]);
    expect((await admin.put(`/v1/customers/${c.id}/subscriptions`, { subscriptions: {} }).expect(400)).body.error.details[0].field).toBe('subscriptions');
    expect((await admin.put('/v1/customers/c0000000000000000000/subscriptions', { subscriptions: { newsletter: true } }).expect(404)).body.error.code).toBe('not_found');
  });
});

describe('sends in a group', () => {
  let journeyReady = false;
  async function publishJourney(): Promise<void> {
    if (journeyReady) return;
    await admin.post('/v1/journeys', {
      id: 'grouped', name: 'Grouped sends', trigger: { type: 'event', event: 'Grouped Trigger' }, entry: 'news', reentry: { mode: 'always' },
      steps: {
        news: { type: 'send', channel: 'email', template: 'news-mail', group: 'newsletter', next: 'promo' },
        promo: { type: 'send', channel: 'email', template: 'news-mail', group: 'promotions', next: 'order' },
        order: { type: 'send', channel: 'email', template: 'news-mail', group: 'orders', next: 'done' },
        done: { type: 'exit' },
      },
    }).expect(201);
    const published = await admin.post('/v1/journeys/grouped/publish').expect(200);
    expect(published.body.definition.groups).toEqual({ newsletter: { type: 'opt_in' }, promotions: { type: 'opt_out' }, orders: { type: 'opt_out', transactional: true } });
    journeyReady = true;
  }

  const order = ['news', 'promo', 'order'];
  /** Triggers the journey and waits for this run's three sends (or suppressions), in step order (suppressions are written after the sends). */
  async function run(c: Customer, times: number) {
    await track({ userId: c.userId, event: 'Grouped Trigger' });
    return eventually(async () => {
      const docs = (await messagesOf(c)).filter((m) => m.journeyId === 'grouped' && m.status !== 'queued');
      if (docs.length < 3 * times) return undefined;
      const runs = new Map<string, typeof docs>();
      for (const m of docs) { const enrollment = m._id.split(':')[1]!; runs.set(enrollment, [...(runs.get(enrollment) ?? []), m]); }
      const latest = [...runs.keys()].sort((a, b) => Number(a.split('#')[1]) - Number(b.split('#')[1]))[times - 1];
      return latest ? runs.get(latest)!.sort((a, b) => order.indexOf(a.stepId!) - order.indexOf(b.stepId!)) : undefined;
    }, 30_000);
  }

  it('refuses sends to a customer out of the group, by its default or their choice, and their one click leaves only that group', async () => {
    await publishJourney();
    const c = await newCustomer();

    // Never chose: out of the opt-in newsletter, in the opt-out promotions, always in order updates.
    const first = await run(c, 1);
    expect(first.map((m) => [m.stepId, m.status, m.reason])).toEqual([['news', 'suppressed', 'unsubscribed_group'], ['promo', 'sent', undefined], ['order', 'sent', undefined]]);

    // The promotion's e-mail leaves the promotions group with one click (RFC 8058); the order update's has no group to leave.
    const [promo] = smtp.mailsWithMessageId(messageIdFor(first[1]!._id, sender));
    expect(promo).toBeDefined();
    const header = promo!.headerLines.find((h) => h.key === 'list-unsubscribe')!.line.replace(/\r?\n\s+/g, ' ');
    expect(promo!.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    const url = /^[^<]*<([^>]+)>/.exec(header)![1]!;
    expect(verifyToken(url.split('/').pop()!, stack.config.tracking)).toMatchObject({ k: 'unsubscribe', g: 'promotions', c: c.id });
    const [order] = smtp.mailsWithMessageId(messageIdFor(first[2]!._id, sender));
    const orderToken = /^[^<]*<([^>]+)>/.exec(order!.headerLines.find((h) => h.key === 'list-unsubscribe')!.line)![1]!.split('/').pop()!;
    expect(verifyToken(orderToken, stack.config.tracking)?.g).toBeUndefined();

    const path = new URL(url).pathname;
    expect((await request(stack.app).get(path).expect(200)).text).toContain('“Promotions &lt;&amp; offers&gt;” messages');
    expect((await request(stack.app).post(path).type('form').send('List-Unsubscribe=One-Click').expect(200)).body).toEqual({ unsubscribed: true });
    await chose(c, 'promotions', false);
    // Only the group: the channel's consent is untouched.
    expect((await admin.get(`/v1/customers/${c.id}`).expect(200)).body.workflow.live.consent).toEqual({ email: true });

    // Joins the newsletter on the preference page linked from the e-mail.
    const prefs = /href="([^"]*\/t\/p\/[^"]+)"/.exec(String(promo!.html))![1]!;
    const page = await request(stack.app).get(new URL(prefs).pathname).expect(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.text).not.toMatch(/<script|https?:\/\/(?!prefs\.example\.com)/);
    expect(page.text).toContain('Promotions &lt;&amp; offers&gt;');
    expect(page.text).toMatch(/<legend>E-mail<\/legend>[\s\S]*<legend>SMS<\/legend>/);
    expect(page.text).toMatch(/value="orders" checked disabled/);
    expect(page.text).not.toMatch(/value="promotions" checked/);
    const token = /name="token" value="([^"]+)"/.exec(page.text)![1]!;
    // A form that does not carry the link's token (another site's) changes nothing.
    expect((await request(stack.app).post(new URL(prefs).pathname).type('form').send('group=newsletter&shown=newsletter').expect(400)).body.error.code).toBe('invalid_request');
    const saved = await request(stack.app).post(new URL(prefs).pathname).type('form')
      .send(`token=${encodeURIComponent(token)}&shown=newsletter&shown=promotions&shown=sms-deals&group=newsletter&group=sms-deals`).expect(200);
    expect(saved.text).toContain('Saved.');
    expect(saved.text).toMatch(/value="newsletter" checked/);
    await chose(c, 'newsletter', true);
    await chose(c, 'sms-deals', true);
    expect((await subscriptionsOf(c)).promotions).toMatchObject({ subscribed: false, chosen: true });

    // Now in the newsletter, out of promotions.
    const second = await run(c, 2);
    expect(second.map((m) => [m.stepId, m.status, m.reason])).toEqual([['news', 'sent', undefined], ['promo', 'suppressed', 'unsubscribed_group'], ['order', 'sent', undefined]]);
    const timeline = (await admin.get(`/v1/customers/${c.id}/timeline?limit=50`).expect(200)).body.items;
    expect(timeline.filter((e: { type: string; reason?: string }) => e.type === 'message' && e.reason === 'unsubscribed_group')).toHaveLength(2);
  });

  it('answers 404 for a forged preference link', async () => {
    expect((await request(stack.app).get('/t/p/forged.token').expect(404)).body.error.code).toBe('not_found');
  });
});
