// Membership that fits the brand, on the real servers: LIFECYCLE_RULES gives only what differs from
// the defaults (member triggers: an identify carrying a userId, or the `member_id` identity trait),
// and customers become members by those, not by the default events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { customerWorkflowId, stateQuery } from '../../workflows/customer-contract.js';
import { defaultLifecycleRules } from '../../workflows/lifecycle/rules.js';
import { adminKey, eventually, startStack, writeKey, type Stack } from '../setup/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    env: {
      IDENTITY_TRAITS: 'member_id',
      LIFECYCLE_RULES: JSON.stringify({ memberTriggers: [{ identify: 'userId' }, { trait: 'member_id' }], loyalOrders: 2 }),
      MESSAGING_POLICY: JSON.stringify({ maxConcurrentJourneys: 4 }),
    },
  });
});
afterAll(async () => { await stack?.stop(); });

const send = (batch: object[]) => request(stack.app).post('/v1/batch').auth(writeKey, '').send({ batch }).expect(200);
const admin = (path: string) => request(stack.app).get(path).auth(adminKey, '');
const customerOf = (query: string) => eventually(async () => {
  const res = await admin(`/v1/customers?${query}`);
  return res.status === 200 ? (res.body.customerId as string) : undefined;
});
/** The customer once the workflow applied `events` of theirs: its profile and its live state. */
const settled = async (id: string, events: number) => {
  const view = await eventually(async () => {
    const res = await admin(`/v1/customers/${id}`);
    return res.status === 200 && res.body.profile?.counters.events === events ? res.body : undefined;
  });
  const live = await stack.temporal.workflow.getHandle(customerWorkflowId(id)).query(stateQuery);
  return { stage: view.profile.stage as string, live: live.stage as string };
};

describe('membership triggers from a partial LIFECYCLE_RULES', () => {
  it('merges the partial rules and policy over the defaults', () => {
    expect(stack.config.lifecycleRules).toEqual({ ...defaultLifecycleRules, loyalOrders: 2, memberTriggers: [{ identify: 'userId' }, { trait: 'member_id' }], memberEvents: [] });
    expect(stack.config.messagingPolicy.maxConcurrentJourneys).toBe(4);
    expect(stack.config.messagingPolicy.quietHours).toEqual({ start: '21:00', end: '08:00' });
  });

  it('makes a member of a customer identified with a userId, not of an anonymous one or by the default sign-up event', async () => {
    await send([{ type: 'identify', userId: 'mt-login', messageId: 'mt-1', traits: { name: 'Lin' } }]);
    await send([{ type: 'identify', anonymousId: 'mt-anon', messageId: 'mt-2', traits: { phone: '+8613900004444' } }, { type: 'track', anonymousId: 'mt-anon', event: 'Signed Up', messageId: 'mt-3' }]);
    const login = await customerOf('userId=mt-login');
    const anonymous = await customerOf('anonymousId=mt-anon');
    expect(await settled(login, 1)).toEqual({ stage: 'member', live: 'member' });
    expect(await settled(anonymous, 2)).toEqual({ stage: 'stranger', live: 'stranger' });
    const timeline = (await admin(`/v1/customers/${login}/timeline`).expect(200)).body.items;
    expect(timeline).toEqual([expect.objectContaining({ messageId: 'mt-1', kind: 'identify', identities: ['userId'] })]);
  });

  it('makes a member of a customer whose call carries the member_id identity trait, also in a track call\'s context', async () => {
    await send([{ type: 'track', anonymousId: 'mt-pos', event: 'Store Visited', messageId: 'mt-4' }]);
    const pos = await customerOf('anonymousId=mt-pos');
    expect(await settled(pos, 1)).toEqual({ stage: 'stranger', live: 'stranger' });
    await send([{ type: 'track', anonymousId: 'mt-pos', event: 'Coupon Redeemed', messageId: 'mt-5', context: { traits: { member_id: 'M-2001' } } }]);
    expect(await settled(pos, 2)).toEqual({ stage: 'member', live: 'member' });

    await send([{ type: 'identify', anonymousId: 'mt-card', messageId: 'mt-6', traits: { member_id: 'M-2002' } }]);
    const card = await customerOf('anonymousId=mt-card');
    expect(await settled(card, 1)).toEqual({ stage: 'member', live: 'member' });
  });
});
