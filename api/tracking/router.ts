// Public tracking endpoints behind the links in messages: open pixel, click redirect, unsubscribe.
// Tokens are signed (signing/tokens.ts); no API key, since customers' devices call these.
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Logger } from 'pino';
import { isExpired, verifyToken, type TrackingClaims, type TrackingKeys, type TrackingKind } from '../../signing/tokens.js';
import { ApiError } from '../errors.js';
import type { FeedbackService } from '../feedback/service.js';
import { isOverLimit, limitPerMinute } from '../rate-limits.js';
import type { ApiRoute } from '../route.js';

export interface TrackingDeps {
  feedback: FeedbackService;
  keys: TrackingKeys;
  /** Requests a minute per client address and per token. */
  limits: { perIpPerMinute: number; perTokenPerMinute: number };
  logger: Logger;
  now?: () => number;
  /** A subscription group's name, for the pages of a group's unsubscribe link. */
  groupName?: (id: string) => Promise<string | undefined>;
}

const pixel = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const page = (title: string, content: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${title}</title></head>
<body>${content}</body></html>
`;

// The form posts to this same URL with RFC 8058's body: the button and a mail provider's one-click act alike.
/** What an unsubscribe link stops: the channel's marketing, or one subscription group's messages. */
const what = (channel: string, group?: string): string =>
  (group === undefined ? `marketing messages from us by ${escapeHtml(channel)}` : `“${escapeHtml(group)}” messages from us by ${escapeHtml(channel)}`);

const confirmPage = (channel: string, group?: string): string => page('Unsubscribe', `<h1>Unsubscribe</h1>
<p>Stop receiving ${what(channel, group)}?</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`);

const unsubscribedPage = (channel: string, group?: string): string =>
  page('Unsubscribed', `<h1>You are unsubscribed</h1><p>You will no longer receive ${what(channel, group)}.</p>`);

const byToken = z.object({ token: z.string().meta({ description: 'signed by Closedloop; only its links carry valid ones' }) });
const Unsubscribed = z.object({ unsubscribed: z.literal(true) }).meta({ id: 'Unsubscribed' });
const unknownLink = '`not_found`: an unknown or forged link';
const unavailable = '`temporal_unavailable` or `mongodb_unavailable`, or `overloaded` (reactions waiting for Temporal; `Retry-After`): retry';
const limited = '`rate_limited`: too many requests from this address or for this link (`Retry-After`)';

export const trackingApi: ApiRoute[] = [
  {
    method: 'get', path: '/t/o/:token', key: 'none', summary: 'Open pixel: records `Message Opened` once', params: byToken,
    description: 'Every token, valid or not, gets the same uncacheable 1×1 GIF. Nothing is recorded for an expired token, '
      + 'nor past the per-address or per-token rate limit (the GIF is still answered).',
    responses: { 200: { description: 'a transparent GIF', contentType: 'image/gif', schema: z.string().meta({ format: 'binary' }) } },
  },
  {
    method: 'get', path: '/t/c/:token', key: 'none', summary: 'Click redirect: records `Message Clicked`', params: byToken,
    description: 'Redirects only to a link stored with the message, never to one named in the request. The link keeps '
      + 'redirecting after the token expires, and past the per-token rate limit, but the click is then not recorded.',
    responses: { 302: { description: 'to the link', headers: z.object({ Location: z.string() }) } },
    errors: { 404: unknownLink, 429: limited },
  },
  {
    method: 'get', path: '/t/u/:token', key: 'none', summary: 'Unsubscribe page: asks to confirm, changes nothing', params: byToken,
    description: 'A page whose button POSTs to this URL. Link scanners that follow (GET or HEAD) the link unsubscribe no one.',
    responses: { 200: { description: 'the confirmation page', contentType: 'text/html', schema: z.string() } },
    errors: { 404: unknownLink, 429: limited },
  },
  {
    method: 'post', path: '/t/u/:token', key: 'none', summary: 'Unsubscribe: RFC 8058 one-click, or the page\'s button', params: byToken,
    description: 'Turns the channel\'s consent off at once (a link from a message of a subscription group leaves that group only). Mail providers POST `List-Unsubscribe=One-Click` here; the body is not read. '
      + 'Honoured also after the token\'s expiry. Answers JSON, or a page to a browser (`Accept: text/html`).',
    responses: { 200: { description: 'unsubscribed', schema: Unsubscribed } },
    errors: { 404: unknownLink, 429: limited, 503: unavailable },
  },
];

export function trackingRouter({ feedback, keys, limits, logger, now = Date.now, groupName }: TrackingDeps): Router {
  const router = Router();

  const claimsOf = (token: unknown, kind: TrackingKind): TrackingClaims | undefined => {
    const claims = typeof token === 'string' ? verifyToken(token, keys) : undefined;
    return claims?.k === kind ? claims : undefined;
  };
  // A reaction that cannot be recorded must not break the customer's click or image.
  const recordQuietly = async (what: string, record: () => Promise<void>): Promise<void> => {
    try { await record(); } catch (err) { logger.warn({ err }, `could not record ${what}`); }
  };
  const noStore = (res: Response) => res.set('Cache-Control', 'no-store');
  /** Reactions are recorded only within the token's life and the rate limits. */
  const records = (claims: TrackingClaims, res: Response) => !isExpired(claims, now()) && !isOverLimit(res);

  // A flood from one address or of one link records nothing past its limit; an open pixel is always answered.
  const perIp = limitPerMinute({ perMinute: limits.perIpPerMinute, per: 'address', over: (req) => (req.path.startsWith('/t/o/') ? 'quiet' : 'refuse') });
  const perToken = (over: 'quiet' | 'refuse') =>
    limitPerMinute({ perMinute: limits.perTokenPerMinute, per: 'link', keyOf: (req: Request) => String(req.params.token), over });

  router.get('/t/o/:token', perIp, perToken('quiet'), async (req, res) => {
    // Every token gets the same pixel: scanners learn nothing about validity.
    const claims = claimsOf(req.params.token, 'open');
    if (claims && records(claims, res)) await recordQuietly('an open', () => feedback.opened(claims));
    // Mail clients show it from another origin; helmet's default would block it.
    noStore(res).set('Cross-Origin-Resource-Policy', 'cross-origin').type('image/gif').send(pixel);
  });

  // Links keep working as long as the message's stored link does: expiry and limits only stop the recording.
  router.get('/t/c/:token', perIp, perToken('quiet'), async (req, res) => {
    const claims = claimsOf(req.params.token, 'click');
    const target = claims && (await feedback.clickTarget(claims));
    if (!target) throw new ApiError(404, 'not_found', 'unknown link');
    if (records(claims, res)) await recordQuietly('a click', () => feedback.clicked(target));
    noStore(res).redirect(302, target.url);
  });

  const unsubscribeClaims = (token: unknown): TrackingClaims => {
    const claims = claimsOf(token, 'unsubscribe');
    if (!claims) throw new ApiError(404, 'not_found', 'unknown unsubscribe link');
    return claims;
  };

  // GET (and HEAD, which Express answers from it) only asks: link scanners follow links.
  const groupOf = async (claims: TrackingClaims): Promise<string | undefined> =>
    (claims.g === undefined ? undefined : ((await groupName?.(claims.g).catch(() => undefined)) ?? claims.g));

  router.get('/t/u/:token', perIp, perToken('refuse'), async (req, res) => {
    const claims = unsubscribeClaims(req.params.token);
    noStore(res).type('html').send(confirmPage(claims.ch, await groupOf(claims)));
  });

  // RFC 8058 one-click unsubscribe (mail providers POST `List-Unsubscribe=One-Click`) and the page's button.
  // Honoured whatever the token's age: an opt-out is never refused.
  router.post('/t/u/:token', perIp, perToken('refuse'), async (req, res) => {
    const claims = unsubscribeClaims(req.params.token);
    await feedback.unsubscribed(claims);
    noStore(res);
    if (req.accepts(['json', 'html']) === 'html') res.type('html').send(unsubscribedPage(claims.ch, await groupOf(claims)));
    else res.json({ unsubscribed: true } satisfies z.input<typeof Unsubscribed>);
  });

  return router;
}
