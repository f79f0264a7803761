import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { isExpired, keyId, signToken, trackLinks, verifyToken } from '../../signing/tokens.js';
import { markAuthorLinks, renderTemplate } from '../../activities/channels/templates.js';

const secret = 'x'.repeat(40);
const claims = { m: 'msg-1', c: 'c1', ch: 'email', k: 'click' as const, l: 0 };

describe('tracking tokens', () => {
  it('verifies what it signed and rejects forged, tampered or foreign tokens', () => {
    const token = signToken(claims, secret);
    expect(verifyToken(token, secret)).toMatchObject(claims);
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
    const out = trackLinks(html, { messageId: 'msg-1', customerId: 'c1', channel: 'email' }, { publicUrl: 'https://cl.example', keys: secret, html: true });
    expect(out.links).toEqual(['https://shop.example/oil?a=1&b=2', 'https://shop.example/set']);
    const tokens = [...out.content.matchAll(/https:\/\/cl\.example\/t\/c\/([^"]+)/g)].map((m) => verifyToken(m[1]!, secret)?.l);
    expect(tokens).toEqual([0, 1, 0]);
    expect(out.content).toContain('mailto:x@y');
  });

  it('tracks bare URLs in plain text such as SMS', () => {
    const out = trackLinks('Gift set: https://s.example/g1 reply TD to stop', { messageId: 'm', customerId: 'c', channel: 'sms' }, { publicUrl: 'https://cl.example', keys: secret, html: false });
    expect(out.links).toEqual(['https://s.example/g1']);
    expect(out.content).toMatch(/^Gift set: https:\/\/cl\.example\/t\/c\/\S+ reply TD to stop$/);
  });
});

describe('token expiry and key rotation', () => {
  const day = 24 * 3600;
  const old = 'o'.repeat(40);
  const legacy = (c: object, key: string) => {
    const body = Buffer.from(JSON.stringify(c)).toString('base64url');
    return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
  };

  it('names the signing key and an expiry, a year by default or the configured life', () => {
    const now = Date.UTC(2026, 0, 1);
    const verified = verifyToken(signToken(claims, secret, now), secret)!;
    expect(verified.kid).toBe(keyId(secret));
    expect(verified.kid).toMatch(/^[\w-]{8}$/);
    expect(verified.exp).toBe(now / 1000 + 365 * day);
    expect(verifyToken(signToken(claims, { secret, ttlSeconds: 30 * day }, now), secret)?.exp).toBe(now / 1000 + 30 * day);
    expect(isExpired(verified, now + 364 * day * 1000)).toBe(false);
    expect(isExpired(verified, now + 365 * day * 1000)).toBe(true);
  });

  it('still verifies tokens signed with a previous secret after a rotation, and none signed with a dropped one', () => {
    const before = signToken(claims, old);
    const keys = { secret, previous: [old] };
    expect(verifyToken(before, keys)).toMatchObject({ ...claims, kid: keyId(old) });
    expect(verifyToken(signToken(claims, keys), keys)?.kid).toBe(keyId(secret));
    expect(verifyToken(before, secret)).toBeUndefined();
    // The key id only picks the key: claiming another key's id does not make a signature valid.
    const [body, sig] = signToken(claims, old).split('.');
    const relabelled = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), kid: keyId(secret) })).toString('base64url');
    expect(verifyToken(`${relabelled}.${sig}`, keys)).toBeUndefined();
  });

  it('keeps tokens made before expiries and key ids verifying (with the current or a previous secret), never expiring', () => {
    expect(verifyToken(legacy(claims, secret), secret)).toEqual(claims);
    expect(verifyToken(legacy(claims, old), { secret, previous: [old] })).toEqual(claims);
    expect(isExpired(verifyToken(legacy(claims, secret), secret)!, Date.UTC(2100, 0, 1))).toBe(false);
    expect(verifyToken(legacy(claims, 'z'.repeat(40)), { secret, previous: [old] })).toBeUndefined();
  });
});

describe('links from customer data', () => {
  const message = { messageId: 'm', customerId: 'c', channel: 'email' };
  const evil = { profile: { traits: { site: 'https://evil.example/', card: '<a href="https://evil.example/">win</a>', page: 'p/1' } } };
  const track = (rendered: { body: string; html: boolean; linkMarker?: string }) =>
    trackLinks(rendered.body, message, { publicUrl: 'https://cl.example', keys: secret, html: rendered.html, marker: rendered.linkMarker });

  it('tracks only the links the author wrote in an HTML template, never those rendered from traits', async () => {
    const body = '<p><a href="https://shop.example/{{ profile.traits.page }}">shop</a> {{ profile.traits.site }} {{ profile.traits.card | raw }} '
      + '<a href="{{ profile.traits.site }}">site</a> <a href="https://{{ profile.traits.site }}">x</a></p>';
    const rendered = await renderTemplate({ body, html: true, locales: {}, variants: [] }, evil, undefined, { markLinks: true });
    const out = track(rendered);
    expect(out.links).toEqual(['https://shop.example/p/1']);
    expect(out.content).toMatch(/^<p><a href="https:\/\/cl\.example\/t\/c\/[^"]+">shop<\/a> https:\/\/evil\.example\/ <a href="https:\/\/evil\.example\/">win<\/a> <a href="https:\/\/evil\.example\/">site<\/a> /);
    expect(out.content).not.toContain(rendered.linkMarker!);
    expect(out.content).not.toMatch(/[\uE000\uE001]/);
  });

  it('tracks only the author\'s bare URLs in plain text, and not one whose host continues with data', async () => {
    const body = 'Shop https://shop.example/o/{{ profile.traits.page }} or {{ profile.traits.site }} or https://shop.example{{ profile.traits.site }}';
    const rendered = await renderTemplate({ body, locales: {}, variants: [] }, evil, undefined, { markLinks: true });
    const out = track(rendered);
    expect(out.links).toEqual(['https://shop.example/o/p/1']);
    expect(out.content).toMatch(/^Shop https:\/\/cl\.example\/t\/c\/\S+ or https:\/\/evil\.example\/ or https:\/\/shop\.examplehttps:\/\/evil\.example\/$/);
  });

  it('marks links outside Liquid markup only', () => {
    const mark = '\uE000k\uE001';
    expect(markAuthorLinks('<a href="https://a.example/x">{{ "https://b.example" }}</a> https://c.example', true, mark))
      .toBe(`<a href="${mark}https://a.example/x">{{ "https://b.example" }}</a> https://c.example`);
    expect(markAuthorLinks('see https://a.example {% if x %}https://b.example/{{ y }}{% endif %} https://c.example{{ z }}', false, mark))
      .toBe(`see ${mark}https://a.example {% if x %}${mark}https://b.example/{{ y }}{% endif %} https://c.example{{ z }}`);
  });
});
