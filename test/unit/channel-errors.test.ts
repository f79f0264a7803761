// Provider answers sorted into retryable and permanent, and how Temporal sees them.
import { describe, expect, it } from 'vitest';
import { classifyHttpAnswer, classifyHttpFailure, classifySmtpFailure, retryAfterMs, toActivityFailure } from '../../activities/channels/errors.js';
import { messageIdFor } from '../../activities/channels/smtp.js';
import { signBody, verifyBody } from '../../signing/webhooks.js';

const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) => classifyHttpAnswer(status, new Headers(headers), body);

describe('HTTP provider answers', () => {
  it('accepts 2xx', () => {
    expect(answer(200, { id: 'x' })).toBeUndefined();
    expect(answer(202)).toBeUndefined();
  });

  it('retries 5xx, 408, 409 (same key in flight) and 429', () => {
    for (const status of [500, 502, 503, 504, 408, 409, 429]) expect(answer(status)?.kind, String(status)).toBe('retryable');
  });

  it('fails other 4xx for good, and an unsubscribed answer whatever its status', () => {
    for (const status of [400, 401, 403, 404, 410, 422]) expect(answer(status)).toMatchObject({ kind: 'permanent', reason: `http_${status}` });
    expect(answer(200, { status: 'unsubscribed' })).toMatchObject({ kind: 'permanent', reason: 'unsubscribed' });
    expect(answer(400, { error: 'unsubscribed' })).toMatchObject({ kind: 'permanent', reason: 'unsubscribed' });
    expect(answer(403, { error: { code: 'unsubscribed' } })).toMatchObject({ kind: 'permanent', reason: 'unsubscribed' });
  });

  it('reads Retry-After as seconds or a date, capped at an hour', () => {
    const now = Date.parse('2024-05-01T00:00:00Z');
    expect(retryAfterMs('30', now)).toBe(30_000);
    expect(retryAfterMs('Wed, 01 May 2024 00:02:00 GMT', now)).toBe(120_000);
    expect(retryAfterMs('86400', now)).toBe(3_600_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(answer(429, undefined, { 'Retry-After': '5' })?.options.retryAfterMs).toBe(5000);
  });

  it('retries timeouts and connection errors', () => {
    expect(classifyHttpFailure(Object.assign(new Error('t'), { name: 'TimeoutError' }))).toMatchObject({ kind: 'retryable', reason: 'timeout' });
    expect(classifyHttpFailure(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))).toMatchObject({ kind: 'retryable', reason: 'connection' });
  });
});

describe('SMTP errors', () => {
  it('fails a 5xx for the recipient as a bad address, other 5xx for good, but retries 503 and 4xx', () => {
    expect(classifySmtpFailure({ code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO', permanent: true }, false)).toMatchObject({ kind: 'permanent', reason: 'bad_address' });
    expect(classifySmtpFailure({ code: 'EMESSAGE', responseCode: 554, command: 'DATA' }, true)).toMatchObject({ kind: 'permanent', reason: 'smtp_554' });
    expect(classifySmtpFailure({ code: 'EENVELOPE', responseCode: 503, command: 'RCPT TO' }, false)).toMatchObject({ kind: 'retryable' });
    const tryLater = classifySmtpFailure({ code: 'EENVELOPE', responseCode: 451, command: 'DATA' }, true);
    expect(tryLater).toMatchObject({ kind: 'retryable', reason: 'smtp_451' });
    // The server answered, even after the final dot: it did not take the message.
    expect(tryLater.options.mayHaveArrived).toBeFalsy();
  });

  it('retries our own configuration errors and connection failures; only a drop past the final dot may have delivered', () => {
    expect(classifySmtpFailure({ code: 'EAUTH', responseCode: 535 }, false)).toMatchObject({ kind: 'retryable', reason: 'smtp_configuration' });
    expect(classifySmtpFailure({ code: 'ECONNECTION', command: 'CONN', message: 'Connection closed unexpectedly' }, false)).toMatchObject({ kind: 'retryable', options: { mayHaveArrived: false } });
    expect(classifySmtpFailure({ code: 'ECONNECTION', command: 'CONN', message: 'Connection closed unexpectedly' }, true)).toMatchObject({ options: { mayHaveArrived: true } });
    // What nodemailer reports when the server takes DATA and never answers.
    expect(classifySmtpFailure({ code: 'ETIMEDOUT', command: 'CONN' }, true)).toMatchObject({ kind: 'retryable', reason: 'timeout', options: { mayHaveArrived: true } });
    expect(classifySmtpFailure({ code: 'ETIMEDOUT', command: 'CONN' }, false)).toMatchObject({ kind: 'retryable', reason: 'timeout', options: { mayHaveArrived: false } });
  });
});

describe('activity failures', () => {
  it('makes permanent errors non-retryable and passes a 429\'s wait on', () => {
    expect(toActivityFailure(answer(400)!)).toMatchObject({ type: 'PermanentDeliveryError', nonRetryable: true });
    expect(toActivityFailure(answer(429, undefined, { 'Retry-After': '3' })!)).toMatchObject({ type: 'RetryableDeliveryError', nonRetryable: false, nextRetryDelay: 3000 });
  });
});

describe('signatures and message ids', () => {
  it('verifies a fresh signature of the exact body and rejects anything else', () => {
    const secret = 's'.repeat(32);
    const signature = signBody(secret, 1_700_000_000, '{"a":1}');
    expect(verifyBody(secret, { timestamp: '1700000000', signature }, '{"a":1}', 1_700_000_100)).toBe(true);
    expect(verifyBody(secret, { timestamp: '1700000000', signature }, '{"a":2}', 1_700_000_100)).toBe(false);
    expect(verifyBody(secret, { timestamp: '1700000000', signature }, '{"a":1}', 1_700_001_000)).toBe(false);
    expect(verifyBody('t'.repeat(32), { timestamp: '1700000000', signature }, '{"a":1}', 1_700_000_100)).toBe(false);
  });

  it('names the send in the Message-ID, safely encoded, at the sender\'s domain', () => {
    expect(messageIdFor('customer-c1/journey-j/step 2', 'Shop <news@shop.example.com>')).toBe('<customer-c1=2Fjourney-j=2Fstep=202@shop.example.com>');
  });
});
