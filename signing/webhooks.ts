// Signed requests between Closedloop and HTTP providers, both ways, with different secrets (ours
// to them: PROVIDER_SIGNING_SECRET; each provider's webhooks to us: its WEBHOOK_SECRET_…):
// `X-Closedloop-Signature: v1=<hex HMAC-SHA256(secret, "<unix seconds>.<raw body>")>` with
// `X-Closedloop-Timestamp`. A timestamp outside the tolerance is refused, so a captured request
// cannot be replayed later; inside it, receipt ids stop replays.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const timestampHeader = 'X-Closedloop-Timestamp';
export const signatureHeader = 'X-Closedloop-Signature';
export const toleranceSeconds = 5 * 60;

export type SignatureCheck = 'ok' | 'invalid_signature' | 'stale_timestamp';

const mac = (secret: string, timestamp: string, body: Buffer | string): Buffer =>
  createHmac('sha256', secret).update(`${timestamp}.`).update(Buffer.from(body)).digest();

/** The signature header value for a body signed at `timestamp` (unix seconds). */
export function signBody(secret: string, timestamp: number, body: Buffer | string): string {
  return `v1=${mac(secret, String(timestamp), body).toString('hex')}`;
}

export function checkSignature(input: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  body: Buffer | string;
  nowMs: number;
}): SignatureCheck {
  const { timestamp, signature } = input;
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || !signature) return 'invalid_signature';
  const expected = mac(input.secret, timestamp, input.body);
  // Several `v1=` values may be sent (comma-separated) while a provider rotates keys.
  const valid = signature.split(',').map((s) => s.trim()).some((part) => {
    const hex = part.startsWith('v1=') ? part.slice(3) : '';
    return /^[0-9a-f]{64}$/i.test(hex) && timingSafeEqual(Buffer.from(hex, 'hex'), expected);
  });
  if (!valid) return 'invalid_signature';
  return Math.abs(input.nowMs / 1000 - Number(timestamp)) > toleranceSeconds ? 'stale_timestamp' : 'ok';
}

/** true when the signature matches and the timestamp is within the tolerance of `nowSec`. */
export function verifyBody(secret: string, headers: { timestamp?: string; signature?: string }, rawBody: string, nowSec = Math.floor(Date.now() / 1000)): boolean {
  return checkSignature({ secret, timestamp: headers.timestamp, signature: headers.signature, body: rawBody, nowMs: nowSec * 1000 }) === 'ok';
}
