// The hosted preference page behind `{{ preferences_url }}`: a customer's subscription groups per
// channel, and the form that saves their choice. Plain server-rendered HTML (no script, no
// external asset, everything escaped); the signed token in the URL is the only credential, and the
// form must carry it back, so no other site can post a change for anyone.
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { timingSafeEqual } from 'node:crypto';
import { verifyToken, type TrackingClaims, type TrackingKeys } from '../../signing/tokens.js';
import { ApiError } from '../errors.js';
import { limitPerMinute } from '../rate-limits.js';
import type { SubscriptionService } from '../subscriptions/service.js';
import type { ApiRoute } from '../route.js';

export interface PreferencesDeps {
  service: SubscriptionService;
  keys: TrackingKeys;
  limits: { perIpPerMinute: number; perTokenPerMinute: number };
}

type Listed = NonNullable<Awaited<ReturnType<SubscriptionService['page']>>>['subscriptions'];

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const channelNames: Record<string, string> = { email: 'E-mail', sms: 'SMS', wechat: 'WeChat', push: 'Push notifications', webhook: 'Other' };

function preferencePage(token: string, groups: Listed, saved: boolean): string {
  const byChannel = new Map<string, Listed>();
  for (const g of groups) byChannel.set(g.channel, [...(byChannel.get(g.channel) ?? []), g]);
  const sections = [...byChannel].map(([channel, list]) => `<fieldset><legend>${escapeHtml(channelNames[channel] ?? channel)}</legend>
${list.map((g) => `<label><input type="checkbox" name="group" value="${escapeHtml(g.group)}"${g.subscribed ? ' checked' : ''}${g.transactional ? ' disabled' : ''}> ${escapeHtml(g.name)}${g.transactional ? ' <small>(always sent: about your orders and account)</small>' : ''}</label>
${g.transactional ? '' : `<input type="hidden" name="shown" value="${escapeHtml(g.group)}">`}`).join('\n')}
</fieldset>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Your preferences</title>
<style>body{font-family:sans-serif;max-width:32em;margin:2em auto;padding:0 1em}fieldset{margin:1em 0}label{display:block;margin:.4em 0}</style></head>
<body><h1>Your preferences</h1>
${saved ? '<p role="status"><strong>Saved.</strong> Your choice applies from now on.</p>\n' : ''}${groups.length === 0 ? '<p>There is nothing to choose here yet.</p>' : `<form method="post">
<input type="hidden" name="token" value="${escapeHtml(token)}">
${sections}
<button type="submit">Save</button>
</form>`}
</body></html>
`;
}

const byToken = z.object({ token: z.string().meta({ description: 'signed by Closedloop; only its messages carry valid ones' }) });
const unknownLink = '`not_found`: an unknown or forged link, or a customer no longer known';
const limited = '`rate_limited`: too many requests from this address or for this link (`Retry-After`)';

export const preferencesApi: ApiRoute[] = [
  {
    method: 'get', path: '/t/p/:token', key: 'none', summary: 'Preference page: the customer\'s subscription groups per channel', params: byToken,
    description: 'The page behind `{{ preferences_url }}` in every message. Shows; changes nothing.',
    responses: { 200: { description: 'the page', contentType: 'text/html', schema: z.string() } },
    errors: { 404: unknownLink, 429: limited },
  },
  {
    method: 'post', path: '/t/p/:token', key: 'none', summary: 'Save the preference page\'s choice',
    description: 'The page\'s form (`application/x-www-form-urlencoded`: `token`, each `shown` group, each ticked `group`). Each choice becomes a '
      + '`Subscription Changed` event in the customer\'s workflow. Transactional groups cannot be left. Answers the page again, saved.',
    params: byToken,
    responses: { 200: { description: 'the page, saved', contentType: 'text/html', schema: z.string() } },
    errors: { 400: '`invalid_request`: the form does not carry the link\'s token', 404: unknownLink, 429: limited, 503: '`temporal_unavailable` or `overloaded` (`Retry-After`): retry' },
  },
];

const list = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string').slice(0, 200);
const sameText = (a: string, b: string): boolean => {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
};

export function preferencesRouter({ service, keys, limits }: PreferencesDeps): Router {
  const router = Router();
  const perIp = limitPerMinute({ perMinute: limits.perIpPerMinute, per: 'address' });
  const perToken = limitPerMinute({ perMinute: limits.perTokenPerMinute, per: 'link', keyOf: (req: Request) => String(req.params.token) });
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 500 });

  /** Honoured whatever the token's age, as an unsubscribe is: a customer may always say no. */
  const claimsOf = (token: unknown): TrackingClaims => {
    const claims = typeof token === 'string' ? verifyToken(token, keys) : undefined;
    if (claims?.k !== 'preferences') throw new ApiError(404, 'not_found', 'unknown preferences link');
    return claims;
  };

  router.get('/t/p/:token', perIp, perToken, async (req, res) => {
    const token = String(req.params.token);
    const claims = claimsOf(token);
    const page = await service.page(claims.c);
    if (!page) throw new ApiError(404, 'not_found', 'unknown preferences link');
    res.set('Cache-Control', 'no-store').type('html').send(preferencePage(token, page.subscriptions, false));
  });

  router.post('/t/p/:token', perIp, perToken, form, async (req, res) => {
    const token = String(req.params.token);
    const claims = claimsOf(token);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body.token !== 'string' || !sameText(body.token, token)) {
      throw new ApiError(400, 'invalid_request', 'the form does not carry this link\'s token', [{ field: 'token', message: 'must be the token of the URL' }]);
    }
    const saved = await service.save(claims.c, list(body.shown), new Set(list(body.group)));
    if (!saved) throw new ApiError(404, 'not_found', 'unknown preferences link');
    res.set('Cache-Control', 'no-store').type('html').send(preferencePage(token, saved.subscriptions, true));
  });

  return router;
}
