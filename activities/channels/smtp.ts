// E-mail over SMTP (nodemailer). SMTP has no idempotency key, so the Message-ID carries the send
// key instead: the mail trail (and bounces quoting it) name the logical send.
import { createTransport } from 'nodemailer';
import type { ChannelProvider, OutgoingMessage } from './channel.js';
import { classifySmtpFailure, permanent } from './errors.js';

export interface SmtpProviderOptions {
  url: string;
  from: string;
  /** Connect, greeting and idle-socket timeouts. */
  timeoutMs?: number;
}

/** `<send key@sender's domain>`, the key made safe for a Message-ID's local part. */
export function messageIdFor(key: string, from: string): string {
  const domain = /@([^\s<>@]+)>?\s*$/.exec(from)?.[1] ?? 'closedloop.local';
  const local = key.replace(/[^A-Za-z0-9_-]/g, (c) => [...Buffer.from(c)].map((b) => `=${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
  return `<${local}@${domain}>`;
}

export function smtpProvider({ url, from, timeoutMs = 30_000 }: SmtpProviderOptions): ChannelProvider {
  const transport = createTransport({
    url,
    connectionTimeout: Math.min(timeoutMs, 10_000),
    greetingTimeout: Math.min(timeoutMs, 10_000),
    socketTimeout: timeoutMs,
  });
  return {
    idempotent: false,
    async deliver(message: OutgoingMessage) {
      if (!message.to) throw permanent('no_address', 'no e-mail address');
      const messageId = messageIdFor(message.key, from);
      try {
        await transport.sendMail({
          from,
          to: message.to,
          subject: message.subject ?? '',
          messageId,
          ...(message.html ? { html: message.body } : { text: message.body }),
          ...(message.unsubscribeUrl && {
            list: { unsubscribe: { url: message.unsubscribeUrl, comment: 'Unsubscribe' } },
            headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
          }),
        });
      } catch (err) {
        throw classifySmtpFailure(err);
      }
      return { providerId: messageId };
    },
  };
}
