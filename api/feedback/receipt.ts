// What a provider tells us about a message: a delivery receipt or an inbound reply.
import { z } from 'zod';

export const ProviderReceipt = z.object({
  /** The provider's id of this event: a second request with the same id is a replay. */
  id: z.string().min(1).max(200),
  type: z.enum(['delivered', 'bounced', 'failed', 'unsubscribed', 'reply']),
  /** Our send key, as sent to the provider in the Idempotency-Key header. */
  messageId: z.string().min(1).max(300).optional(),
  /** The provider's own message id, as it answered the send. */
  providerId: z.string().min(1).max(300).optional(),
  reason: z.string().max(1000).optional(),
  text: z.string().max(4000).optional(),
  at: z.iso.datetime({ offset: true }).optional(),
})
  .refine((r) => r.messageId !== undefined || r.providerId !== undefined, { message: 'give messageId or providerId', path: ['messageId'] })
  .refine((r) => r.type !== 'reply' || r.text !== undefined, { message: 'a reply needs its text', path: ['text'] })
  .meta({ id: 'ProviderReceipt' });
export type ProviderReceipt = z.infer<typeof ProviderReceipt>;

// Carrier and regulator conventions (CTIA in the US; 退订 / TD / T for Chinese SMS).
const optOutKeywords = new Set(['stop', 'stopall', 'unsubscribe', 'cancel', 'end', 'quit', 'td', 't', '退订', '取消订阅']);

/** A reply that is only an opt-out keyword (any case, surrounding spaces and punctuation ignored). */
export function isOptOut(text: string): boolean {
  // The longest keyword is 11 letters: a longer reply is a message, whatever its padding.
  if (text.length > 64) return false;
  const chars = [...text.normalize('NFKC')];
  const padding = /^[\s\p{P}]$/u;
  let start = 0;
  let end = chars.length;
  while (start < end && padding.test(chars[start]!)) start += 1;
  while (end > start && padding.test(chars[end - 1]!)) end -= 1;
  return optOutKeywords.has(chars.slice(start, end).join('').toLowerCase());
}
