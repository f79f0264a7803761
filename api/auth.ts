// API keys: write keys ingest events; admin keys do everything. Kept only as SHA-256 hashes,
// compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { ApiError } from './errors.js';

export type Scope = 'write' | 'admin';

const hash = (key: string): Buffer => createHash('sha256').update(key).digest();

export function keyring(keys: { write: string[]; admin: string[] }) {
  const entries = [
    ...keys.write.map((k) => ({ hash: hash(k), scope: 'write' as Scope })),
    ...keys.admin.map((k) => ({ hash: hash(k), scope: 'admin' as Scope })),
  ];
  return (key: string): Scope | undefined => {
    const h = hash(key);
    let found: Scope | undefined;
    for (const e of entries) if (timingSafeEqual(e.hash, h)) found = found === 'admin' ? found : e.scope;
    return found;
  };
}

/** The key from `Authorization: Basic base64(key:)` (as Segment libraries send it) or `Bearer key`. */
export function keyFrom(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(' ', 2);
  if (!value) return undefined;
  if (scheme?.toLowerCase() === 'bearer') return value.trim();
  if (scheme?.toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const user = decoded.split(':', 1)[0];
  return user || undefined;
}

export function requireScope(scopeOf: (key: string) => Scope | undefined, needed: Scope): RequestHandler {
  return (req, res, next) => {
    const key = keyFrom(req.headers.authorization);
    if (!key) {
      res.setHeader('WWW-Authenticate', 'Basic realm="closedloop"');
      return next(new ApiError(401, 'unauthenticated', 'missing API key: send it as the Basic user name or a Bearer token'));
    }
    const scope = scopeOf(key);
    if (!scope) return next(new ApiError(401, 'invalid_key', 'unknown API key'));
    if (needed === 'admin' && scope !== 'admin') return next(new ApiError(403, 'forbidden', 'this key may only send events'));
    res.locals.keyId = hash(key).toString('hex');
    next();
  };
}

/** Requests per minute per API key (after authentication); 429 `rate_limited` with Retry-After. */
export function rateLimitPerKey(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (_req, res) => String(res.locals.keyId),
    validate: { keyGeneratorIpFallback: false },
    handler: (_req, _res, next) => next(new ApiError(429, 'rate_limited', `more than ${perMinute} requests a minute with this key; retry after the Retry-After header`)),
  });
}
