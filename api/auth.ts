// API keys: each has a label (what the audit trail names) and scopes (what it may do). Kept only
// as SHA-256 hashes, compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { ApiError } from './errors.js';
import { granted, scopesFor, type Scope } from './scopes.js';
import type { ApiRoute } from './route.js';

export interface ApiKey { label: string; key: string; scopes: Scope[] }

/** Who is calling, once authenticated (`res.locals.caller`). */
export interface Caller { label: string; scopes: Set<Scope> }

const hash = (key: string): Buffer => createHash('sha256').update(key).digest();

/** The caller a key is, or undefined. The same key listed twice has the scopes of both. */
export function keyring(keys: ApiKey[]) {
  const entries = keys.map((k) => ({ hash: hash(k.key), label: k.label, scopes: k.scopes }));
  return (key: string): Caller | undefined => {
    const h = hash(key);
    let found: { label: string; scopes: Scope[] } | undefined;
    // Every entry compared, found or not: the time taken says nothing about which key matched.
    for (const e of entries) {
      if (!timingSafeEqual(e.hash, h)) continue;
      found = found ? { label: e.scopes.includes('admin') ? e.label : found.label, scopes: [...found.scopes, ...e.scopes] } : e;
    }
    return found && { label: found.label, scopes: granted(found.scopes) };
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

/** 401 without a known key; else the caller in `res.locals.caller` (and the key's hash as `keyId`, for rate limits). */
export function authenticate(callerOf: (key: string) => Caller | undefined): RequestHandler {
  return (req, res, next) => {
    const key = keyFrom(req.headers.authorization);
    if (!key) {
      res.setHeader('WWW-Authenticate', 'Basic realm="closedloop"');
      return next(new ApiError(401, 'unauthenticated', 'missing API key: send it as the Basic user name or a Bearer token'));
    }
    const caller = callerOf(key);
    if (!caller) return next(new ApiError(401, 'invalid_key', 'unknown API key'));
    res.locals.caller = caller;
    res.locals.keyId = hash(key).toString('hex');
    next();
  };
}

/** 403 `forbidden` naming the first scope the caller lacks (`details[0].message` is the scope itself). */
export function requireScopes(needed: Scope[]): RequestHandler {
  return (_req, res, next) => {
    const caller = res.locals.caller as Caller | undefined;
    const missing = needed.find((s) => !caller?.scopes.has(s));
    if (missing === undefined) return next();
    const only = caller && [...caller.scopes].every((s) => s === 'events:write') ? ' (this key may only send events)' : '';
    next(new ApiError(403, 'forbidden', `this key lacks the scope ${missing}${only}`, [{ field: 'scope', message: missing }]));
  };
}

/** Each keyed route's scope check, before its body is read: the scopes come from api/scopes.ts. */
export function scopeChecks(routes: ApiRoute[]): RequestHandler {
  const router = Router();
  for (const route of routes) if (route.key !== 'none') router[route.method](route.path, requireScopes(scopesFor(route)));
  // A plain handler, not the router itself: these are checks in front of the routes, not routes of the app.
  return (req, res, next) => router(req, res, next);
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
