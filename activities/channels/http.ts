// SMS, WeChat template messages, app push and generic webhooks: a signed JSON POST to the
// provider's URL. Providers dedupe on Idempotency-Key, so a repeated send reaches the customer once.
import type { ChannelProvider, OutgoingMessage } from './channel.js';
import { classifyHttpAnswer, classifyHttpFailure } from './errors.js';
import { signBody, signatureHeader, timestampHeader } from '../../signing/webhooks.js';

export interface HttpProviderOptions {
  url: string;
  signingSecret: string;
  timeoutMs?: number;
}

/** The JSON every HTTP provider receives. */
export interface ProviderRequest {
  messageId: string;
  channel: string;
  customerId: string;
  template: string;
  to?: string;
  subject?: string;
  body: string;
}

export function httpProvider({ url, signingSecret, timeoutMs = 10_000 }: HttpProviderOptions): ChannelProvider {
  return {
    idempotent: true,
    async deliver(message: OutgoingMessage) {
      const payload: ProviderRequest = {
        messageId: message.key, channel: message.channel, customerId: message.customerId, template: message.template,
        ...(message.to !== undefined && { to: message.to }),
        ...(message.subject !== undefined && { subject: message.subject }),
        body: message.body,
      };
      const rawBody = JSON.stringify(payload);
      const timestamp = Math.floor(Date.now() / 1000);
      let res: Response;
      let answer: unknown;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            [timestampHeader]: String(timestamp),
            [signatureHeader]: signBody(signingSecret, timestamp, rawBody),
            'Idempotency-Key': message.key,
          },
          body: rawBody,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await res.text();
        try { answer = text ? JSON.parse(text) as unknown : undefined; } catch { answer = text; }
      } catch (err) {
        throw classifyHttpFailure(err);
      }
      const error = classifyHttpAnswer(res.status, res.headers, answer);
      if (error) throw error;
      const id = (answer as { id?: unknown } | undefined)?.id;
      return { providerId: typeof id === 'string' && id ? id : message.key };
    },
  };
}
