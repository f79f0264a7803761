// The audit trail (`audit:read`): who changed what through the admin routes, newest first.
import { Router } from 'express';
import type { z } from 'zod';
import { invalid, parse } from '../errors.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { AuditPage, AuditQuery } from './schema.js';
import type { AuditRepository } from '../../store/audit.js';
import type { ApiRoute } from '../route.js';

export const auditApi: ApiRoute[] = [
  {
    method: 'get', path: '/v1/audit', key: 'admin', summary: 'The changes made through admin routes, newest first', query: AuditQuery,
    description: 'One entry per change that succeeded: the key\'s label, when, the route and action, the entity and its id, the stored document before and after. '
      + 'A refused request (400, 404, 409…) and one that changed nothing (a repeated create) leave none.',
    responses: { 200: { description: 'one page', schema: AuditPage } },
    errors: { 400: '`invalid_request`: a bad entity, date, limit, `to` not after `from`, or not a cursor from a previous page' },
  },
];

export function auditRouter(audit: Pick<AuditRepository, 'page'>): Router {
  const router = Router();
  router.get('/v1/audit', async (req, res) => {
    const q = parse(AuditQuery, req.query);
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (q.cursor !== undefined && !after) throw invalid([{ field: 'cursor', message: 'not a cursor from a previous page' }]);
    const docs = await audit.page({
      entity: q.entity, entityId: q.entityId, limit: q.limit, after,
      ...(q.from !== undefined && { from: new Date(q.from) }), ...(q.to !== undefined && { to: new Date(q.to) }),
    });
    const items = docs.slice(0, q.limit);
    const last = items.at(-1);
    res.json({
      items: items.map(({ _id, at, ...entry }) => ({ id: _id, at: at.toISOString(), ...entry })),
      nextCursor: docs.length > q.limit && last ? encodeCursor({ timestamp: last.at, id: last._id }) : null,
    } satisfies z.input<typeof AuditPage>);
  });
  return router;
}
