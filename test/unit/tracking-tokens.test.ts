import { describe, expect, it } from 'vitest';
import { signToken, trackLinks, verifyToken } from '../../activities/tracking/tokens.js';

const secret = 'x'.repeat(40);
const claims = { m: 'msg-1', c: 'c1', ch: 'email', k: 'click' as const, l: 0 };

describe('tracking tokens', () => {
  it('verifies what it signed and rejects forged, tampered or foreign tokens', () => {
    const token = signToken(claims, secret);
    expect(verifyToken(token, secret)).toEqual(claims);
    const [body, sig] = token.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ ...claims, l: 1 })).toString('base64url');
    expect(verifyToken(`${forgedBody}.${sig}`, secret)).toBeUndefined();
    expect(verifyToken(`${body}.${sig!.slice(0, -2)}AA`, secret)).toBeUndefined();
    expect(verifyToken(token, 'y'.repeat(40))).toBeUndefined();
    expect(verifyToken('garbage', secret)).toBeUndefined();
    expect(verifyToken(`${body}.${sig}.more`, secret)).toBeUndefined();
  });

  it('rewrites each link to a tracked one and keeps the originals in order', () => {
    const html = '<a href="https://shop.example/oil?a=1&amp;b=2">oil</a> <a href="https://shop.example/set">set</a> <a href="https://shop.example/oil?a=1&amp;b=2">again</a> <a href="mailto:x@y">mail</a>';
    const out = trackLinks(html, { messageId: 'msg-1', customerId: 'c1', channel: 'email' }, { publicUrl: 'https://cl.example', secret, html: true });
    expect(out.links).toEqual(['https://shop.example/oil?a=1&b=2', 'https://shop.example/set']);
    const tokens = [...out.content.matchAll(/https:\/\/cl\.example\/t\/c\/([^"]+)/g)].map((m) => verifyToken(m[1]!, secret)?.l);
    expect(tokens).toEqual([0, 1, 0]);
    expect(out.content).toContain('mailto:x@y');
  });

  it('tracks bare URLs in plain text such as SMS', () => {
    const out = trackLinks('Gift set: https://s.example/g1 reply TD to stop', { messageId: 'm', customerId: 'c', channel: 'sms' }, { publicUrl: 'https://cl.example', secret, html: false });
    expect(out.links).toEqual(['https://s.example/g1']);
    expect(out.content).toMatch(/^Gift set: https:\/\/cl\.example\/t\/c\/\S+ reply TD to stop$/);
  });
});
