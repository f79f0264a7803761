// What each admin route that changes something records in the audit trail: the entity it changes
// and the verb. Routes that change nothing stored say why they are not audited. A changing route
// missing here is still recorded (entity from its path, no snapshots); test/integration/audit.test.ts
// fails until it is declared.
import type { ApiRoute } from '../route.js';

export type AuditSpec =
  /** `outcome`: also keep the answer, or what of it to keep (changes that are not one stored document, or whose effect comes later). */
  | { entity: string; verb: string; outcome?: true | ((answer: unknown) => unknown) }
  | { notAudited: string };

const importOutcome = (answer: unknown): unknown => {
  const { id, kind, status, skipInvalid, file, progress } = answer as Record<string, unknown>;
  return { id, kind, status, skipInvalid, file, progress };
};
const sendAgainOutcome = (answer: unknown) => {
  const { message, settled } = answer as { message?: { status?: string }; settled?: boolean };
  return { status: message?.status, settled };
};

const simulation = 'a simulation over recorded events: it changes no journey, customer or message';

export const auditSpecs: Record<string, AuditSpec> = {
  'POST /v1/journeys': { entity: 'journey', verb: 'create' },
  'PUT /v1/journeys/:id': { entity: 'journey', verb: 'update' },
  'DELETE /v1/journeys/:id': { entity: 'journey', verb: 'delete' },
  'POST /v1/journeys/:id/publish': { entity: 'journey', verb: 'publish' },
  'POST /v1/journeys/:id/pause': { entity: 'journey', verb: 'pause' },
  'POST /v1/journeys/:id/resume': { entity: 'journey', verb: 'resume' },
  'POST /v1/journeys/:id/archive': { entity: 'journey', verb: 'archive' },
  'POST /v1/journeys/:id/migrate': { entity: 'journey', verb: 'migrate', outcome: true },
  'POST /v1/journeys/:id/backtest': { notAudited: simulation },
  'POST /v1/journeys/:id/backtests/:backtestId/cancel': { notAudited: `stops ${simulation}` },
  'POST /v1/journeys/:id/preview': { notAudited: simulation },
  'POST /v1/templates': { entity: 'template', verb: 'create' },
  'PUT /v1/templates/:id': { entity: 'template', verb: 'update' },
  'DELETE /v1/templates/:id': { entity: 'template', verb: 'delete' },
  'POST /v1/templates/:id/test': { notAudited: 'a test send to an address given: it changes no template and is no customer\'s message' },
  'POST /v1/segments': { entity: 'segment', verb: 'create' },
  'PUT /v1/segments/:id': { entity: 'segment', verb: 'update' },
  'DELETE /v1/segments/:id': { entity: 'segment', verb: 'delete' },
  'POST /v1/segments/preview': { notAudited: 'a preview: it reads customers and changes nothing' },
  'POST /v1/segments/:id/preview': { notAudited: 'a preview: it reads customers and changes nothing' },
  'POST /v1/campaigns': { entity: 'campaign', verb: 'create' },
  'POST /v1/campaigns/:id/cancel': { entity: 'campaign', verb: 'cancel' },
  'POST /v1/messages': { notAudited: 'a transactional send is the shop\'s own traffic (receipts, codes), kept in `messages` under its idempotency key' },
  // Recorded even before the send settles; the provider's text is left out of the trail.
  'POST /v1/messages/:id/send-again': { entity: 'message', verb: 'send_again', outcome: sendAgainOutcome },
  'POST /v1/subscription-groups': { entity: 'subscription_group', verb: 'create' },
  'PUT /v1/subscription-groups/:id': { entity: 'subscription_group', verb: 'update' },
  'POST /v1/subscription-groups/:id/archive': { entity: 'subscription_group', verb: 'archive' },
  // A customer's profile is never copied into the trail (an erasure would not erase it): the answer is kept.
  'PUT /v1/customers/:id/subscriptions': { entity: 'customer', verb: 'subscriptions', outcome: true },
  'DELETE /v1/customers/:id': { entity: 'customer', verb: 'erase', outcome: true },
  // The outbound event stream's endpoints: copied without their secrets, and never the answers that carry one.
  'POST /v1/event-endpoints': { entity: 'event_endpoint', verb: 'create' },
  'PATCH /v1/event-endpoints/:id': { entity: 'event_endpoint', verb: 'update' },
  'DELETE /v1/event-endpoints/:id': { entity: 'event_endpoint', verb: 'delete' },
  'POST /v1/event-endpoints/:id/rotate-secret': { entity: 'event_endpoint', verb: 'rotate_secret' },
  'POST /v1/event-endpoints/:id/replay': { entity: 'event_endpoint', verb: 'replay', outcome: true },
  // Imports: what was asked and the file's fingerprint, never its rows (they hold customers' data).
  'POST /v1/imports': { entity: 'import', verb: 'create', outcome: importOutcome },
  'POST /v1/imports/:id/cancel': { entity: 'import', verb: 'cancel', outcome: importOutcome },
};

export const routeKey = (route: Pick<ApiRoute, 'method' | 'path'>): string => `${route.method.toUpperCase()} ${route.path}`;

/** Admin routes that may change something: every method but GET. */
export const changingAdminRoutes = (routes: ApiRoute[]): ApiRoute[] => routes.filter((r) => r.key === 'admin' && r.method !== 'get');

/** The declared spec, or one made from the path for a route nobody declared yet. */
export function auditSpecOf(route: ApiRoute): AuditSpec {
  const declared = auditSpecs[routeKey(route)];
  if (declared) return declared;
  const [, , family = 'unknown', ...rest] = route.path.split('/');
  const verbs: Record<string, string> = { post: 'create', put: 'update', delete: 'delete' };
  const verb = rest.filter((s) => !s.startsWith(':')).at(-1) ?? verbs[route.method] ?? route.method;
  return { entity: family.replace(/s$/, '').replaceAll('-', '_'), verb };
}

/** Changing admin routes missing from `auditSpecs`. */
export const undeclaredRoutes = (routes: ApiRoute[]): string[] => changingAdminRoutes(routes).map(routeKey).filter((k) => !auditSpecs[k]);
