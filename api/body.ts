// What a request body may be before any route reads it: JSON on admin routes (no cross-site form
// can send that), and not nested past what a recursive reader (JSON.stringify, a schema) survives.
import type { RequestHandler } from 'express';
import { ApiError, invalid } from './errors.js';

/** The bodies admin routes read: JSON, also as a `+json` type (`application/merge-patch+json`). */
export const jsonTypes = ['application/json', '+json'];

/** A body of any other type is refused before it is read (a cross-site form can only send those). */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  if (!hasBody || !['POST', 'PUT', 'PATCH'].includes(req.method) || req.is(jsonTypes)) return next();
  const type = req.headers['content-type'];
  next(new ApiError(415, 'unsupported_media_type', `the body must be application/json${type === undefined ? ', and no Content-Type was given' : `, not ${type.slice(0, 100)}`}`));
};

/**
 * The path of the first value nested deeper than `max` levels in a parsed body, if any. Read
 * without recursion: a 500 KB body can nest 250,000 levels.
 */
export function tooDeep(value: unknown, max: number, at = '(body)'): string | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: at, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return path;
    for (const [key, item] of Object.entries(v)) stack.push({ value: item, path: `${path}.${key}`, depth: depth + 1 });
  }
  return undefined;
}

/** 400 naming where a body nests past `max` levels. */
export function refuseDeep(body: unknown, max: number): void {
  const path = tooDeep(body, max);
  if (path !== undefined) throw invalid([{ field: path === '(body)' ? path : path.replace(/^\(body\)\./, ''), message: `nested deeper than ${max} levels` }]);
}

/** Admin bodies (journeys, segments' nested rules) stay far inside this. */
export const refuseDeepBody = (max: number): RequestHandler => (req, _res, next) => {
  try {
    refuseDeep(req.body, max);
    next();
  } catch (err) {
    next(err);
  }
};
