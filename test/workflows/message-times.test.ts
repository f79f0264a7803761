// Honest message times (issue 17.6): a send held by quiet hours is dated in the journey's clock —
// the workflow's time, which time skipping sets hours ahead of the worker's wall clock — at the
// hour the quiet hours ended, with the moment the step decided kept beside it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import request from 'supertest';
import { adminKey, writeKey } from '../setup/stack.js';
import { timeSkippingStack, type TimeSkippingStack } from '../setup/time-skipping.js';

const H = 3_600_000;
const hh = (h: number) => `${String(((h % 24) + 24) % 24).padStart(2, '0')}:00`;
let s: TimeSkippingStack;
let quietEnd: number;

beforeAll(async () => {
  // Quiet hours (UTC) from the hour before now to two hours after: the journey's send must wait.
  const hour = new Date().getUTCHours();
  quietEnd = (hour + 2) % 24;
  s = await timeSkippingStack({ MESSAGING_POLICY: JSON.stringify({ caps: [{ window: '1 day', max: 5 }], quietHours: { start: hh(hour - 1), end: hh(quietEnd) }, defaultTimeZone: 'UTC' }) });
  const admin = (path: string, body: object) => request(s.app).post(path).auth(adminKey, '').send(body);
  await admin('/v1/templates', { id: 'hello', channel: 'email', subject: 'Hello', body: 'Hello' }).expect(201);
  await admin('/v1/journeys', {
    id: 'hello', name: 'Hello', trigger: { type: 'event', event: 'Followed' }, entry: 'hello',
    steps: { hello: { type: 'send', channel: 'email', template: 'hello', next: 'done' }, done: { type: 'exit' } },
    reentry: { mode: 'never' }, onPause: 'hold',
  }).expect(201);
  await admin('/v1/journeys/hello/publish', {}).expect(200);
}, 120_000);
afterAll(async () => { await s?.stop(); });

it('dates a send held by quiet hours at their end in the journey\'s clock, and keeps when the step decided', async () => {
  const followedAt = await s.env.currentTimeMs();
  await request(s.app).post('/v1/batch').auth(writeKey, '').send({ batch: [
    { type: 'identify', userId: 'lin', timestamp: new Date(followedAt).toISOString(), traits: { email: 'lin@example.com' } },
    { type: 'track', userId: 'lin', timestamp: new Date(followedAt).toISOString(), event: 'Followed' },
  ] }).expect(200);
  await s.env.sleep('4 hours');
  const customerId = (await s.db.models.identities.findOne({ _id: 'userId:lin' }))!.customerId;
  const message = (await s.db.models.messages.findOne({ customerId, template: 'hello' }))!;
  expect(message.status).toBe('sent');
  // Sent on when the quiet hours ended, in the journey's clock (hours after the wall clock here).
  expect(message.createdAt.getUTCHours()).toBe(quietEnd);
  expect(message.createdAt.getUTCMinutes()).toBe(0);
  expect(message.requestedAt).toEqual(message.createdAt);
  expect(message.createdAt.getTime()).toBeGreaterThan(Date.now() + H / 2);
  // Decided when the customer followed, before the hold.
  expect(Math.abs(message.decidedAt!.getTime() - followedAt)).toBeLessThan(60_000);

  const timeline = (await request(s.app).get(`/v1/customers/${customerId}/timeline`).auth(adminKey, '').expect(200)).body;
  const entry = timeline.items.find((i: { type: string }) => i.type === 'message');
  expect(new Date(entry.timestamp).getTime()).toBe(message.createdAt.getTime());
  const view = (await request(s.app).get(`/v1/messages/${encodeURIComponent(message._id)}`).auth(adminKey, '').expect(200)).body;
  expect(view).toMatchObject({ requestedAt: message.createdAt.toISOString(), decidedAt: message.decidedAt!.toISOString() });
}, 120_000);
