// Records each change made through an admin route, once it has succeeded: a hook in front of every
// changing admin route of the OpenAPI document (so none is left out) reads the entity's document
// before the route runs, and after it answers 2xx, before the answer leaves. A refusal (4xx, 5xx)
// records nothing; a request that changed nothing (a retried create) neither.
import { isDeepStrictEqual } from 'node:util';
import { Router, type RequestHandler } from 'express';
import type { Document } from 'mongodb';
import type { AuditRepository } from '../../store/audit.js';
import type { Caller } from '../auth.js';
import type { ApiRoute } from '../route.js';
import { auditSpecOf, changingAdminRoutes, routeKey } from './route-entities.js';

type Trail = Pick<AuditRepository, 'copies' | 'snapshot' | 'record'>;

const idOf = (body: unknown): string | undefined => {
  const id = (body as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
};

function hook(route: ApiRoute, trail: Trail): RequestHandler | undefined {
  const spec = auditSpecOf(route);
  if ('notAudited' in spec) return undefined;
  const { entity, verb, outcome } = spec;
  return async (req, res, next) => {
    const paramId = typeof req.params.id === 'string' ? req.params.id : undefined;
    // Only a string id: a body's `{ "$gt": "" }` never reaches a query.
    const bodyId = idOf(req.body);
    const givenId = paramId ?? bodyId;
    const before: Document | null = givenId === undefined ? null : await trail.snapshot(entity, givenId);
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      if (res.statusCode < 200 || res.statusCode >= 300) return send(body);
      const entityId = paramId ?? idOf(body) ?? bodyId ?? '';
      void (async () => {
        const after = entityId ? await trail.snapshot(entity, entityId) : null;
        // Unchanged (a retried create, a PUT of the same) is no change; an entity that is not copied always is one.
        if (outcome || !trail.copies(entity) || !isDeepStrictEqual(before, after)) {
          await trail.record({
            key: (res.locals.caller as Caller).label, route: routeKey(route), action: `${entity}.${verb}`, entity, entityId,
            status: res.statusCode, before, after, ...(outcome && { outcome: outcome === true ? body : outcome(body) }),
          });
        }
      })().then(() => send(body), next);
      return res;
    };
    next();
  };
}

/** One hook per changing admin route, mounted after authentication and body parsing, before the routers. */
export function auditTrail(routes: ApiRoute[], trail: Trail): RequestHandler {
  const router = Router();
  for (const route of changingAdminRoutes(routes)) {
    const handler = hook(route, trail);
    if (handler) router[route.method](route.path, handler);
  }
  // A plain handler, not the router itself: these hooks stand in front of the routes, they are not routes of the app.
  return (req, res, next) => router(req, res, next);
}
