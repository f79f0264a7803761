// The demo of the product brief: the skincare brand's templates and journeys, and a WeChat fan
// who visits a store, becomes a member and buys. Sent through the public API like any backend
// service would; safe to send again (fixed ids).
const story = [
  { type: 'identify', anonymousId: 'wx-demo-openid', messageId: 'demo-1', traits: { wechat_openid: 'oDemo42', name: 'Lin' }, context: { channel: 'wechat' } },
  { type: 'track', anonymousId: 'wx-demo-openid', messageId: 'demo-2', event: 'Followed', properties: { channel: 'wechat', source: 'kol-post' } },
  { type: 'track', anonymousId: 'wx-demo-openid', messageId: 'demo-3', event: 'Store Visited', properties: { channel: 'pos', store: 'SH-01' } },
  { type: 'identify', userId: 'member-demo-1', anonymousId: 'wx-demo-openid', messageId: 'demo-4', traits: { phone: '+8613800000042' } },
  { type: 'track', userId: 'member-demo-1', messageId: 'demo-5', event: 'Signed Up', properties: { channel: 'pos' } },
  { type: 'track', userId: 'member-demo-1', messageId: 'demo-6', event: 'Order Completed', properties: { channel: 'pos', total: 380, product: 'essential oil' } },
];

import { journeys, templates } from './demo/skincare.js';

export async function seedDemo(api: string, writeKey: string, adminKey: string): Promise<{ customerId: string; stage: string; tier?: string }> {
  const auth = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
  const admin = async (path: string, body: object, okStatuses: number[]) => {
    const res = await fetch(`${api}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: auth(adminKey) }, body: JSON.stringify(body) });
    if (!okStatuses.includes(res.status)) throw new Error(`seeding ${path} failed: ${res.status} ${await res.text()}`);
  };
  // The skincare brand's templates and journeys; already there after a restart (409), then unchanged.
  for (const t of templates) await admin('/v1/templates', t, [201, 409]);
  for (const j of journeys) {
    await admin('/v1/journeys', j, [201, 409]);
    await admin(`/v1/journeys/${j.id}/publish`, {}, [200]);
  }
  const res = await fetch(`${api}/v1/batch`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: auth(writeKey) }, body: JSON.stringify({ batch: story }) });
  if (!res.ok) throw new Error(`seeding failed: ${res.status} ${await res.text()}`);
  for (let i = 0; i < 100; i++) {
    const view = await fetch(`${api}/v1/customers?userId=member-demo-1`, { headers: { Authorization: auth(adminKey) } });
    if (view.ok) {
      const body = (await view.json()) as { customerId: string; profile?: { stage: string; tier?: string; counters: { events: number } } };
      if (body.profile && body.profile.counters.events >= story.length) return { customerId: body.customerId, stage: body.profile.stage, tier: body.profile.tier };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the demo customer did not appear within 20 s');
}
