// The transactional send API on the real servers: POST /v1/messages renders and sends one message
// now through the send ledger (an SMTP server and a signed HTTP provider receive it), outside caps
// and quiet hours, once per idempotency key; an SMS STOP holds; bad requests change nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { messageIdFor } from '../../activities/channels/smtp.js';
import { customerRepository } from '../../store/customers.js';
import { initialState } from '../../workflows/lifecycle/state.js';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from '../setup/receivers.js';
import { adminKey, startStack, type Stack } from '../setup/stack.js';

const signingSecret = 'transactional-provider-secret-0123456789';
const from = 'Shop <orders@shop.example.com>';
// Marketing could not send at all: no message a day, and quiet hours all day long.
const policy = { caps: [{ window: '1 day', max: 0 }], quietHours: { start: '00:00', end: '23:59' }, defaultTimeZone: 'UTC' };

const [ana, bo, cy] = ['cana0000000000000001', 'cbo00000000000000002', 'ccy00000000000000003'];

let stack: Stack;
let smtp: SmtpReceiver;
let http: HttpReceiver;
beforeAll(async () => {
  [smtp, http] = await Promise.all([startSmtpReceiver(), startHttpReceiver(signingSecret)]);
  stack = await startStack({
    env: {
      EMAIL_PROVIDER: 'smtp', SMTP_URL: smtp.url, EMAIL_FROM: from, SMS_PROVIDER: 'http', SMS_URL: `${http.url}/sms`,
      PROVIDER_SIGNING_SECRET: signingSecret, MESSAGING_POLICY: JSON.stringify(policy),
    },
  });
  const admin = (path: string, body: object) => request(stack.app).post(path).auth(adminKey, '').send(body);
  await admin('/v1/templates', { id: 'order-confirmation', channel: 'email', subject: 'Order {{ event.orderId }}', body: 'Thanks {{ profile.traits.name }}, order {{ event.orderId }} is confirmed' }).expect(201);
  await admin('/v1/templates', { id: 'delivery-code', channel: 'sms', body: 'Your delivery code is {{ event.code }}' }).expect(201);
  const customers = customerRepository(stack.db.models);
  await customers.save({ ...initialState(ana), traits: { name: 'Ana' } }, []);
  await customers.save({ ...initialState(bo), traits: { name: 'Bo' }, consent: { sms: false } }, []);
  await customers.save({ ...initialState(cy), traits: { name: 'Cy' } }, []);
  const now = new Date();
  await stack.db.models.identities.insertMany([
    { _id: 'email:ana@example.com', type: 'email', customerId: ana, createdAt: now },
    { _id: 'phone:+8613800000031', type: 'phone', customerId: ana, createdAt: now },
    { _id: 'phone:+8613800000032', type: 'phone', customerId: bo, createdAt: now },
  ]);
});
afterAll(async () => {
  await stack?.stop();
  await Promise.all([smtp?.stop(), http?.stop()]);
});

const send = (body: object) => request(stack.app).post('/v1/messages').auth(adminKey, '').send(body);
const mails = (key: string) => smtp.mailsWithMessageId(messageIdFor(key, from));

