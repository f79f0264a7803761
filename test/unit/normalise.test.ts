import { describe, expect, it } from 'vitest';
import { normalise } from '../../api/ingest/normalize.js';
import { linkedGroups } from '../../activities/routing.js';
import type { SegmentEvent } from '../../api/ingest/segment.js';

const options = { defaultPhoneCountry: 'CN', extraTraits: ['member_id'] };
const received = new Date('2026-05-01T10:00:00.000Z');

describe('normalising Segment events', () => {
  it('extracts every identity in normalised form', () => {
    const e: SegmentEvent = { type: 'identify', userId: 'u1', anonymousId: 'a1', traits: { email: ' Ana@Example.COM ', phone: '138-0013-8000', wechatOpenId: 'oX1', member_id: 'M9' } };
    const out = normalise(e, '(body)', options, received);
    expect(out.ok && out.value.identities).toEqual([
      { type: 'userId', value: 'u1' }, { type: 'anonymousId', value: 'a1' }, { type: 'email', value: 'ana@example.com' },
      { type: 'phone', value: '+8613800138000' }, { type: 'wechat_openid', value: 'oX1' }, { type: 'member_id', value: 'M9' },
    ]);
  });

  it('reads identities from context.traits on track calls without applying them as traits', () => {
    const e: SegmentEvent = { type: 'track', anonymousId: 'a1', event: 'Order Completed', properties: { total: 5 }, context: { traits: { phone: '+44 20 7946 0958' } } };
    const out = normalise(e, '(body)', options, received);
    expect(out.ok && out.value.identities).toContainEqual({ type: 'phone', value: '+442079460958' });
    expect(out.ok && out.value.event.traits).toEqual({});
  });

  it('names the field of an invalid phone number', () => {
    const out = normalise({ type: 'identify', userId: 'u1', traits: { phone: '12' } }, 'batch.3', options, received);
    expect(out).toEqual({ ok: false, details: [{ field: 'batch.3.traits.phone', message: expect.stringContaining('not a valid phone number') }] });
  });

  it('corrects a device clock by the difference between sentAt and receipt', () => {
    const e: SegmentEvent = { type: 'track', userId: 'u1', event: 'X', properties: {}, timestamp: '2026-05-01T09:00:00.000Z', sentAt: '2026-05-01T09:05:00.000Z' };
    const out = normalise(e, '(body)', options, received);
    expect(out.ok && out.value.event.timestamp).toBe('2026-05-01T09:55:00.000Z');
  });

  it('gives each event without messageId its own id, as Segment\'s libraries do: identical calls are two events', () => {
    const e: SegmentEvent = { type: 'track', userId: 'u1', event: 'X', properties: { a: 1 }, timestamp: '2026-05-01T09:00:00.000Z' };
    const first = normalise(e, '(body)', options, received);
    const second = normalise(e, '(body)', options, received);
    expect(first.ok && first.value.event.messageId).toMatch(/^api-[0-9a-f-]{36}$/);
    expect(first.ok && second.ok && first.value.event.messageId !== second.value.event.messageId).toBe(true);
    const given = normalise({ ...e, messageId: 'm-1' }, '(body)', options, received);
    expect(given.ok && given.value.event.messageId).toBe('m-1');
  });

  it('links an alias\'s previous id as an anonymous id of the same person', () => {
    const out = normalise({ type: 'alias', userId: 'u1', previousId: 'anon-7' }, '(body)', options, received);
    expect(out.ok && out.value.identities).toEqual([{ type: 'userId', value: 'u1' }, { type: 'anonymousId', value: 'anon-7' }]);
  });
});

describe('grouping a batch by person', () => {
  it('puts events that share any identity, directly or through another event, in one group', () => {
    const item = (...ids: [string, string][]) => ({ event: {} as never, identities: ids.map(([type, value]) => ({ type, value })) });
    const groups = linkedGroups([
      item(['anonymousId', 'a1']), item(['userId', 'u1']), item(['userId', 'u1'], ['anonymousId', 'a1']),
      item(['userId', 'u2']), item(['phone', '+1']), item(['phone', '+1'], ['userId', 'u3']),
    ]);
    expect(groups.map((g) => g.members)).toEqual([[0, 1, 2], [3], [4, 5]]);
    expect(groups[0]!.identities).toEqual([{ type: 'anonymousId', value: 'a1' }, { type: 'userId', value: 'u1' }]);
  });
});
