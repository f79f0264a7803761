// The skincare story of PRODUCT.md, end to end on the real worker, API and MongoDB, with months
// skipped in seconds: events in, messages out at the right simulated days, stage and tier
// changes, goals ending journeys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { journeys, templates } from '../../scripts/demo/skincare.js';
import { customerWorkflowId, stateQuery } from '../../workflows/customer-contract.js';
import { adminKey, writeKey } from '../setup/stack.js';
import { noonZone, timeSkippingStack, type TimeSkippingStack } from '../setup/time-skipping.js';

const D = 86_400_000;
let s: TimeSkippingStack;
let start: number;

beforeAll(async () => {
  s = await timeSkippingStack();
  for (const t of templates) await request(s.app).post('/v1/templates').auth(adminKey, '').send(t).expect(201);
  for (const j of journeys) {
    await request(s.app).post('/v1/journeys').auth(adminKey, '').send(j).expect(201);
    await request(s.app).post(`/v1/journeys/${j.id}/publish`).auth(adminKey, '').expect(200);
  }
  start = await s.env.currentTimeMs();
}, 120_000);
afterAll(async () => { await s?.stop(); });

async function send(...batch: Record<string, unknown>[]): Promise<void> {
  const timestamp = new Date(await s.env.currentTimeMs()).toISOString();
  await request(s.app).post('/v1/batch').auth(writeKey, '').send({ batch: batch.map((e) => ({ timestamp, ...e })) }).expect(200);
}

/** Messages so far: template, simulated day it was decided on, and what the customer read. */
async function inbox(): Promise<{ template: string; day: number; body?: string }[]> {
  const sent = await s.db.models.messages.find({ status: { $ne: 'suppressed' } }).sort({ requestedAt: 1 }).toArray();
  const bodies = new Map((await s.db.models.outbox.find().toArray()).map((o) => [o._id as unknown as string, o.body]));
  return sent.map((m) => ({ template: m.template, day: Math.round(((m.requestedAt!.getTime() - start) / D) * 10) / 10, body: bodies.get(m._id) }));
}

async function customer() {
  const res = await request(s.app).get('/v1/customers?phone=13800001234').auth(adminKey, '');
  const id = res.body.customerId ?? (await request(s.app).get('/v1/customers?anonymousId=wx-lin').auth(adminKey, '')).body.customerId;
  return s.env.client.workflow.getHandle(customerWorkflowId(id)).query(stateQuery);
}

describe('the skincare reference journey', () => {
  it('moves a fan to silver through sample invite, store visit, first purchase, cross-sell, win-back and points reminder', async () => {
    // Day 0: she sees a KOL post and follows the brand's WeChat account.
    await send(
      { type: 'identify', anonymousId: 'wx-lin', traits: { wechat_openid: 'oLin', name: 'Lin', timezone: noonZone(start) } },
      { type: 'track', anonymousId: 'wx-lin', event: 'Followed', properties: { channel: 'wechat', source: 'kol' } },
    );
    await s.env.sleep('2 hours');
    expect(await inbox()).toMatchObject([{ template: 'sample-invite', day: 0 }]);
    expect((await customer()).stage).toBe('fan');

    // Day 2: she books and visits a store; a spa voucher, but she does not buy.
    await s.env.sleep('2 days');
    await send({ type: 'track', anonymousId: 'wx-lin', event: 'Store Visited', properties: { store: 'SH-01' } });
    await s.env.sleep('1 hour');
    expect((await inbox()).map((m) => m.template)).toEqual(['sample-invite', 'spa-voucher']);

    // Day 9: she returns, buys an essential oil and shows her member QR code: bronze.
    await s.env.sleep('7 days');
    await send(
      { type: 'identify', userId: 'member-lin', anonymousId: 'wx-lin', traits: { phone: '13800001234' } },
      { type: 'track', userId: 'member-lin', event: 'Signed Up', properties: { channel: 'pos' } },
      { type: 'track', userId: 'member-lin', event: 'Order Completed', properties: { total: 380, product: 'essential oil', channel: 'pos' } },
    );
    await s.env.sleep('1 hour');
    expect(await customer()).toMatchObject({ stage: 'customer', tier: 'bronze', points: 380 });
    expect((await inbox()).at(-1)).toMatchObject({ template: 'welcome-bronze', day: 9.1, body: expect.stringContaining('bronze member with 380 points') });

    // Day 39: a month later, the gift set of that oil; she orders it on a marketplace.
    await s.env.sleep('30 days');
    expect((await inbox()).at(-1)).toMatchObject({ template: 'gift-set', day: 39.1, body: expect.stringContaining('essential oil gift set') });
    await s.env.sleep('1 day');
    await send({ type: 'track', userId: 'member-lin', event: 'Order Completed', properties: { total: 699, product: 'gift set', channel: 'tmall' } });

    // Day 130: three months after the gift set, no purchase: at risk, and a welcome-back coupon.
    await s.env.sleep('91 days');
    expect((await customer()).stage).toBe('at_risk');
    expect((await inbox()).at(-1)).toMatchObject({ template: 'welcome-back', day: 130.2 });

    // Day 132: she buys an eye cream: silver, 3,000 points.
    await s.env.sleep('1 day');
    await send({ type: 'track', userId: 'member-lin', event: 'Order Completed', properties: { total: 1921, product: 'eye cream' } });
    await s.env.sleep('1 hour');
    expect(await customer()).toMatchObject({ tier: 'silver', points: 3000, counters: { orders: 3, spend: 3000 } });

    // Day 192: points never redeemed: a reminder, with how far gold is.
    await s.env.sleep('61 days');
    const last = (await inbox()).at(-1)!;
    expect(last).toMatchObject({ template: 'redeem-points', day: 192.2 });
    expect(last.body).toBe('You have 3000 points to redeem. Spend 1000 more to become gold.');

    // The whole story: no reminder after the store visit (goal reached), nothing doubled.
    expect((await inbox()).map((m) => m.template)).toEqual(['sample-invite', 'spa-voucher', 'welcome-bronze', 'gift-set', 'welcome-back', 'redeem-points']);
    expect((await customer()).journeys?.enrollments).toEqual([]);
  }, 180_000);
});