describe('POST /v1/messages', () => {
  it('sends now to a customer found by identity, outside caps and quiet hours, once per idempotency key', async () => {
    const body = { template: 'order-confirmation', customer: { identity: { type: 'email', value: 'Ana@Example.com' } }, data: { orderId: 'o-1' }, idempotencyKey: 'order-o-1' };
    const first = await send(body).expect(200);
    expect(first.body).toMatchObject({ replayed: false, settled: true, message: { id: 'tx:order-o-1', customerId: ana, channel: 'email', priority: 'transactional', status: 'sent' } });
    expect(mails('tx:order-o-1')).toHaveLength(1);
    expect(mails('tx:order-o-1')[0]).toMatchObject({ subject: 'Order o-1', text: expect.stringContaining('Thanks Ana, order o-1 is confirmed') });

    // The same key again: the first message, nothing sent (also with another body).
    const again = await send({ ...body, data: { orderId: 'o-2' } }).expect(200);
    expect(again.body).toMatchObject({ replayed: true, message: { id: 'tx:order-o-1', status: 'sent' } });
    expect(mails('tx:order-o-1')).toHaveLength(1);

    // Its delivery state, the customer's timeline, and the channel report.
    expect((await request(stack.app).get('/v1/messages/tx:order-o-1').auth(adminKey, '').expect(200)).body).toMatchObject({ status: 'sent', priority: 'transactional', sentAt: expect.any(String) });
    const timeline = (await request(stack.app).get(`/v1/customers/${ana}/timeline`).auth(adminKey, '').expect(200)).body;
    expect(timeline.items).toContainEqual(expect.objectContaining({ type: 'message', id: 'tx:order-o-1', priority: 'transactional', status: 'sent' }));
    const day = new Date().toISOString().slice(0, 10);
    const next = new Date(Date.parse(day) + 86_400_000).toISOString().slice(0, 10);
    const report = (await request(stack.app).get(`/v1/reports/channels?from=${day}&to=${next}`).auth(adminKey, '').expect(200)).body;
    expect(report.channels.find((c: { channel: string }) => c.channel === 'email')).toMatchObject({ sent: 1, transactional: 1 });
  });

  it('sends to a bare address, and to another address than the customer\'s own', async () => {
    const bare = await send({ template: 'order-confirmation', to: 'guest@example.com', data: { orderId: 'g-1' }, idempotencyKey: 'guest-g-1' }).expect(200);
    expect(bare.body.message).toMatchObject({ status: 'sent', customerId: '' });
    expect(mails('tx:guest-g-1')[0]!.to).toMatchObject({ value: [{ address: 'guest@example.com' }] });

    const elsewhere = await send({ template: 'delivery-code', customer: { id: ana }, to: '13800000099', data: { code: '4321' }, idempotencyKey: 'code-1' }).expect(200);
    expect(elsewhere.body.message).toMatchObject({ status: 'sent', customerId: ana, channel: 'sms' });
    const [call] = http.callsFor('tx:code-1');
    expect(call).toMatchObject({ signed: true, json: { to: '+8613800000099', body: 'Your delivery code is 4321' } });
  });

  it('honours an SMS STOP: recorded suppressed (hard_opt_out), nothing sent', async () => {
    const res = await send({ template: 'delivery-code', customer: { id: bo }, data: { code: '1' }, idempotencyKey: 'code-bo' }).expect(200);
    expect(res.body.message).toMatchObject({ status: 'suppressed', reason: 'hard_opt_out', customerId: bo });
    expect(http.callsFor('tx:code-bo')).toHaveLength(0);
  });

  it('refuses bad requests, naming the field, and records nothing', async () => {
    const before = await stack.db.models.messages.countDocuments();
    const neither = await send({ template: 'order-confirmation', idempotencyKey: 'k-1' }).expect(400);
    expect(neither.body.error).toMatchObject({ code: 'invalid_request', details: [{ field: 'customer' }] });
    expect((await send({ template: 'order-confirmation', customer: { id: ana }, idempotencyKey: 'bad key!' }).expect(400)).body.error.details[0].field).toBe('idempotencyKey');
    expect((await send({ template: 'order-confirmation', to: 'not-an-address', idempotencyKey: 'k-2' }).expect(400)).body.error.details[0].field).toBe('to');
    expect((await send({ template: 'nothing', customer: { id: ana }, idempotencyKey: 'k-3' }).expect(404)).body.error.code).toBe('template_not_found');
    expect((await send({ template: 'order-confirmation', customer: { id: 'c000000000ffffffffff' }, idempotencyKey: 'k-4' }).expect(404)).body.error.code).toBe('customer_not_found');
    // Cy has no e-mail address and none was given.
    expect((await send({ template: 'order-confirmation', customer: { id: cy }, idempotencyKey: 'k-5' }).expect(422)).body.error).toMatchObject({ code: 'no_address', details: [{ field: 'to' }] });
    expect(await stack.db.models.messages.countDocuments()).toBe(before);
  });
});
