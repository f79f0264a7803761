// A channel's send rate on the real servers (CHANNEL_SEND_RATES): a broadcast's SMS wait their turn
// on the channel's send queue at the provider's rate, none dropped, and transactional messages sent
// meanwhile go ahead of the marketing ones still waiting.
import { afterAll, beforeAll, expect, it } from 'vitest';
import request from 'supertest';
import { customerRepository } from '../../store/customers.js';
import { initialState } from '../../workflows/lifecycle/state.js';
import { startHttpReceiver, type HttpReceiver } from '../setup/receivers.js';
import { adminKey, eventually, startStack, type Stack } from '../setup/stack.js';

const signingSecret = 'rates-provider-secret-0123456789-abcdef';
const rate = 2;
const policy = { caps: [{ window: '1 day', max: 5 }], quietHours: null, defaultTimeZone: 'UTC' };

let stack: Stack;
let http: HttpReceiver;
beforeAll(async () => {
  http = await startHttpReceiver(signingSecret);
  stack = await startStack({
    env: { SMS_PROVIDER: 'http', SMS_URL: `${http.url}/sms`, PROVIDER_SIGNING_SECRET: signingSecret, MESSAGING_POLICY: JSON.stringify(policy), CHANNEL_SEND_RATES: JSON.stringify({ sms: rate }) },
  });
});
afterAll(async () => {
  await stack?.stop();
  await http?.stop();
});

const admin = (path: string, body: object) => request(stack.app).post(path).auth(adminKey, '').send(body);

it('holds a broadcast\'s SMS to the channel\'s rate, none dropped, and lets transactional ones go first', async () => {
  const ids = Array.from({ length: 16 }, (_, i) => `c${String(i).padStart(9, '0')}00000000${String(i).padStart(2, '0')}`);
  const customers = customerRepository(stack.db.models);
  await Promise.all(ids.map(async (id, i) => {
    await customers.save({ ...initialState(id), traits: { cohort: 'rate' } }, []);
    await stack.db.models.identities.insertOne({ _id: `phone:+86138000001${String(i).padStart(2, '0')}`, type: 'phone', customerId: id, createdAt: new Date() });
  }));
  await admin('/v1/segments', { id: 'rate', name: 'Rate', rule: { type: 'profile', field: 'traits.cohort', op: 'eq', value: 'rate' } }).expect(201);
  await admin('/v1/templates', { id: 'sale', channel: 'sms', body: 'Sale today' }).expect(201);
  await admin('/v1/templates', { id: 'code', channel: 'sms', body: 'Code {{ event.code }}' }).expect(201);
  await admin('/v1/campaigns', { id: 'rate', name: 'Rate', segmentId: 'rate', message: { channel: 'sms', template: 'sale' }, ratePerSecond: 100 }).expect(201);

  const marketing = () => http.calls.filter((c) => c.json.template === 'sale');
  await eventually(async () => (marketing().length >= 2 ? true : undefined), 60_000, 20);
  // Sent while most of the broadcast still waits its turn (16 at 2 a second: 8 s).
  const codes = ['1', '2', '3'].map((code) => admin('/v1/messages', { template: 'code', customer: { id: ids[0] }, data: { code }, idempotencyKey: `code-${code}` }));
  const answers = await Promise.all(codes);
  expect(answers.map((a) => a.body.message?.status)).toEqual(['sent', 'sent', 'sent']);
  await eventually(async () => (marketing().length === 16 ? true : undefined), 90_000, 50);

  const calls = http.calls.filter((c) => c.path === '/sms');
  const lastCode = Math.max(...calls.flatMap((c, i) => (c.json.template === 'code' ? [i] : [])));
  const marketingAfter = calls.slice(lastCode + 1).filter((c) => c.json.template === 'sale').length;
  const spanS = (calls.at(-1)!.at - calls[0]!.at) / 1000;
  console.log(`send rates: ${calls.length} SMS at a rate of ${rate}/s took ${spanS.toFixed(1)} s (${((calls.length - 1) / spanS).toFixed(2)}/s); `
    + `${marketingAfter} broadcast sends still waiting went after the 3 transactional ones`);
  // None dropped, none doubled.
  expect(new Set(marketing().map((c) => c.json.customerId)).size).toBe(16);
  expect(calls).toHaveLength(19);
  // The rate held (Temporal's limiter may let a short burst through at the start).
  expect((calls.length - 1) / spanS).toBeLessThanOrEqual(rate * 1.5);
  // Transactional went ahead of broadcast sends that were already waiting.
  expect(marketingAfter).toBeGreaterThanOrEqual(3);
}, 120_000);
