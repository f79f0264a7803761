// Delivery receipts and inbound replies from providers: POST /v1/webhooks/:provider. No API key;
// each request is verified by its HMAC signature over the raw body and a fresh timestamp.
import express, { Router } from 'express';
import { z } from 'zod';
import { channels, type Channel } from '../../workflows/messaging/types.js';
import { ApiError, parse } from '../errors.js';
import type { FeedbackService } from '../feedback/service.js';
import type { ApiRoute } from '../route.js';
import { limitPerMinute } from '../rate-limits.js';
import { ProviderReceipt } from '../feedback/receipt.js';
import { checkSignature, signatureHeader, timestampHeader } from '../../signing/webhooks.js';

export interface WebhooksDeps {
  feedback: FeedbackService;
  /** Each provider's webhook secret (config `WEBHOOK_SECRET_<PROVIDER>`). */
  secrets: Record<Channel, string>;
  /** Requests a minute per client address (before the signature check) and signed ones per provider. */
  limits: { perIpPerMinute: number; perProviderPerMinute: number };
  now?: () => number;
}

const Provider = z.enum(channels);

const Received = z.object({ received: z.literal(true), duplicate: z.literal(true).optional().meta({ description: 'this receipt id was applied before; nothing changed' }) })
  .meta({ id: 'Received' });

export const webhooksApi: ApiRoute[] = [{
  method: 'post', path: '/v1/webhooks/:provider', key: 'none', summary: 'A provider\'s delivery receipt or a customer\'s reply',
  description: 'Signed, instead of an API key: `X-Closedloop-Signature: v1=hex(HMAC-SHA256(WEBHOOK_SECRET_<PROVIDER>, "<X-Closedloop-Timestamp>.<raw body>"))`, '
    + 'the timestamp (Unix seconds) within 5 minutes; each provider has its own secret (`PROVIDER_SIGNING_SECRET` for one without). '
    + 'A reply `STOP`, `TD` or `退订` unsubscribes. Rate-limited per client address and, once signed, per provider.',
  params: z.object({ provider: Provider }),
  headers: z.object({ [timestampHeader]: z.string(), [signatureHeader]: z.string() }),
  body: ProviderReceipt,
  responses: { 200: { description: 'applied, or a repeat', schema: Received } },
  errors: {
    400: '`invalid_json` or `invalid_request`',
    401: '`invalid_signature` or `stale_timestamp`',
    404: '`not_found`: an unknown provider, or no message of its with that messageId or providerId',
    429: '`rate_limited` (`Retry-After`): too many requests from this address or for this provider; retry',
    503: '`temporal_unavailable`, `mongodb_unavailable` or `overloaded` (`Retry-After`): retry',
  },
}];

const refusals = {
  invalid_signature: 'missing or wrong X-Closedloop-Signature',
  stale_timestamp: 'X-Closedloop-Timestamp is more than 5 minutes from now',
};

export function webhooksRouter({ feedback, secrets, limits, now = Date.now }: WebhooksDeps): Router {
  const router = Router();
  // The signature covers the exact bytes sent, so the body is read raw and parsed only after.
  const raw = express.raw({ type: () => true, limit: '64kb' });
  const perIp = limitPerMinute({ perMinute: limits.perIpPerMinute, per: 'address' });
  // Counted only once signed, so forged requests cannot use up a provider's budget.
  const perProvider = limitPerMinute({ perMinute: limits.perProviderPerMinute, per: 'provider', keyOf: (req) => String(req.params.provider) });

  const verified: express.RequestHandler = (req, _res, next) => {
    const provider = Provider.safeParse(req.params.provider);
    if (!provider.success) throw new ApiError(404, 'not_found', `no webhook for provider ${String(req.params.provider)}`);
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const check = checkSignature({
      secret: secrets[provider.data], timestamp: req.get(timestampHeader), signature: req.get(signatureHeader), body, nowMs: now(),
    });
    if (check !== 'ok') throw new ApiError(401, check, refusals[check]);
    next();
  };

  router.post('/v1/webhooks/:provider', perIp, raw, verified, perProvider, async (req, res) => {
    const provider = Provider.parse(req.params.provider);
    const body = req.body as Buffer;
    let json: unknown;
    try { json = JSON.parse(body.toString('utf8')); } catch { throw new ApiError(400, 'invalid_json', 'request body is not valid JSON'); }
    const outcome = await feedback.receipt(provider, parse(ProviderReceipt, json));
    res.json((outcome === 'duplicate' ? { received: true, duplicate: true } : { received: true }) satisfies z.input<typeof Received>);
  });

  return router;
}
