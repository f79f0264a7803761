// Rate limits of the routes without an API key (tracking links, provider webhooks), in memory per
// API process (express-rate-limit). Past a limit a request is refused with 429 `rate_limited` and
// Retry-After, or, where refusing would break what the customer sees (an open pixel), let through
// marked so that it records nothing.
import type { Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { ApiError } from './errors.js';

export type OverLimit = 'refuse' | 'quiet';

/** `per`: what is counted, for the message ("address", "link", "provider"). */
export function limitPerMinute(options: {
  perMinute: number;
  per: string;
  /** Default: the client's IP address (IPv6 by /56 subnet). */
  keyOf?: (req: Request, res: Response) => string;
  over?: OverLimit | ((req: Request) => OverLimit);
}): RequestHandler {
  const { perMinute, per, keyOf, over = 'refuse' } = options;
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    ...(keyOf && { keyGenerator: keyOf }),
    handler: (req, res, next) => {
      if ((typeof over === 'function' ? over(req) : over) === 'refuse') {
        return next(new ApiError(429, 'rate_limited', `more than ${perMinute} requests a minute for this ${per}; retry after the Retry-After header`));
      }
      res.removeHeader('Retry-After');
      res.locals.overLimit = true;
      next();
    },
  });
}

/** The request went past a `quiet` limit: answer as usual, record nothing. */
export const isOverLimit = (res: Response): boolean => res.locals.overLimit === true;
