// The Express app, apart from listen(), so tests drive it directly.
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from '../store/connection.js';
import { customerRepository } from '../store/customers.js';
import { identityRepository } from '../store/identities.js';
import { deferredIngestRepository } from '../store/deferred-ingests.js';
import { authenticate, keyring, rateLimitPerKey, scopeChecks } from './auth.js';
import { ApiError, errorHandler } from './errors.js';
import { jsonTypes, refuseDeepBody, requireJsonBody } from './body.js';
import { ingestService } from './ingest/service.js';
import { maxBatchBytes } from './ingest/segment.js';
import { customerService } from './customers/service.js';
import { ingestRouter } from './ingest/router.js';
import { customersRouter } from './customers/router.js';
import { healthRouter } from './health/router.js';
import { templatesRouter } from './templates/router.js';
import { testSender } from './templates/test-send.js';
import { createChannels, type Channels } from '../activities/channels/index.js';
import { messageFeedbackRepository } from '../store/message-feedback.js';
import { webhookReceiptRepository } from '../store/webhook-receipts.js';
import { feedbackService } from './feedback/service.js';
import { trackingRouter } from './tracking/router.js';
import { webhooksRouter } from './webhooks/router.js';
import { journeyRepository } from '../store/journeys.js';
import { enrollmentRepository } from '../store/enrollments.js';
import { templateRepository } from '../store/templates.js';
import { journeyService } from './journeys/service.js';
import { journeysRouter } from './journeys/router.js';
import { backtestsRouter } from './backtests/router.js';
import { backtestService } from './backtests/service.js';
import { backtestRepository } from '../store/backtests.js';
import { docsRouter } from './docs/router.js';
import { consoleRouter } from './console/router.js';
import { apiRoutes, openApiDocument } from './openapi.js';
import { segmentRepository } from '../store/segments.js';
import { segmentQueries } from '../store/segment-query.js';
import { segmentService } from './segments/service.js';
import { segmentsRouter } from './segments/router.js';
import { reportQueries } from '../store/reports.js';
import { reportService } from './reports/service.js';
import { reportsRouter } from './reports/router.js';
import { campaignRepository } from '../store/campaigns.js';
import { broadcasts } from './campaigns/broadcasts.js';
import { campaignService } from './campaigns/service.js';
import { campaignsRouter } from './campaigns/router.js';
import { messagesRouter } from './messages/router.js';
import { messageService } from './messages/service.js';
import { subscriptionGroupRepository } from '../store/subscription-groups.js';
import { groupChecks, subscriptionService } from './subscriptions/service.js';
import { subscriptionsRouter } from './subscriptions/router.js';
import { preferencesRouter } from './preferences/router.js';
import { eventEndpointRepository } from '../store/event-endpoints.js';
import { outboundEventRepository } from '../store/outbound-events.js';
import { eventStream } from '../activities/event-stream/stream.js';
import { eventEndpointService } from './event-endpoints/service.js';
import { eventEndpointsRouter } from './event-endpoints/router.js';
import { auditRepository } from '../store/audit.js';
import { auditTrail } from './audit/trail.js';
import { auditRouter } from './audit/router.js';
import { exportQueries } from '../store/exports.js';
import { exportService } from './exports/service.js';
import { exportsRouter } from './exports/router.js';
import { importRepository } from '../store/imports.js';
import { importService } from './imports/service.js';
import { importsRouter } from './imports/router.js';

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
  app.use(journeysRouter(journeyService({ journeys, enrollments: enrollmentRepository(db.models), templates: templateRepository(db.models), temporal, groups: groupChecks(groups), segments: segmentRepository(db.models) })));
  app.use(backtestsRouter(backtestService({
    journeys, backtests: backtestRepository(db.models), segments: segmentRepository(db.models), templates: templateRepository(db.models), models: db.models,
    temporal, taskQueue: config.temporal.taskQueue, rules: config.lifecycleRules, policy: config.messagingPolicy,
  })));
  app.use(templatesRouter({ models: db.models, testSend: testSender({ models: db.models, channels: channels ?? createChannels(config.channels, db.models), defaultPhoneCountry: config.identity.defaultPhoneCountry }) }));
  app.use(segmentsRouter(segmentService({
    segments: segmentRepository(db.models), queries: segmentQueries(db.models), users: { campaigns: campaignRepository(db.models), journeys },
  })));
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
