// A customer's history holds only that customer: a brand's other journeys never reach it, a journey
// the customer enters is paid for once, and the profile and the customer view carry no catalog.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { customerWorkflowId, stateQuery } from '../../workflows/customer-contract.js';
import { adminKey, eventually, startStack, writeKey, type Stack } from '../setup/stack.js';

let stack: Stack;
beforeAll(async () => { stack = await startStack(); });
afterAll(async () => { await stack?.stop(); });

const admin = (path: string, body: object = {}) => request(stack.app).post(path).auth(adminKey, '').send(body);
const track = (userId: string, event: string, messageId: string) =>
  request(stack.app).post('/v1/track').auth(writeKey, '').send({ userId, event, messageId, properties: { total: 20 } }).expect(200);

/** Every string of a history, payloads decoded: what the server stores for this customer. */
function historyText(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString();
  if (Array.isArray(value)) return value.map(historyText).join('\n');
  if (value && typeof value === 'object') return Object.values(value).map(historyText).join('\n');
  return String(value ?? '');
}
const occurrences = (text: string, part: string) => text.split(part).length - 1;

describe('a lean customer workflow', () => {
  it('keeps the catalog out of the history, the profile and the view; pays for an entered journey once', async () => {
    await admin('/v1/templates', { id: 'lean-hello', channel: 'sms', body: 'Hello' }).expect(201);
    for (let i = 0; i < 20; i++) {
      await admin('/v1/journeys', {
        id: `lean-never-${i}`, name: `Never entered ${i}`, trigger: { type: 'event', event: `Never ${i}` }, entry: 'hello',
        steps: { hello: { type: 'send', channel: 'sms', template: 'lean-hello', next: 'done' }, done: { type: 'exit' } }, reentry: { mode: 'never' }, onPause: 'hold',
      }).expect(201);
      await admin(`/v1/journeys/lean-never-${i}/publish`).expect(200);
    }
    await admin('/v1/journeys', {
      id: 'lean-in', name: 'The one journey this customer enters', trigger: { type: 'event', event: 'Joined Club' }, entry: 'hello',
      steps: { hello: { type: 'send', channel: 'sms', template: 'lean-hello', priority: 'transactional', next: 'holdTight' }, holdTight: { type: 'wait', duration: '30 days', next: 'done' }, done: { type: 'exit' } },
      reentry: { mode: 'never' }, onPause: 'hold',
    }).expect(201);
    await admin('/v1/journeys/lean-in/publish').expect(200);

    await request(stack.app).post('/v1/identify').auth(writeKey, '').send({ userId: 'lean-ana', messageId: 'lean-0', traits: { phone: '+8613900007777' } }).expect(200);
    await track('lean-ana', 'Order Completed', 'lean-1');
    await track('lean-ana', 'Joined Club', 'lean-2');
    for (let i = 3; i < 8; i++) await track('lean-ana', 'Page Viewed', `lean-${i}`);
    const customerId = await eventually(async () => (await stack.db.models.identities.findOne({ _id: 'userId:lean-ana' }))?.customerId);
    await eventually(async () => ((await stack.db.models.customers.findOne({ _id: customerId }))?.counters.events === 8 ? true : undefined), 40_000);
    await eventually(async () => ((await stack.db.models.messages.countDocuments({ customerId, status: 'sent' })) === 1 ? true : undefined));

    const handle = stack.temporal.workflow.getHandle(customerWorkflowId(customerId));
    const text = historyText(await handle.fetchHistory());
    expect(text).not.toContain('lean-never-');
    expect(text).not.toContain('Never entered');
    // The entered journey's definition came in once (the match that entered it), not with each later event.
    expect(occurrences(text, 'The one journey this customer enters')).toBe(1);

    const profile = (await stack.db.connection.db!.collection('customers').findOne({ _id: customerId as never }))!;
    expect(JSON.stringify(profile)).not.toContain('lean-never-');
    expect(profile.journeyState).not.toHaveProperty('catalog');
    expect(profile.journeyState.pinned).toEqual({});

    const view = (await request(stack.app).get(`/v1/customers/${customerId}`).auth(adminKey, '').expect(200)).body;
    expect(view.journeys).toEqual([expect.objectContaining({ journeyId: 'lean-in', version: 1, stepId: 'holdTight', paused: false, nextWakeAt: expect.any(String) })]);
    expect(view.messages).toEqual([expect.objectContaining({ channel: 'sms', template: 'lean-hello', status: 'sent', journeyId: 'lean-in' })]);
    expect(view.workflow).toMatchObject({ status: 'running', workflowId: customerWorkflowId(customerId), live: { stage: 'customer', counters: { events: 8 } } });
    expect(JSON.stringify(view)).not.toContain('recentMessageIds');
    expect(view.profile).not.toHaveProperty('journeyState');

    // Ended by hand: the next event restores the profile, and the journey's definition is read back.
    await handle.terminate('operator ended it');
    await track('lean-ana', 'Page Viewed', 'lean-8');
    const restored = await eventually(async () => {
      try {
        const s = await stack.temporal.workflow.getHandle(customerWorkflowId(customerId)).query(stateQuery);
        return s.counters.events === 9 ? s : undefined;
      } catch { return undefined; }
    });
    expect(restored.journeys?.enrollments.map((e) => [e.journeyId, e.stepId])).toEqual([['lean-in', 'holdTight']]);
    expect(restored.journeys?.pinned['lean-in@1']?.name).toBe('The one journey this customer enters');
  }, 90_000);
});
