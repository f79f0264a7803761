// The loop closed: a customer's reaction, coming back through the tracking endpoints, changes
// what the journey does next ("no reaction, no reminder"; an unsubscribe stops marketing).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { adminKey, writeKey } from '../setup/stack.js';
import { timeSkippingStack, type TimeSkippingStack } from '../setup/time-skipping.js';

let s: TimeSkippingStack;
const admin = (path: string, body: object) => request(s.app).post(path).auth(adminKey, '').send(body);

beforeAll(async () => {
  s = await timeSkippingStack();
  await admin('/v1/templates', { id: 'invite', channel: 'email', subject: 'A sample for you', html: true, body: '<p>Book a sample: <a href="https://brand.example/book">book</a></p>' }).expect(201);
  await admin('/v1/templates', { id: 'reminder', channel: 'email', subject: 'Still interested?', html: true, body: '<p>Your sample waits.</p>' }).expect(201);
  await admin('/v1/journeys', {
    id: 'sample', name: 'Sample invitation', trigger: { type: 'event', event: 'Followed' }, entry: 'invite',
    steps: {
      invite: { type: 'send', channel: 'email', template: 'invite', priority: 'transactional', next: 'wait' },
      wait: { type: 'wait', duration: '2 days', next: 'remind' },
      remind: { type: 'send', channel: 'email', template: 'reminder', priority: 'transactional', onlyIfEngagedWith: 'invite', next: 'done' },
      done: { type: 'exit' },
    },
    reentry: { mode: 'never' }, onPause: 'hold',
  }).expect(201);
  await admin('/v1/journeys/sample/publish', {}).expect(200);
}, 120_000);
afterAll(async () => { await s?.stop(); });

async function follow(userId: string): Promise<void> {
  const timestamp = new Date(await s.env.currentTimeMs()).toISOString();
  await request(s.app).post('/v1/batch').auth(writeKey, '').send({ batch: [
    { type: 'identify', userId, timestamp, traits: { email: `${userId}@example.com` } },
    { type: 'track', userId, timestamp, event: 'Followed' },
  ] }).expect(200);
}

/** The tracking URL of the given kind in the e-mail the customer got from that template. */
async function link(userId: string, template: string, kind: 'o' | 'c'): Promise<string> {
  const customerId = (await s.db.models.identities.findOne({ _id: `userId:${userId}` }))!.customerId;
  const mail = await s.db.models.outbox.findOne({ customerId, template });
  const url = mail!.body.match(new RegExp(`https?://[^"\\s]+/t/${kind}/[^"\\s<]+`))![0];
  return new URL(url).pathname;
}

const sentTemplates = async (userId: string) => {
  const customerId = (await s.db.models.identities.findOne({ _id: `userId:${userId}` }))!.customerId;
  return (await s.db.models.messages.find({ customerId }).sort({ createdAt: 1 }).toArray()).map((m) => `${m.template}:${m.status}${m.reason ? `:${m.reason}` : ''}`);
};

describe('reactions change what the journey does next', () => {
  it('reminds only the customer who opened the invitation; the one who ignored it hears nothing more', async () => {
    await follow('opener');
    await follow('ignorer');
    await follow('clicker');
    await s.env.sleep('1 hour');
    // Each opens (or clicks) through the real tracking endpoints, as a mail client would.
    const pixel = await request(s.app).get(await link('opener', 'invite', 'o'));
    expect(pixel.status).toBe(200);
    const click = await request(s.app).get(await link('clicker', 'invite', 'c'));
    expect(click.status).toBe(302);
    expect(click.headers.location).toBe('https://brand.example/book');

    await s.env.sleep('3 days');
    expect(await sentTemplates('opener')).toEqual(['invite:opened', 'reminder:sent']);
    expect(await sentTemplates('clicker')).toEqual(['invite:clicked', 'reminder:sent']);
    expect(await sentTemplates('ignorer')).toEqual(['invite:sent', 'reminder:suppressed:no_reaction']);
  }, 120_000);
});
