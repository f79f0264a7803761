// Templates through the admin API: create, list, read, replace, delete; broken Liquid is refused
// with the field named, and nothing is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { adminKey, startStack, writeKey, type Stack } from '../setup/stack.js';

let stack: Stack;
beforeAll(async () => { stack = await startStack({ worker: false }); });
afterAll(async () => { await stack?.stop(); });

const api = () => request(stack.app);
const welcome = {
  id: 'welcome-email', channel: 'email', html: true,
  subject: 'Welcome {{ profile.traits.name }}',
  body: '<p>Hello {{ profile.traits.name }}</p>',
  locales: { 'zh-CN': { subject: '欢迎 {{ profile.traits.name }}', body: '<p>你好</p>' } },
  variants: [{ when: { tiers: ['gold'] }, body: '<p>Gold</p>' }],
};

describe('templates API', () => {
  it('creates, lists, reads, replaces and deletes a template', async () => {
    const created = await api().post('/v1/templates').auth(adminKey, '').send(welcome).expect(201);
    expect(created.body).toMatchObject(welcome);
    expect(created.body.createdAt).toBeDefined();

    const list = await api().get('/v1/templates').auth(adminKey, '').expect(200);
    expect(list.body.templates.map((t: { id: string }) => t.id)).toEqual(['welcome-email']);
    expect((await api().get('/v1/templates/welcome-email').auth(adminKey, '').expect(200)).body).toMatchObject(welcome);

    const { id: _id, ...fields } = welcome;
    const replaced = await api().put('/v1/templates/welcome-email').auth(adminKey, '').send({ ...fields, subject: 'Hi {{ profile.traits.name }}', variants: [] }).expect(200);
    expect(replaced.body).toMatchObject({ id: 'welcome-email', subject: 'Hi {{ profile.traits.name }}', variants: [] });
    expect(replaced.body.createdAt).toBe(created.body.createdAt);

    await api().delete('/v1/templates/welcome-email').auth(adminKey, '').expect(200, { deleted: true });
    const gone = await api().get('/v1/templates/welcome-email').auth(adminKey, '').expect(404);
    expect(gone.body.error.code).toBe('not_found');
  });

  it('refuses broken Liquid, naming every broken field, and stores nothing', async () => {
    const res = await api().post('/v1/templates').auth(adminKey, '').send({
      ...welcome, id: 'broken',
      locales: { 'zh-CN': { subject: 'ok', body: '<p>{{ profile.traits.name </p>' } },
      variants: [{ when: { tags: ['vip'] }, subject: '{{ x | no_such_filter }}', body: 'ok' }],
    }).expect(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.details).toEqual([
      { field: 'locales.zh-CN.body', message: expect.stringMatching(/not closed/) },
      { field: 'variants.0.subject', message: expect.stringMatching(/undefined filter: no_such_filter/) },
    ]);
    await api().get('/v1/templates/broken').auth(adminKey, '').expect(404);
  });

  it('names each invalid field of the shape', async () => {
    const res = await api().post('/v1/templates').auth(adminKey, '').send({ id: 'bad id', channel: 'fax', body: '', locales: { 'not a locale': { body: 'x' } }, variants: [{ when: { tiers: 'gold' }, body: 'x' }] }).expect(400);
    const fields = res.body.error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['id', 'channel', 'body', 'locales.not a locale', 'variants.0.when.tiers']));
    const noSubject = await api().post('/v1/templates').auth(adminKey, '').send({ id: 'no-subject', channel: 'email', body: 'x' }).expect(400);
    expect(noSubject.body.error.details).toEqual([{ field: 'subject', message: 'an e-mail needs a subject' }]);
  });

  it('answers 409 for an id that exists, 404 for replacing or deleting a missing one', async () => {
    await api().post('/v1/templates').auth(adminKey, '').send({ ...welcome, id: 'twice' }).expect(201);
    expect((await api().post('/v1/templates').auth(adminKey, '').send({ ...welcome, id: 'twice' }).expect(409)).body.error.code).toBe('conflict');
    const { id: _id, ...fields } = welcome;
    await api().put('/v1/templates/missing').auth(adminKey, '').send(fields).expect(404);
    await api().delete('/v1/templates/missing').auth(adminKey, '').expect(404);
    const mismatch = await api().put('/v1/templates/twice').auth(adminKey, '').send({ ...fields, id: 'other' }).expect(400);
    expect(mismatch.body.error.details).toEqual([{ field: 'id', message: expect.any(String) }]);
  });

  it('is for admin keys only', async () => {
    await api().get('/v1/templates').expect(401);
    await api().get('/v1/templates').auth(writeKey, '').expect(403);
    await api().post('/v1/templates').auth(writeKey, '').send(welcome).expect(403);
  });
});

describe('a template\'s test send', () => {
  it('renders for a customer and goes out through the channel marked as a test, counted nowhere', async () => {
    await api().post('/v1/templates').auth(adminKey, '').send({ id: 'test-sms', channel: 'sms', body: 'Hi {{ profile.traits.name }}, {{ profile.points }} points' }).expect(201);
    await api().post('/v1/templates').auth(adminKey, '').send({ ...welcome, id: 'test-email' }).expect(201);
    await stack.db.models.customers.insertOne({ _id: 'c000000000aaaaaaaaaa', stage: 'customer', points: 42, tags: [], traits: { name: 'Mei' }, consent: {}, counters: { events: 1, orders: 0, spend: 0 } } as never);

    const sms = await api().post('/v1/templates/test-sms/test').auth(adminKey, '').send({ to: '138 0013 8000', customerId: 'c000000000aaaaaaaaaa' }).expect(200);
    expect(sms.body).toMatchObject({ channel: 'sms', to: '+8613800138000', body: 'Hi Mei, 42 points', test: true, messageId: expect.stringMatching(/^test:/) });
    const email = await api().post('/v1/templates/test-email/test').auth(adminKey, '').send({ to: 'Marketer@Example.com' }).expect(200);
    expect(email.body).toMatchObject({ to: 'marketer@example.com', subject: '[TEST] Welcome Test Customer' });
    // Sent through the channel (here the outbox provider), never a customer's message.
    expect(await stack.db.models.outbox.countDocuments({ _id: { $in: [sms.body.messageId, email.body.messageId] } })).toBe(2);
    expect(await stack.db.models.messages.countDocuments()).toBe(0);

    const bad = await api().post('/v1/templates/test-sms/test').auth(adminKey, '').send({ to: 'not a phone' }).expect(400);
    expect(bad.body.error.details).toEqual([{ field: 'to', message: 'not a valid phone number for sms' }]);
    await api().post('/v1/templates/test-sms/test').auth(adminKey, '').send({ to: '13800138000', customerId: 'c000000000bbbbbbbbbb' }).expect(404);
    await api().post('/v1/templates/missing/test').auth(adminKey, '').send({ to: '13800138000' }).expect(404);
  });
});
