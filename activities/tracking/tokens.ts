// Signed, unguessable tracking tokens for opens, clicks and unsubscribes, and the rewriting of a
// message's links into tracked ones. A click token names a link by its index in the message's
// stored `links`, so a redirect can only go to a URL that was in the message.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TrackingKind = 'open' | 'click' | 'unsubscribe';

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
}

const b64 = (buf: Buffer | string): string => Buffer.from(buf).toString('base64url');
const mac = (secret: string, body: string): Buffer => createHmac('sha256', secret).update(body).digest();

export function signToken(claims: TrackingClaims, secret: string): string {
  const body = b64(JSON.stringify(claims));
  return `${body}.${b64(mac(secret, body))}`;
}

/** The claims of a token this server signed, or undefined for anything forged or malformed. */
export function verifyToken(token: string, secret: string): TrackingClaims | undefined {
  const [body, signature, extra] = token.split('.');
  if (!body || !signature || extra !== undefined) return undefined;
  const expected = mac(secret, body);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TrackingClaims;
    const kinds: TrackingKind[] = ['open', 'click', 'unsubscribe'];
    if (typeof claims.m !== 'string' || typeof claims.c !== 'string' || typeof claims.ch !== 'string' || !kinds.includes(claims.k)) return undefined;
    if (claims.k === 'click' && !(Number.isInteger(claims.l) && claims.l! >= 0)) return undefined;
    return claims;
  } catch {
    return undefined;
  }
}

export interface TrackedLinks {
  /** The content with every http(s) link replaced by a click-tracking URL. */
  content: string;
  /** The original URLs, in order: store them with the message. */
  links: string[];
}

const paths: Record<TrackingKind, string> = { open: 'o', click: 'c', unsubscribe: 'u' };

export function trackingUrl(publicUrl: string, claims: TrackingClaims, secret: string): string {
  return `${publicUrl}/t/${paths[claims.k]}/${signToken(claims, secret)}`;
}

/**
 * Replaces links in HTML `href="…"` attributes (or, for plain text such as SMS, bare http(s)
 * URLs) with tracked ones.
 */
export function trackLinks(
  content: string,
  message: { messageId: string; customerId: string; channel: string },
  options: { publicUrl: string; secret: string; html: boolean },
): TrackedLinks {
  const links: string[] = [];
  const tracked = (url: string): string => {
    let index = links.indexOf(url);
    if (index < 0) { links.push(url); index = links.length - 1; }
    return trackingUrl(options.publicUrl, { m: message.messageId, c: message.customerId, ch: message.channel, k: 'click', l: index }, options.secret);
  };
  const out = options.html
    ? content.replace(/href="(https?:\/\/[^"]+)"/g, (_, url: string) => `href="${tracked(decodeEntities(url))}"`)
    : content.replace(/https?:\/\/[^\s<>"']+/g, (url) => tracked(url));
  return { content: out, links };
}

const decodeEntities = (s: string): string => s.replace(/&amp;/g, '&');
