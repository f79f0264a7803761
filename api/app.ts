// The Express app, apart from listen(), so tests drive it directly.
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from '../activities/db/connection.js';
import { customerRepository } from '../activities/db/customers.js';
import { identityRepository } from '../activities/db/identities.js';
import { keyring, requireScope } from './auth.js';
import { ApiError, errorHandler } from './errors.js';
import { ingestService } from './ingest/service.js';
import { customerService } from './customers/service.js';
import { ingestRouter } from './routes/ingest.js';
import { customersRouter } from './routes/customers.js';
import { healthRouter } from './routes/health.js';

export interface AppDeps {
  config: Config;
  db: Database;
  temporal: Client;
  logger: Logger;
}

export function createApp({ config, db, temporal, logger }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(helmet());

  const scopeOf = keyring({ write: config.api.writeKeys, admin: config.api.adminKeys });
  const identities = identityRepository(db.models);
  const ingest = ingestService({
    temporal, identities, taskQueue: config.temporal.taskQueue, rules: config.lifecycleRules, identity: config.identity,
    temporalDeadlineMs: config.api.temporalTimeoutMs,
  });
  const customers = customerService({ temporal, customers: customerRepository(db.models), identities });

  // Routers added by feature: mount them below, in this order (public routes first).
  app.use(healthRouter(temporal, db, Math.min(2000, config.api.temporalTimeoutMs)));
  // Segment's batch limit; single events are held to 32 KB by the ingest routes.
  const json = express.json({ limit: '500kb', type: ['application/json', 'text/plain'] });
  app.use('/v1/customers', requireScope(scopeOf, 'admin'), json);
  app.use('/v1', requireScope(scopeOf, 'write'), json);
  app.use(ingestRouter(ingest));
  app.use(customersRouter(customers, config.identity.defaultPhoneCountry));
  app.use((req, _res, next) => next(new ApiError(404, 'not_found', `no route for ${req.method} ${req.path}`)));
  app.use(errorHandler(logger));
  return app;
}
