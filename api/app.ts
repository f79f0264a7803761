// The Express app, apart from listen(), so tests drive it directly.
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from '../activities/db/connection.js';
import { customerRepository } from '../activities/db/customers.js';
import { identityRepository } from '../activities/db/identities.js';
import { deferredIngestRepository } from '../activities/db/deferred-ingests.js';
import { authenticate, keyring, rateLimitPerKey, scopeChecks } from './auth.js';
import { ApiError, errorHandler } from './errors.js';
import { jsonTypes, refuseDeepBody, requireJsonBody } from './body.js';
import { ingestService } from './ingest/service.js';
import { maxBatchBytes } from './ingest/segment.js';
import { customerService } from './customers/service.js';
import { ingestRouter } from './routes/ingest.js';
import { customersRouter } from './routes/customers.js';
import { healthRouter } from './routes/health.js';
import { templatesRouter } from './routes/templates.js';
import { testSender } from './templates/test-send.js';
import { createChannels, type Channels } from '../activities/channels/index.js';
import { messageFeedbackRepository } from '../activities/db/message-feedback.js';
import { webhookReceiptRepository } from '../activities/db/webhook-receipts.js';
import { feedbackService } from './feedback/service.js';
import { trackingRouter } from './routes/tracking.js';
import { webhooksRouter } from './routes/webhooks.js';
import { journeyRepository } from '../activities/db/journeys.js';
import { enrollmentRepository } from '../activities/db/enrollments.js';
import { templateRepository } from '../activities/db/templates.js';
import { journeyService } from './journeys/service.js';
import { journeysRouter } from './routes/journeys.js';
import { backtestsRouter } from './routes/backtests.js';
import { backtestService } from './journeys/backtest.js';
import { backtestRepository } from '../activities/db/backtests.js';
import { docsRouter } from './routes/docs.js';
import { consoleRouter } from './routes/console.js';
import { apiRoutes, openApiDocument } from './openapi.js';
import { segmentRepository } from '../activities/db/segments.js';
import { segmentQueries } from '../activities/db/segment-query.js';
import { segmentService } from './segments/service.js';
import { segmentsRouter } from './routes/segments.js';
import { reportQueries } from '../activities/db/reports.js';
import { reportService } from './reports/service.js';
import { reportsRouter } from './routes/reports.js';
import { campaignRepository } from '../activities/db/campaigns.js';
import { broadcasts } from './campaigns/broadcasts.js';
import { campaignService } from './campaigns/service.js';
import { campaignsRouter } from './routes/campaigns.js';
import { messagesRouter } from './routes/messages.js';
import { messageService } from './messages/service.js';
import { subscriptionGroupRepository } from '../activities/db/subscription-groups.js';
import { groupChecks, subscriptionService } from './subscriptions/service.js';
import { subscriptionsRouter } from './routes/subscriptions.js';
import { preferencesRouter } from './routes/preferences.js';
import { eventEndpointRepository } from '../activities/db/event-endpoints.js';
import { outboundEventRepository } from '../activities/db/outbound-events.js';
import { eventStream } from '../activities/event-stream/stream.js';
import { eventEndpointService } from './event-endpoints/service.js';
import { eventEndpointsRouter } from './routes/event-endpoints.js';
import { auditRepository } from '../activities/db/audit.js';
import { auditTrail } from './audit/trail.js';
import { auditRouter } from './routes/audit.js';
import { exportQueries } from '../activities/db/exports.js';
import { exportService } from './exports/service.js';
import { exportsRouter } from './routes/exports.js';
import { importRepository } from '../activities/db/imports.js';
import { importService } from './imports/service.js';
import { importsRouter } from './routes/imports.js';

export interface AppDeps {
  config: Config;
  db: Database;
  temporal: Client;
  logger: Logger;
  /** Providers for test sends; default: the ones the configuration names. */
  channels?: Channels;
}

