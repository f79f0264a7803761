// Delivery errors, classified in one place: retryable (the provider may take the message later)
// or permanent (bad address, unsubscribed, rejected: retrying would get the same answer).
import { ApplicationFailure } from '@temporalio/common';

export type DeliveryFailureKind = 'retryable' | 'permanent';

export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    readonly kind: DeliveryFailureKind,
    /** Short, stable reason stored with the message: `bad_address`, `unsubscribed`, `http_503`… */
    readonly reason: string,
    message: string,
    readonly options: {
      /** The provider asked us to wait this long (429 Retry-After). */
      retryAfterMs?: number;
      /** The message may have reached the provider before the error (a timeout mid-send). */
      mayHaveArrived?: boolean;
    } = {},
  ) {
    super(message);
  }
}

export const permanent = (reason: string, message: string): DeliveryError => new DeliveryError('permanent', reason, message);
export const retryable = (reason: string, message: string, options: DeliveryError['options'] = {}): DeliveryError =>
  new DeliveryError('retryable', reason, message, options);

/** How long to wait, in ms, from a Retry-After header (seconds or an HTTP date); capped at an hour. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 3_600_000) : undefined;
}

/** A provider's answer that says the customer opted out there (e.g. replied STOP to an SMS). */
function saysUnsubscribed(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as { status?: unknown; error?: unknown; code?: unknown };
  const error = typeof b.error === 'object' && b.error !== null ? (b.error as { code?: unknown }).code : b.error;
  return [b.status, b.code, error].includes('unsubscribed');
}

/** Classifies an HTTP provider's answer; undefined means accepted. */
export function classifyHttpAnswer(status: number, headers: Headers, body: unknown): DeliveryError | undefined {
  if (saysUnsubscribed(body)) return permanent('unsubscribed', `provider answered ${status}: unsubscribed`);
  if (status >= 200 && status < 300) return undefined;
  const what = `provider answered ${status}`;
  if (status === 429) return retryable('rate_limited', what, { retryAfterMs: retryAfterMs(headers.get('retry-after')) });
  // 409: a request with the same Idempotency-Key is still in progress at the provider.
  if (status === 408 || status === 409 || status >= 500) return retryable(`http_${status}`, what);
  if (status >= 400) return permanent(`http_${status}`, what);
  return retryable(`http_${status}`, `unexpected answer ${status}`);
}

/** Classifies a failed fetch: timeouts and connection errors are retryable. */
export function classifyHttpFailure(err: unknown): DeliveryError {
  const e = err as { name?: string; message?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return retryable('timeout', 'provider did not answer in time', { mayHaveArrived: true });
  return retryable('connection', `cannot reach provider: ${e?.cause?.code ?? e?.message ?? String(err)}`, { mayHaveArrived: true });
}

interface SmtpError {
  code?: string; responseCode?: number; permanent?: boolean;
  command?: string; response?: string; message?: string;
}

/** Replies to RCPT TO that mean the address itself is wrong: no such mailbox, not here, bad name. */
const badAddressCodes = new Set([550, 551, 553]);

/**
 * Classifies a nodemailer error: an SMTP 5xx reply is permanent, everything else retryable. Any
 * reply means the server did not take the message; without one it may have, but only once the
 * message's final dot went out (`pastNoReturn`).
 */
export function classifySmtpFailure(err: unknown, pastNoReturn: boolean): DeliveryError {
  const e = (err ?? {}) as SmtpError;
  const text = e.response ?? e.message ?? String(err);
  // Our credentials or TLS set-up, not the recipient: retry once the configuration is fixed.
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH' || e.code === 'ETLS') return retryable('smtp_configuration', text);
  const code = e.responseCode;
  if (code !== undefined) {
    const isPermanent = e.permanent ?? (code >= 500 && code < 600 && code !== 503);
    if (!isPermanent) return retryable(`smtp_${code}`, text);
    const onRecipient = e.command?.startsWith('RCPT') ?? false;
    return permanent(badAddressCodes.has(code) && onRecipient ? 'bad_address' : `smtp_${code}`, text);
  }
  return retryable(e.code === 'ETIMEDOUT' ? 'timeout' : 'connection', text, { mayHaveArrived: pastNoReturn });
}

/** The failure Temporal sees: permanent ones are not retried, 429s wait as the provider asked. */
export function toActivityFailure(err: DeliveryError): ApplicationFailure {
  if (err.kind === 'permanent') return ApplicationFailure.create({ nonRetryable: true, type: 'PermanentDeliveryError', message: `${err.reason}: ${err.message}` });
  return ApplicationFailure.create({
    type: 'RetryableDeliveryError',
    message: `${err.reason}: ${err.message}`,
    ...(err.options.retryAfterMs !== undefined && { nextRetryDelay: err.options.retryAfterMs }),
  });
}
