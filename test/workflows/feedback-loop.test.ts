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

  it('credits each order to the messages and the campaign visit that earned it, and records the journey funnel', async () => {
    // Continues the first test: the clicker comes back from a social post and buys; the ignorer buys unprompted.
    const timestamp = new Date(await s.env.currentTimeMs()).toISOString();
    await request(s.app).post('/v1/batch').auth(writeKey, '').send({ batch: [
      { type: 'track', userId: 'clicker', timestamp, event: 'Order Completed', messageId: 'order-clicker', properties: { total: 120 }, context: { campaign: { source: 'weibo', medium: 'social', name: 'spring' } } },
      { type: 'track', userId: 'ignorer', timestamp, event: 'Order Completed', messageId: 'order-ignorer', properties: { total: 30 } },
    ] }).expect(200);
    const idOf = async (userId: string) => (await s.db.models.identities.findOne({ _id: `userId:${userId}` }))!.customerId;
    const conversion = async (userId: string) => {
      const customerId = await idOf(userId);
      for (let i = 0; i < 100; i++) {
        const doc = await s.db.models.conversions.findOne({ customerId });
        if (doc) return doc;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no conversion for ${userId}`);
    };

    const clicker = await conversion('clicker');
    expect(clicker).toMatchObject({ event: 'Order Completed', revenue: 120 });
    expect(clicker.touches.map((t) => `${t.kind}:${t.channel}`)).toEqual(['sent:email', 'clicked:email', 'sent:email', 'inbound:social']);
    expect(clicker.touches[0]).toMatchObject({ journeyId: 'sample', stepId: 'invite' });
    expect(clicker.touches[3]).toMatchObject({ source: 'weibo', campaign: 'spring' });
    const credited = (model: string) => clicker.credits.filter((c) => c.model === model).map((c) => [c.touch, c.channel, c.amount]);
    expect(credited('first_touch')).toEqual([[0, 'email', 120]]);
    expect(credited('last_touch')).toEqual([[3, 'social', 120]]);
    expect(credited('linear')).toEqual([[0, 'email', 30], [1, 'email', 30], [2, 'email', 30], [3, 'social', 30]]);
    expect(credited('position_based')).toEqual([[0, 'email', 48], [1, 'email', 12], [2, 'email', 12], [3, 'social', 48]]);
    for (const model of ['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based']) {
      expect(clicker.credits.filter((c) => c.model === model).reduce((sum, c) => sum + Math.round(c.amount * 100), 0)).toBe(12_000);
    }
    const ignorer = await conversion('ignorer');
    expect(ignorer.touches.map((t) => `${t.kind}:${t.channel}`)).toEqual(['sent:email']);

    // The journey's funnel as the reports read it.
    const progress = await s.db.models.journeyEvents.find({ journeyId: 'sample' }).toArray();
    const exits = Object.fromEntries(await Promise.all(['opener', 'ignorer', 'clicker'].map(async (u) => {
      const id = await idOf(u);
      return [u, progress.filter((p) => p.customerId === id && p.type === 'exited').map((p) => p.reason)];
    })));
    expect(exits).toEqual({ opener: ['completed'], ignorer: ['no_reaction'], clicker: ['completed'] });
    expect(progress.filter((p) => p.type === 'entered').map((p) => p.stepId)).toEqual(['invite', 'invite', 'invite']);
    expect(progress.filter((p) => p.type === 'step' && p.stepId === 'remind')).toHaveLength(3);
    // And the lifecycle moves: each became a fan on following, and the buyers customers.
    const moves = (await s.db.models.stageChanges.find({}).toArray()).map((m) => `${m.from}>${m.to}`).sort();
    expect(moves).toEqual(['fan>customer', 'fan>customer', 'stranger>fan', 'stranger>fan', 'stranger>fan']);
  }, 120_000);

  it('watches held-out customers for the goal: one who buys within the window converts, one who buys after it does not', async () => {
    await admin('/v1/journeys', {
      id: 'trial', name: 'Trial offer', trigger: { type: 'event', event: 'Trial Started' }, entry: 'split',
      steps: { split: { type: 'split', variants: [{ name: 'offer', weight: 0, next: 'done' }], holdout: 100 }, done: { type: 'exit' } },
      goal: { event: 'Order Completed', where: [{ field: 'total', op: 'gte', value: 50 }], within: '7 days' },
      reentry: { mode: 'never' }, onPause: 'hold',
    }).expect(201);
    await admin('/v1/journeys/trial/publish', {}).expect(200);
    const startedAt = await s.env.currentTimeMs();
    const track = async (userId: string, event: string, properties: object = {}) => {
      const timestamp = new Date(await s.env.currentTimeMs()).toISOString();
      await request(s.app).post('/v1/batch').auth(writeKey, '').send({ batch: [{ type: 'track', userId, timestamp, event, properties }] }).expect(200);
    };
    const progressOf = async (userId: string) => {
      const identity = await s.db.models.identities.findOne({ _id: `userId:${userId}` });
      return identity ? (await s.db.models.journeyEvents.find({ journeyId: 'trial', customerId: identity.customerId }).toArray()).map((p) => `${p.type}:${p.variant ?? ''}`).sort() : [];
    };
    const until = async (check: () => Promise<boolean>, what: string) => {
      for (let i = 0; i < 100; i++) { if (await check()) return; await new Promise((r) => setTimeout(r, 100)); }
      throw new Error(`timed out waiting for ${what}`);
    };
    for (const u of ['prompt', 'small', 'late']) await track(u, 'Trial Started');
    for (const u of ['prompt', 'small', 'late']) await until(async () => (await progressOf(u)).includes('exited:holdout'), `${u} held out`);

    await s.env.sleep('2 days');
    await track('small', 'Order Completed', { total: 20 });
    await track('prompt', 'Order Completed', { total: 80 });
    await until(async () => (await progressOf('prompt')).includes('converted:holdout'), 'the prompt buyer converted');
    await s.env.sleep('6 days');
    await track('late', 'Order Completed', { total: 200 });
    const late = (await s.db.models.identities.findOne({ _id: 'userId:late' }))!.customerId;
    await until(async () => (await s.db.models.conversions.countDocuments({ customerId: late })) === 1, 'the late order recorded');
    await new Promise((r) => setTimeout(r, 1000));

    expect(await progressOf('prompt')).toEqual(['converted:holdout', 'entered:', 'exited:holdout']);
    expect(await progressOf('small')).toEqual(['entered:', 'exited:holdout']);
    expect(await progressOf('late')).toEqual(['entered:', 'exited:holdout']);
    const day = 86_400_000;
    const report = await request(s.app).get('/v1/reports/journeys/trial').auth(adminKey, '')
      .query({ from: new Date(Math.floor(startedAt / day) * day).toISOString(), to: new Date(Math.floor(startedAt / day) * day + 30 * day).toISOString() }).expect(200);
    expect(report.body.variants).toEqual([{
      variant: 'holdout', customers: 3, converted: 1, conversionRate: 1 / 3, uplift: null, pValue: null, significant: null,
      exitedOnGoal: 0, withinWindow: { converted: 1, conversionRate: 1 / 3, uplift: null, pValue: null, significant: null },
    }]);
  }, 120_000);
});
