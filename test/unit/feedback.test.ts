import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isOptOut } from '../../api/feedback/receipt.js';
import { checkSignature, signBody as signWebhook } from '../../signing/webhooks.js';

describe('opt-out replies', () => {
  it('treats a reply that is only an opt-out keyword as an unsubscribe, in any case or script', () => {
    for (const text of ['STOP', ' td ', 'Td', '退订', 'Unsubscribe.', 'T', '取消订阅！']) expect(isOptOut(text), text).toBe(true);
  });

  it('leaves ordinary replies that merely mention stopping alone', () => {
    for (const text of ['please stop by the store', 'Thanks', 'TD?? what is this', '', 'stop it']) expect(isOptOut(text), text).toBe(false);
  });
});

describe('provider webhook signatures', () => {
  const secret = 's'.repeat(40);
  const body = Buffer.from('{"id":"e1","type":"delivered","messageId":"m1"}');
  const at = 1_767_000_000;
  const check = (signature: string | undefined, timestamp: string | undefined, nowMs = at * 1000) =>
    checkSignature({ secret, timestamp, signature, body, nowMs });
  const ts = String(at);

  it('accepts the documented HMAC-SHA256 of "timestamp.body", also among rotated keys', () => {
    const hex = createHmac('sha256', secret).update(`${at}.${body.toString()}`).digest('hex');
    expect(signWebhook(secret, at, body)).toBe(`v1=${hex}`);
    expect(check(`v1=${hex}`, ts)).toBe('ok');
    expect(check(`v1=${'0'.repeat(64)}, v1=${hex}`, ts)).toBe('ok');
  });

  it('refuses missing, malformed or foreign signatures, and timestamps over five minutes away', () => {
    const good = signWebhook(secret, at, body);
    expect(check(undefined, ts)).toBe('invalid_signature');
    expect(check(good, undefined)).toBe('invalid_signature');
    expect(check(good, 'soon')).toBe('invalid_signature');
    expect(check(good.replace('v1=', 'v0='), ts)).toBe('invalid_signature');
    expect(check(good.slice(0, -2), ts)).toBe('invalid_signature');
    expect(check(signWebhook('o'.repeat(40), at, body), ts)).toBe('invalid_signature');
    expect(check(good, ts, (at + 300) * 1000)).toBe('ok');
    expect(check(good, ts, (at + 301) * 1000)).toBe('stale_timestamp');
    expect(check(good, ts, (at - 301) * 1000)).toBe('stale_timestamp');
  });
});
