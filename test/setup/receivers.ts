// Real servers on the other side of the channels: an SMTP server (smtp-server) that parses what it
// receives, and an HTTP provider (node:http) that checks signatures and dedupes on Idempotency-Key.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { verifyBody } from '../../signing/webhooks.js';

export interface SmtpReceiver {
  url: string;
  mails: ParsedMail[];
  /** Every RCPT TO the server was asked, accepted or not. */
  recipients: string[];
  /** Replies for RCPT TO of chosen addresses, e.g. `{ 'nobody@example.com': 550 }`. */
  rejections: Map<string, number>;
  /** Recipients whose message the server takes but never confirms (the client times out). */
  stalls: Set<string>;
  /** Recipients whose message the server takes in full, then confirms only once the promise settles. */
  holds: Map<string, Promise<unknown>>;
  /** Recipients whose RCPT TO the server answers only once the promise settles (the message has not left). */
  rcptHolds: Map<string, Promise<unknown>>;
  /** The server answers every message this long after its final dot (a slow relay); 0 by default. */
  replyDelayMs: number;
  /** The server answers every RCPT TO this long after it (a slow relay, before the message leaves); 0 by default. */
  rcptDelayMs: number;
  /** SMTP connections open right now, as the server sees them. */
  openConnections(): number;
  mailsWithMessageId(id: string): ParsedMail[];
  /** By Message-ID: when the server had the message's final dot, and when it answered (epoch ms). */
  answers: Map<string, { dotAt: number; answeredAt: number }>;
  stop(): Promise<void>;
}

export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const mails: ParsedMail[] = [];
  const recipients: string[] = [];
  const rejections = new Map<string, number>();
  const stalls = new Set<string>();
  const holds = new Map<string, Promise<unknown>>();
  const rcptHolds = new Map<string, Promise<unknown>>();
  const answers = new Map<string, { dotAt: number; answeredAt: number }>();
  const receiver = { replyDelayMs: 0, rcptDelayMs: 0 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      recipients.push(address.address);
      const held = rcptHolds.get(address.address);
      if (held) {
        void held.then(() => callback(), () => callback());
        return;
      }
      const code = rejections.get(address.address);
      if (!code && receiver.rcptDelayMs > 0) {
        setTimeout(() => callback(), receiver.rcptDelayMs);
        return;
      }
      if (!code) return callback();
      const err = Object.assign(new Error(code >= 500 ? 'mailbox unavailable' : 'try again later'), { responseCode: code });
      callback(err);
    },
    onData(stream, session, callback) {
      const stall = session.envelope.rcptTo.some((r) => stalls.has(r.address));
      const hold = session.envelope.rcptTo.map((r) => holds.get(r.address)).find((h) => h !== undefined);
      let dotAt = 0;
      stream.once('end', () => { dotAt = Date.now(); });
      simpleParser(stream).then((mail) => {
        mails.push(mail);
        if (stall) return;
        const answer = () => {
          if (mail.messageId) answers.set(mail.messageId, { dotAt, answeredAt: Date.now() });
          callback();
        };
        if (hold) void hold.then(answer, answer);
        else if (receiver.replyDelayMs > 0) setTimeout(answer, receiver.replyDelayMs);
        else answer();
      }, callback);
    },
  });
  // A client that dies mid-session (a killed worker) resets its connection: the server drops that
  // transaction, as real servers do, and goes on.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = (server as unknown as { server: Server }).server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `smtp://127.0.0.1:${port}`,
    mails, recipients, rejections, stalls, holds, rcptHolds, answers,
    openConnections: () => (server as unknown as { connections: Set<unknown> }).connections.size,
    mailsWithMessageId: (id: string) => mails.filter((m) => m.messageId === id),
    stop: () => new Promise<void>((resolve) => server.close(resolve)),
  });
}

export interface ProviderCall {
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  json: Record<string, unknown>;
  /** The signature matched the body and the timestamp was fresh. */
  signed: boolean;
  /** When it arrived (ms since the epoch). */
  at: number;
}

/**
 * What the provider answers one call; `hang` never answers (the caller times out). With `after`,
 * the provider acts on the call at once (a 2xx delivers it) but sends its answer only once the
 * promise settles: a reply still in flight.
 */
export type ProviderAnswer = { status: number; body?: unknown; headers?: Record<string, string>; after?: Promise<unknown> } | 'hang';

export interface HttpReceiver {
  url: string;
  calls: ProviderCall[];
  /** Messages the provider passed on to customers: one per Idempotency-Key, however often it came. */
  delivered: Map<string, ProviderCall>;
  /** Answers queued for the next calls, in order; after them every call gets 200 `{ id }`. */
  answers: ProviderAnswer[];
  callsFor(key: string): ProviderCall[];
  stop(): Promise<void>;
}

export async function startHttpReceiver(signingSecret: string): Promise<HttpReceiver> {
  const calls: ProviderCall[] = [];
  const delivered = new Map<string, ProviderCall>();
  const answers: ProviderAnswer[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const signed = verifyBody(signingSecret, {
        timestamp: req.headers['x-closedloop-timestamp'] as string | undefined,
        signature: req.headers['x-closedloop-signature'] as string | undefined,
      }, rawBody);
      const call: ProviderCall = { path: req.url ?? '/', headers: req.headers, rawBody, json: JSON.parse(rawBody) as Record<string, unknown>, signed, at: Date.now() };
      calls.push(call);
      const answer = answers.shift() ?? { status: 200 };
      if (answer === 'hang') return;
      const key = String(req.headers['idempotency-key']);
      if (answer.status < 300 && signed && !delivered.has(key)) delivered.set(key, call);
      const reply = (): void => {
        res.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers });
        res.end(JSON.stringify(answer.body ?? { id: `prov-${key}` }));
      };
      if (answer.after) void answer.after.then(reply, reply);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls, delivered, answers,
    callsFor: (key) => calls.filter((c) => c.headers['idempotency-key'] === key),
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
