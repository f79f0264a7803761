import { Router } from 'express';
import { z } from 'zod';
import type { Client } from '@temporalio/client';
import type { Database } from '../../store/connection.js';
import type { ApiRoute } from '../route.js';

const Up = z.enum(['up', 'down']);
export const Health = z.object({ status: z.enum(['ok', 'degraded']), temporal: Up, mongodb: Up }).meta({ id: 'Health' });

export const healthApi: ApiRoute[] = [{
  method: 'get', path: '/healthz', key: 'none', summary: 'Whether Temporal and MongoDB answer',
  responses: { 200: { description: 'both answer', schema: Health }, 503: { description: 'one does not; it is named `down`', schema: Health } },
}];

/** GET /healthz: 200 when Temporal and MongoDB both answer, 503 naming the one that does not. */
export function healthRouter(temporal: Client, db: Database, timeoutMs = 2000): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    const [t, m] = await Promise.all([
      temporal.connection.withDeadline(Date.now() + timeoutMs, () => temporal.workflowService.getSystemInfo({})).then(() => true, () => false),
      db.ping(timeoutMs),
    ]);
    res.status(t && m ? 200 : 503).json({ status: t && m ? 'ok' : 'degraded', temporal: t ? 'up' : 'down', mongodb: m ? 'up' : 'down' } satisfies z.input<typeof Health>);
  });
  return router;
}
