// What an API key may do: its scopes, and the scope each route needs. One table for every route
// family; a route outside every family needs `admin`, so a new route is never open by mistake.
import type { ApiRoute } from './route.js';

export const scopes = [
  'admin',
  'events:write',
  'customers:read', 'customers:erase',
  'journeys:read', 'journeys:write',
  'templates:read', 'templates:write',
  'segments:read', 'segments:write',
  'campaigns:read', 'campaigns:write',
  'messages:read', 'messages:write',
  'subscriptions:read', 'subscriptions:write',
  'reports:read',
  'audit:read',
] as const;
export type Scope = (typeof scopes)[number];

/** Route families by the path's first segment after /v1: reads need `<family>:read`, changes `<family>:write`. */
const families: Record<string, string> = {
  customers: 'customers', journeys: 'journeys', templates: 'templates', segments: 'segments', campaigns: 'campaigns',
  messages: 'messages', 'subscription-groups': 'subscriptions', reports: 'reports', conversions: 'reports', audit: 'audit',
};

/** Routes whose need is not their family's read or write. */
const exceptions: Record<string, Scope[]> = {
  'DELETE /v1/customers/:id': ['customers:erase'],
  'PUT /v1/customers/:id/subscriptions': ['subscriptions:write'],
  // Previews change nothing: reading.
  'POST /v1/segments/preview': ['segments:read'],
  'POST /v1/segments/:id/preview': ['segments:read'],
  'POST /v1/journeys/:id/preview': ['journeys:read'],
  // Members with their identities: customers' personal data, in bulk.
  'GET /v1/segments/:id/export.csv': ['segments:read', 'customers:read'],
};

const isScope = (s: string): s is Scope => (scopes as readonly string[]).includes(s);

/** The scopes a route needs, all of them (none for a route without a key). */
export function scopesFor(route: Pick<ApiRoute, 'method' | 'path' | 'key'>): Scope[] {
  if (route.key === 'none') return [];
  if (route.key === 'write') return ['events:write'];
  const exception = exceptions[`${route.method.toUpperCase()} ${route.path}`];
  if (exception) return exception;
  const family = families[route.path.split('/')[2] ?? ''];
  const scope = family && `${family}:${route.method === 'get' ? 'read' : 'write'}`;
  return scope && isScope(scope) ? [scope] : ['admin'];
}

/** What a key's scopes grant: `admin` is every scope, and `<family>:write` includes `<family>:read`. */
export function granted(given: readonly Scope[]): Set<Scope> {
  if (given.includes('admin')) return new Set(scopes);
  const out = new Set<Scope>(given);
  for (const s of given) {
    const read = s.replace(/:write$/, ':read');
    if (isScope(read)) out.add(read);
  }
  return out;
}
