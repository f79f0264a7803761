// E-mail over SMTP (nodemailer's composer and SMTP client). SMTP has no idempotency key, so two
// things keep a send at most once without losing the ones a crash interrupts:
// - the Message-ID carries the send key: the mail trail (and bounces quoting it) name the send;
// - the message's final dot waits for `hooks.pointOfNoReturn`. An SMTP server discards a
//   transaction until that dot is accepted, so a send interrupted before it never arrived and
//   may go again; only one interrupted between the mark and the server's answer is unknown.
import { Readable } from 'node:stream';
import MailComposer from 'nodemailer/lib/mail-composer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { parseConnectionUrl } from 'nodemailer/lib/shared';
import type { ChannelProvider, DeliveryHooks, OutgoingMessage } from './channel.js';
import { classifySmtpFailure, permanent, retryable, type DeliveryError } from './errors.js';

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

/**
 * The message's bytes as a stream whose end waits for `gate`: SMTP's final dot follows the end.
 * The stream is read only once the server has said 354 (go ahead), and asked for more only once
 * the bytes before it have been taken, so the gate opens with nothing left to send but the dot.
 */
function gated(content: Buffer, gate: () => Promise<void>): Readable {
  let pushed = false;
  let gating = false;
  return new Readable({
    read() {
      if (!pushed) {
        pushed = true;
        this.push(content);
      } else if (!gating) {
        gating = true;
        gate().then(() => this.push(null), (err: unknown) => this.destroy(err instanceof Error ? err : new Error(String(err))));
      }
    },
  });
}

/** An SMTP server drops a transaction that never got its final dot. */
const notArrived = { mayHaveArrived: false };

type Callback<T> = (err: Error | null | undefined, value?: T) => void;

export function smtpProvider({ url, from, timeoutMs = 30_000 }: SmtpProviderOptions): ChannelProvider {
  const { auth, ...server } = parseConnectionUrl(url);
  const connectionOptions = {
    ...server,
    connectionTimeout: Math.min(timeoutMs, 10_000),
    greetingTimeout: Math.min(timeoutMs, 10_000),
    socketTimeout: timeoutMs,
  };

  /** One SMTP session for one message: connect, log in, MAIL/RCPT/DATA, the gated body, QUIT. */
  async function handOver(envelope: { from: string; to: string[] }, content: Buffer, messageId: string, hooks?: DeliveryHooks): Promise<void> {
    const connection = new SMTPConnection(connectionOptions);
    // Set once the point of no return is recorded: only then may the message have arrived.
    let pastNoReturn = false;
    let gateError: DeliveryError | undefined;
    let aborted = false;
    const ended = new Promise<never>((_, reject) => {
      connection.on('error', reject);
      connection.once('end', () => reject(Object.assign(new Error('connection closed by the server'), { code: 'ECONNECTION' })));
    });
    const step = <T>(run: (done: Callback<T>) => void): Promise<T> =>
      Promise.race([new Promise<T>((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value as T)))), ended]);
    const body = gated(content, async () => {
      if (aborted) throw (gateError = retryable('cancelled', 'the send was cancelled before its final dot', notArrived));
      try {
        await hooks?.pointOfNoReturn(messageId);
      } catch (err) {
        if (aborted) throw (gateError = retryable('cancelled', 'the send was cancelled before its final dot', notArrived));
        throw (gateError = retryable('not_recorded', `the send could not be recorded before its final dot: ${err instanceof Error ? err.message : String(err)}`, notArrived));
      }
      pastNoReturn = true;
    });
    const abort = (): void => {
      aborted = true;
      if (!pastNoReturn) connection.close();
    };
    hooks?.signal?.addEventListener('abort', abort, { once: true });
    try {
      if (hooks?.signal?.aborted) abort();
      await step<void>((done) => connection.connect((err) => done(err)));
      if (auth && connection.allowsAuth) await step<boolean>((done) => connection.login({ user: auth.user, credentials: auth }, done));
      await step((done) => connection.send(envelope, body, done));
      connection.quit();
    } catch (err) {
      connection.close();
      if (gateError) throw gateError;
      if (aborted && !pastNoReturn) throw retryable('cancelled', 'the send was cancelled before its final dot', notArrived);
      throw classifySmtpFailure(err, pastNoReturn);
    } finally {
      hooks?.signal?.removeEventListener('abort', abort);
    }
  }

  return {
    idempotent: false,
    async deliver(message: OutgoingMessage, hooks?: DeliveryHooks) {
      if (!message.to) throw permanent('no_address', 'no e-mail address');
      const messageId = messageIdFor(message.key, from);
      const mail = new MailComposer({
        from,
        to: message.to,
        subject: message.subject ?? '',
        messageId,
        ...(message.html ? { html: message.body } : { text: message.body }),
        // One-click unsubscribe (RFC 2369 and RFC 8058); the URL as is, never encoded or folded.
        ...(message.unsubscribeUrl && {
          headers: {
            'List-Unsubscribe': { prepared: true, value: `<${message.unsubscribeUrl}>` },
            'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
          },
        }),
      }).compile();
      const { from: sender, to } = mail.getEnvelope();
      await handOver({ from: sender || '', to }, await mail.build(), messageId, hooks);
      return { providerId: messageId };
    },
  };
}
