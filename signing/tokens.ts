// Signed, unguessable tracking tokens for opens, clicks and unsubscribes, and the rewriting of a
// message's links into tracked ones. A click token names a link by its index in the message's
// stored `links`, so a redirect can only go to a URL that was in the message.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type TrackingKind = 'open' | 'click' | 'unsubscribe' | 'preferences';

export interface TrackingClaims {
  /** The message (its idempotency key). */
  m: string;
  /** The customer. */
  c: string;
  /** The channel the message went out on. */
  ch: string;
  k: TrackingKind;
  /** For clicks: the index of the link in the message's `links`. */
  l?: number;
  /** For unsubscribes from a message of a subscription group: the group it leaves (else the channel). */
  g?: string;
  /** Expiry, Unix seconds (absent in tokens made before expiries existed). */
  exp?: number;
  /** Which key signed it (absent in tokens made before key ids existed). */
  kid?: string;
}

/**
 * The keys tokens are signed and verified with: `secret` signs; `previous` (old secrets, after a
 * rotation) still verify, so links already sent keep working. `ttlSeconds`: the life given to new tokens.
 */
export interface TrackingKeys { secret: string; previous?: string[]; ttlSeconds?: number }

/** A year: opens and clicks of a message are reactions to it only for so long. */
export const defaultTokenTtlSeconds = 365 * 24 * 3600;

const b64 = (buf: Buffer | string): string => Buffer.from(buf).toString('base64url');
const mac = (secret: string, body: string): Buffer => createHmac('sha256', secret).update(body).digest();
const keysOf = (keys: TrackingKeys | string): TrackingKeys => (typeof keys === 'string' ? { secret: keys } : keys);

/** A key's id: the first 6 bytes of its SHA-256, so no setting is needed and nothing of the key is told. */
export const keyId = (secret: string): string => createHash('sha256').update(secret).digest().subarray(0, 6).toString('base64url');

export function signToken(claims: TrackingClaims, keys: TrackingKeys | string, nowMs = Date.now()): string {
  const { secret, ttlSeconds = defaultTokenTtlSeconds } = keysOf(keys);
  const body = b64(JSON.stringify({ ...claims, exp: Math.floor(nowMs / 1000) + ttlSeconds, kid: keyId(secret) }));
  return `${body}.${b64(mac(secret, body))}`;
}

/**
 * The claims of a token signed with one of our keys, or undefined for anything forged, malformed
 * or signed with a key no longer kept. Expiry is not checked here: see `isExpired`. A token
 * without a key id (made before they existed) is tried against every key.
 */
export function verifyToken(token: string, keys: TrackingKeys | string): TrackingClaims | undefined {
  const [body, signature, extra] = token.split('.');
  if (!body || !signature || extra !== undefined) return undefined;
  const { secret, previous = [] } = keysOf(keys);
  let claims: TrackingClaims;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TrackingClaims;
  } catch {
    return undefined;
  }
  if (typeof claims !== 'object' || claims === null) return undefined;
  const candidates = [secret, ...previous].filter((k) => claims.kid === undefined || keyId(k) === claims.kid);
  const given = Buffer.from(signature, 'base64url');
  const signed = candidates.some((k) => {
    const expected = mac(k, body);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!signed) return undefined;
  const kinds: TrackingKind[] = ['open', 'click', 'unsubscribe', 'preferences'];
  if (typeof claims.m !== 'string' || typeof claims.c !== 'string' || typeof claims.ch !== 'string' || !kinds.includes(claims.k)) return undefined;
  if (claims.k === 'click' && !(Number.isInteger(claims.l) && claims.l! >= 0)) return undefined;
  if (claims.exp !== undefined && !Number.isFinite(claims.exp)) return undefined;
  if (claims.g !== undefined && typeof claims.g !== 'string') return undefined;
  return claims;
}

/** Past its expiry. Tokens made before expiries existed never expire (messages already sent keep working). */
export const isExpired = (claims: TrackingClaims, nowMs = Date.now()): boolean => claims.exp !== undefined && claims.exp * 1000 <= nowMs;

export interface TrackedLinks {
  /** The content with every http(s) link replaced by a click-tracking URL. */
  content: string;
  /** The original URLs, in order: store them with the message. */
  links: string[];
}

const paths: Record<TrackingKind, string> = { open: 'o', click: 'c', unsubscribe: 'u', preferences: 'p' };

export function trackingUrl(publicUrl: string, claims: TrackingClaims, keys: TrackingKeys | string): string {
  return `${publicUrl}/t/${paths[claims.k]}/${signToken(claims, keys)}`;
}

/**
 * Replaces links in HTML `href="…"` attributes (or, for plain text such as SMS, bare http(s)
 * URLs) with tracked ones. With `marker` (see `markAuthorLinks` in channels/templates.ts), only
 * the links that carry it, the template author's, are tracked: a URL that came from customer data
 * stays as it is, so no one's traits become redirects on the brand's domain. The markers are removed.
 */
export function trackLinks(
  content: string,
  message: { messageId: string; customerId: string; channel: string },
  options: { publicUrl: string; keys: TrackingKeys | string; html: boolean; marker?: string },
): TrackedLinks {
  const links: string[] = [];
  const tracked = (url: string): string => {
    let index = links.indexOf(url);
    if (index < 0) { links.push(url); index = links.length - 1; }
    return trackingUrl(options.publicUrl, { m: message.messageId, c: message.customerId, ch: message.channel, k: 'click', l: index }, options.keys);
  };
  const mark = options.marker ?? '';
  const out = options.html
    ? content.replace(new RegExp(`href="${mark}(https?://[^"]+)"`, 'g'), (_, url: string) => `href="${tracked(decodeEntities(url))}"`)
    : content.replace(new RegExp(`${mark}(https?://[^\\s<>"']+)`, 'g'), (_, url: string) => tracked(url));
  return { content: mark ? out.replaceAll(mark, '') : out, links };
}

const decodeEntities = (s: string): string => s.replace(/&amp;/g, '&');
