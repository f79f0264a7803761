// The OpenAPI 3.1 document, generated from the zod schemas the routes parse with and answer with.
// Each route file describes its routes next to its handlers (`…Api`); this file adds what the
// app's middleware answers for them (keys, rate limit, body parsing) and builds the document once.
import { OpenApiGeneratorV31, OpenAPIRegistry, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import pkg from '../package.json' with { type: 'json' };
import type { ApiResponse, ApiRoute } from './route.js';
import { scopesFor } from './scopes.js';
import { ErrorBody } from './errors.js';
import { customersApi } from './customers/router.js';
import { docsApi } from './docs/router.js';
import { healthApi } from './health/router.js';
import { ingestApi } from './ingest/router.js';
import { journeysApi } from './journeys/router.js';
import { backtestsApi } from './backtests/router.js';
import { segmentsApi } from './segments/router.js';
import { reportsApi } from './reports/router.js';
import { campaignsApi } from './campaigns/router.js';
import { messagesApi } from './messages/router.js';
import { templatesApi } from './templates/router.js';
import { trackingApi } from './tracking/router.js';
import { webhooksApi } from './webhooks/router.js';
import { subscriptionsApi } from './subscriptions/router.js';
import { preferencesApi } from './preferences/router.js';
import { eventEndpointsApi } from './event-endpoints/router.js';
import { auditApi } from './audit/router.js';
import { exportsApi } from './exports/router.js';
import { importsApi } from './imports/router.js';

/** Route files by tag, in the order the docs page shows them. Each holds every route its router registers. */
const apis: Record<string, ApiRoute[]> = {
  Ingestion: ingestApi,
  Customers: customersApi,
  Journeys: [...journeysApi, ...backtestsApi],
  Templates: templatesApi,
  Segments: segmentsApi,
  Reports: reportsApi,
  Campaigns: campaignsApi,
  Messages: messagesApi,
  Subscriptions: subscriptionsApi,
  'Event stream': eventEndpointsApi,
  Exports: exportsApi,
  Imports: importsApi,
  Audit: auditApi,
  Tracking: [...trackingApi, ...preferencesApi],
  Webhooks: webhooksApi,
  Health: healthApi,
  Docs: docsApi,
};

/** Every route of the document, in its order: app.ts mounts the scope checks and the audit trail from it. */
export const apiRoutes = (): ApiRoute[] => Object.values(apis).flat();

const keyDescription = 'The API key as the Basic user name (empty password), as Segment libraries send it, or as a Bearer token.';

/** What app.ts's middleware answers before a route runs. */
function middlewareErrors(route: ApiRoute): Record<number, string> {
  const errors: Record<number, string> = {};
  if (route.key !== 'none') {
    errors[401] = '`unauthenticated` (no key) or `invalid_key`';
    errors[403] = `\`forbidden\`: the key lacks the scope ${scopesFor(route).map((s) => `\`${s}\``).join(' or ')} (\`details[0].message\` names it)`;
    errors[429] = '`rate_limited`: too many requests a minute with this key; retry after `Retry-After`';
  }
  if (route.body && !route.bodyType) {
    errors[400] = '`invalid_json`';
    errors[413] = '`payload_too_large`: the body is over the limit';
    errors[415] = '`unsupported_encoding`: an unknown Content-Encoding or charset';
  }
  if (route.key === 'admin') {
    if (['post', 'put', 'patch'].includes(route.method)) {
      const mediaType = `\`unsupported_media_type\`: a body that is not ${route.bodyType ? `\`${route.bodyType}\`` : '`application/json` (or a `+json` type)'}; nothing is changed`;
      errors[415] = errors[415] ? `${mediaType}; ${errors[415]}` : mediaType;
    }
    errors[503] = '`mongodb_unavailable`: MongoDB is unreachable; retry after `Retry-After`';
  }
  return errors;
}

function responseConfig({ description, schema, contentType = 'application/json', headers }: ApiResponse): ResponseConfig {
  return { description, ...(headers && { headers }), ...(schema && { content: { [contentType]: { schema } } }) };
}

function routeConfig(tag: string, route: ApiRoute): RouteConfig {
  const errors = { ...middlewareErrors(route) };
  for (const [status, what] of Object.entries(route.errors ?? {})) {
    errors[Number(status)] = errors[Number(status)] ? `${what}; ${errors[Number(status)]}` : what;
  }
  const responses: RouteConfig['responses'] = {};
  for (const [status, response] of Object.entries(route.responses)) responses[status] = responseConfig(response);
  for (const [status, what] of Object.entries(errors)) responses[status] = responseConfig({ description: what, schema: ErrorBody });
  return {
    method: route.method,
    path: route.path.replace(/:(\w+)/g, '{$1}'),
    operationId: `${route.method}${route.path.replace(/[^A-Za-z0-9]+(\w)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    tags: [tag],
    summary: route.summary,
    ...((route.description || route.key !== 'none') && { description: [route.description, route.key !== 'none' && `Scope: ${scopesFor(route).map((s) => `\`${s}\``).join(' and ')}.`].filter(Boolean).join('\n\n') }),
    security: route.key === 'none' ? [] : [{ basicKey: [] }, { bearerKey: [] }],
    request: {
      ...(route.params && { params: route.params }),
      ...(route.query && { query: route.query }),
      ...(route.headers && { headers: route.headers }),
      ...(route.body && { body: { required: !route.optionalBody, content: { [route.bodyType ?? 'application/json']: { schema: route.body } } } }),
    },
    responses,
  };
}

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

let built: OpenApiDocument | undefined;

/** The whole document; the same object on every call. */
export function openApiDocument(): OpenApiDocument {
  if (built) return built;
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'basicKey', { type: 'http', scheme: 'basic', description: keyDescription });
  registry.registerComponent('securitySchemes', 'bearerKey', { type: 'http', scheme: 'bearer', description: keyDescription });
  for (const [tag, routes] of Object.entries(apis)) for (const route of routes) registry.registerPath(routeConfig(tag, route));
  built = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Closedloop API',
      version: pkg.version,
      description: 'Segment-compatible ingestion, the single customer view, journeys and templates. Each key has scopes (each operation names the one it needs; `admin` is all of them): '
        + 'write keys (`events:write`) may only send events; admin keys may do everything. '
        + 'Every error has one shape, `{ error: { code, message, details: [{ field, message }] } }`.',
    },
    tags: Object.keys(apis).map((name) => ({ name })),
  });
  return built;
}
