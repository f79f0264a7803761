// One error shape crosses the API: { error: { code, message, details[] } }.
import type { ErrorRequestHandler } from 'express';
import { z } from 'zod';
import type { Logger } from 'pino';
import { isMongoUnavailable } from '../store/errors.js';

export const ErrorDetail = z.object({
  field: z.string().meta({ description: 'where in the request, e.g. `batch.3.traits.phone`, or `(body)`' }),
  message: z.string(),
});
export type ErrorDetail = z.infer<typeof ErrorDetail>;

/** The body of every error response. */
export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.array(ErrorDetail) }),
}).meta({ id: 'Error' });

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    /** Sent as Retry-After: when the client should try again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export function zodDetails(error: z.ZodError, prefix: (string | number)[] = []): ErrorDetail[] {
  return error.issues.map((i) => ({ field: [...prefix, ...i.path].map(String).join('.') || '(body)', message: i.message }));
}

export const invalid = (details: ErrorDetail[]): ApiError =>
  new ApiError(400, 'invalid_request', `${details.length} invalid field${details.length === 1 ? '' : 's'}`, details);

/** The parsed value, or a 400 naming every bad field (under `prefix`, e.g. `['id']` for a path parameter). */
export function parse<S extends z.ZodType>(schema: S, value: unknown, prefix: string[] = []): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(zodDetails(parsed.error, prefix));
  return parsed.data;
}

/** How soon to retry while MongoDB is unreachable: about one server-selection timeout. */
const mongoRetryAfterSeconds = 5;

/** Never leaks a stack or an internal message: unknown errors are logged and answered as 500. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let e: ApiError;
    if (err instanceof ApiError) e = err;
    else if (err?.type === 'entity.too.large') e = new ApiError(413, 'payload_too_large', `request body is over ${err.limit} bytes`);
    else if (err?.type === 'entity.parse.failed') e = new ApiError(400, 'invalid_json', 'request body is not valid JSON');
    else if (err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported') e = new ApiError(415, 'unsupported_encoding', String(err.message));
    else if (isMongoUnavailable(err)) e = new ApiError(503, 'mongodb_unavailable', 'the database is unreachable, retry later', [], mongoRetryAfterSeconds);
    else {
      logger.error({ err, path: req.path }, 'unhandled error');
      e = new ApiError(500, 'internal', 'internal error');
    }
    if (e.status >= 500 && (err instanceof ApiError || e.code === 'mongodb_unavailable')) logger.warn({ code: e.code, path: req.path }, e.message);
    if (e.retryAfterSeconds !== undefined) res.set('Retry-After', String(e.retryAfterSeconds));
    res.status(e.status).json({ error: { code: e.code, message: e.message, details: e.details } } satisfies z.input<typeof ErrorBody>);
  };
}
