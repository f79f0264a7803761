// One route as its router file describes it beside its handler: what it takes, what it answers,
// which class of key it needs. openapi.ts builds the document from these; app.ts mounts the scope
// checks and the audit trail from them.
import type { z } from 'zod';

/** The key classes of the env lists: write keys ingest events; admin keys do everything. */
export type KeyClass = 'write' | 'admin';

export interface ApiResponse {
  description: string;
  /** A JSON body, unless `contentType` says otherwise. */
  schema?: z.ZodType;
  contentType?: string;
  headers?: z.ZodObject;
}

/** One route as a route file describes it. */
export interface ApiRoute {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** As Express routes it, e.g. `/v1/journeys/:id`. */
  path: string;
  summary: string;
  description?: string;
  /** The class of API key it needs, or `none`; the exact scope is api/scopes.ts's (app.ts mounts the check). */
  key: KeyClass | 'none';
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  /** A JSON body (parsed by app.ts's JSON middleware, or by the route itself). */
  body?: z.ZodType;
  /** The body's media type when it is not JSON (the route reads it itself, e.g. `text/csv`). */
  bodyType?: string;
  /** The route takes `{}` when no body is sent. */
  optionalBody?: true;
  responses: Record<number, ApiResponse>;
  /** Error responses the route itself gives, by status: which codes and when. */
  errors?: Record<number, string>;
}
