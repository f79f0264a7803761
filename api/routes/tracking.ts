// Public tracking endpoints behind the links in messages: open pixel, click redirect, unsubscribe.
// Tokens are signed (activities/tracking/tokens.ts); no API key, since customers' devices call these.
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Logger } from 'pino';
import { verifyToken, type TrackingClaims, type TrackingKind } from '../../activities/tracking/tokens.js';
import { ApiError } from '../errors.js';
import type { FeedbackService } from '../feedback/service.js';
import type { ApiRoute } from '../openapi.js';

export interface TrackingDeps {
  feedback: FeedbackService;
  secret: string;
  logger: Logger;
}

const pixel = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const unsubscribedPage = (channel: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Unsubscribed</title></head>
<body><h1>You are unsubscribed</h1><p>You will no longer receive marketing messages from us by ${escapeHtml(channel)}.</p></body></html>
`;

const byToken = z.object({ token: z.string().meta({ description: 'signed by Closedloop; only its links carry valid ones' }) });
const Unsubscribed = z.object({ unsubscribed: z.literal(true) }).meta({ id: 'Unsubscribed' });
const unknownLink = '`not_found`: an unknown or forged link';
const unavailable = '`temporal_unavailable` or `mongodb_unavailable`: retry';

export const trackingApi: ApiRoute[] = [
  {
    method: 'get', path: '/t/o/:token', key: 'none', summary: 'Open pixel: records `Message Opened` once', params: byToken,
    description: 'Every token, valid or not, gets the same uncacheable 1×1 GIF.',
    responses: { 200: { description: 'a transparent GIF', contentType: 'image/gif', schema: z.string().meta({ format: 'binary' }) } },
  },
  {
    method: 'get', path: '/t/c/:token', key: 'none', summary: 'Click redirect: records `Message Clicked`', params: byToken,
    description: 'Redirects only to a link stored with the message, never to one named in the request.',
    responses: { 302: { description: 'to the link', headers: z.object({ Location: z.string() }) } },
    errors: { 404: unknownLink },
  },
  {
    method: 'get', path: '/t/u/:token', key: 'none', summary: 'Unsubscribe page: turns the channel\'s consent off at once', params: byToken,
    responses: { 200: { description: 'a page saying so', contentType: 'text/html', schema: z.string() } },
    errors: { 404: unknownLink, 503: unavailable },
  },
  {
    method: 'post', path: '/t/u/:token', key: 'none', summary: 'RFC 8058 one-click unsubscribe', params: byToken,
    description: 'Mail providers POST `List-Unsubscribe=One-Click` here; the body is not read.',
    responses: { 200: { description: 'unsubscribed', schema: Unsubscribed } },
    errors: { 404: unknownLink, 503: unavailable },
  },
];

export function trackingRouter({ feedback, secret, logger }: TrackingDeps): Router {
  const router = Router();

  const claimsOf = (token: unknown, kind: TrackingKind): TrackingClaims | undefined => {
    const claims = typeof token === 'string' ? verifyToken(token, secret) : undefined;
    return claims?.k === kind ? claims : undefined;
  };
  // A reaction that cannot be recorded must not break the customer's click or image.
  const recordQuietly = async (what: string, record: () => Promise<void>): Promise<void> => {
    try { await record(); } catch (err) { logger.warn({ err }, `could not record ${what}`); }
  };
  const noStore = (res: Response) => res.set('Cache-Control', 'no-store');

  router.get('/t/o/:token', async (req, res) => {
    // Every token gets the same pixel: scanners learn nothing about validity.
    const claims = claimsOf(req.params.token, 'open');
    if (claims) await recordQuietly('an open', () => feedback.opened(claims));
    // Mail clients show it from another origin; helmet's default would block it.
    noStore(res).set('Cross-Origin-Resource-Policy', 'cross-origin').type('image/gif').send(pixel);
  });

  router.get('/t/c/:token', async (req, res) => {
    const claims = claimsOf(req.params.token, 'click');
    const target = claims && (await feedback.clickTarget(claims));
    if (!target) throw new ApiError(404, 'not_found', 'unknown link');
    await recordQuietly('a click', () => feedback.clicked(target));
    noStore(res).redirect(302, target.url);
  });

  const unsubscribe = async (token: unknown): Promise<TrackingClaims> => {
    const claims = claimsOf(token, 'unsubscribe');
    if (!claims) throw new ApiError(404, 'not_found', 'unknown unsubscribe link');
    await feedback.unsubscribed(claims);
    return claims;
  };

  router.get('/t/u/:token', async (req, res) => {
    const claims = await unsubscribe(req.params.token);
    noStore(res).type('html').send(unsubscribedPage(claims.ch));
  });

  // RFC 8058 one-click unsubscribe: mail providers POST `List-Unsubscribe=One-Click` here.
  router.post('/t/u/:token', async (req, res) => {
    await unsubscribe(req.params.token);
    noStore(res).json({ unsubscribed: true } satisfies z.input<typeof Unsubscribed>);
  });

  return router;
}