export function createApp({ config, db, temporal, logger, channels }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(helmet());

  const callerOf = keyring(config.api.keys);
  const routes = apiRoutes();
  const audit = auditRepository(db.models);
  const identities = identityRepository(db.models);
  const journeys = journeyRepository(db.models);
  const ingest = ingestService({
    temporal, identities, taskQueue: config.temporal.taskQueue, settings: { rules: config.lifecycleRules, policy: config.messagingPolicy }, identity: config.identity,
    temporalDeadlineMs: config.api.temporalTimeoutMs, catalogRevision: journeys.catalogRevision,
    maxBacklog: config.api.maxBacklog, maxFeedbackBacklog: config.publicRoutes.feedbackMaxBacklog,
  });
  const groups = subscriptionGroupRepository(db.models);
  const customers = customerService({ temporal, customers: customerRepository(db.models), identities, deferredIngests: deferredIngestRepository(db.models), groups });
  const subscriptions = subscriptionService({ groups, customers: customerRepository(db.models), deliver: ingest.deliver });

  // Routers added by feature: mount them below, in this order (public routes first).
  app.use(healthRouter(temporal, db, Math.min(2000, config.api.temporalTimeoutMs)));
  app.use(docsRouter(openApiDocument()));
  // The marketer's console: static files, no key (it signs in to the API with one).
  app.use(consoleRouter());
  // The outbound event stream: reactions to messages are emitted here, the rest by the worker.
  const stream = eventStream({ endpoints: eventEndpointRepository(db.models), outbound: outboundEventRepository(db.models), refreshMs: config.eventStream.refreshMs });
  // Reactions to messages: signed tracking tokens and signed provider webhooks, no API key.
  const feedback = feedbackService({
    messages: messageFeedbackRepository(db.models), receipts: webhookReceiptRepository(db.models),
    customers: customerRepository(db.models), deliver: ingest.deliver, stream,
  });
  const { perIpPerMinute, perTokenPerMinute, perProviderPerMinute } = config.publicRoutes;
  app.use(trackingRouter({ feedback, keys: config.tracking, limits: { perIpPerMinute, perTokenPerMinute }, logger, groupName: async (id) => (await groups.find(id))?.name }));
  app.use(preferencesRouter({ service: subscriptions, keys: config.tracking, limits: { perIpPerMinute, perTokenPerMinute } }));
  app.use(webhooksRouter({ feedback, secrets: config.channels.webhookSecrets, limits: { perIpPerMinute, perProviderPerMinute } }));
  // Segment's batch limit; single events are held to 32 KB by the ingest routes. Ingestion also
  // reads text/plain (analytics.js sends it); admin routes only JSON, so no cross-site form reaches them.
  const json = express.json({ limit: maxBatchBytes, type: ['application/json', 'text/plain'] });
  const adminJson = [requireJsonBody, express.json({ limit: maxBatchBytes, type: jsonTypes }), refuseDeepBody(64)];
  // Every /v1 route past here needs a key, and each documented route its scopes (api/scopes.ts), before any body is read.
  app.use('/v1', authenticate(callerOf));
  app.use(scopeChecks(routes));
  app.use('/v1/customers', adminJson);
  app.use('/v1/templates', adminJson);
  app.use('/v1/journeys', adminJson);
  app.use('/v1/segments', adminJson);
  app.use('/v1/reports', adminJson);
  app.use('/v1/campaigns', adminJson);
  app.use('/v1/messages', adminJson);
  app.use('/v1/subscription-groups', adminJson);
  app.use('/v1/event-endpoints', adminJson);
  app.use('/v1', rateLimitPerKey(config.api.rateLimitPerMinute), json);
  // Every change through an admin route of the document is recorded once it succeeds (api/audit/).
  app.use(auditTrail(routes, audit));
  app.use(auditRouter(audit));
  // Before the messages router, whose /v1/messages/:id would take export.csv for an id.
  app.use(exportsRouter(exportService({ segments: segmentRepository(db.models), queries: exportQueries(db.models) }), logger));
  app.use(ingestRouter(ingest));
  // CSV bodies, streamed to IMPORT_DIR by the route itself (the JSON parsers above leave text/csv unread).
  app.use(importsRouter(importService({
    imports: importRepository(db.models), temporal, taskQueue: config.temporal.taskQueue, settings: config.imports, identity: config.identity,
    temporalDeadlineMs: config.api.temporalTimeoutMs,
  })));
  app.use(customersRouter(customers, config.identity.defaultPhoneCountry));
  app.use(subscriptionsRouter(subscriptions));
  app.use(journeysRouter(journeyService({ journeys, enrollments: enrollmentRepository(db.models), templates: templateRepository(db.models), temporal, groups: groupChecks(groups) })));
  app.use(backtestsRouter(backtestService({
    journeys, backtests: backtestRepository(db.models), segments: segmentRepository(db.models), templates: templateRepository(db.models), models: db.models,
    temporal, taskQueue: config.temporal.taskQueue, rules: config.lifecycleRules, policy: config.messagingPolicy,
  })));
  app.use(templatesRouter({ models: db.models, testSend: testSender({ models: db.models, channels: channels ?? createChannels(config.channels, db.models), defaultPhoneCountry: config.identity.defaultPhoneCountry }) }));
  app.use(segmentsRouter(segmentService({ segments: segmentRepository(db.models), queries: segmentQueries(db.models) })));
  app.use(reportsRouter(reportService({ queries: reportQueries(db.models), costs: config.channelCosts })));
  app.use(campaignsRouter(campaignService({
    campaigns: campaignRepository(db.models), segments: segmentRepository(db.models), templates: templateRepository(db.models),
    broadcasts: broadcasts({ temporal, taskQueue: config.temporal.taskQueue }), timeZone: config.messagingPolicy.defaultTimeZone, groups: groupChecks(groups),
  })));
  app.use(messagesRouter(messageService({ models: db.models, temporal, taskQueue: config.temporal.taskQueue, defaultPhoneCountry: config.identity.defaultPhoneCountry })));
  app.use(eventEndpointsRouter(eventEndpointService({
    endpoints: eventEndpointRepository(db.models), outbound: outboundEventRepository(db.models), temporal, taskQueue: config.temporal.taskQueue,
    settings: config.eventStream, stream,
  })));
  app.use((req, _res, next) => next(new ApiError(404, 'not_found', `no route for ${req.method} ${req.path}`)));
  app.use(errorHandler(logger));
  return app;
}
