import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Database } from '../../activities/db/connection.js';

/** GET /healthz: 200 when Temporal and MongoDB both answer, 503 naming the one that does not. */
export function healthRouter(temporal: Client, db: Database, timeoutMs = 2000): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    const [t, m] = await Promise.all([
      temporal.connection.withDeadline(Date.now() + timeoutMs, () => temporal.workflowService.getSystemInfo({})).then(() => true, () => false),
      db.ping(timeoutMs),
    ]);
    res.status(t && m ? 200 : 503).json({ status: t && m ? 'ok' : 'degraded', temporal: t ? 'up' : 'down', mongodb: m ? 'up' : 'down' });
  });
  return router;
}
