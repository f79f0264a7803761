// A real HTTP receiver of the outbound event stream: records every POST with its Standard Webhooks
// headers and raw body, and can answer 503 or refuse connections (closed) to play an endpoint down.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EventCall {
  id: string;
  timestamp: string;
  signature: string;
  rawBody: string;
  json: { type: string; timestamp: string; data: Record<string, unknown> };
  /** What the receiver answered. */
  status: number;
  at: number;
}

/** `up`: 200; `unavailable`: 503; `refusing`: 400 (a permanent refusal). */
export type ReceiverMode = 'up' | 'unavailable' | 'refusing';

export interface EventReceiver {
  url: string;
  calls: EventCall[];
  mode: ReceiverMode;
  /** Each event once, in the order it was first accepted (2xx). */
  accepted(): EventCall[];
  /** Stops listening: connections are refused until `reopen`. */
  close(): Promise<void>;
  reopen(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEventReceiver(): Promise<EventReceiver> {
  const calls: EventCall[] = [];
  let port = 0;
  let server: Server | undefined;
  const receiver: EventReceiver = {
    url: '', calls, mode: 'up',
    accepted() {
      const seen = new Set<string>();
      return calls.filter((c) => c.status < 300 && !seen.has(c.id) && seen.add(c.id));
    },
    close: () => new Promise<void>((resolve) => {
      if (!server) return resolve();
      const s = server;
      server = undefined;
      s.closeAllConnections();
      s.close(() => resolve());
    }),
    async reopen() { await listen(); },
    async stop() { await receiver.close(); },
  };
  const listen = () => new Promise<void>((resolve, reject) => {
    const s = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const status = receiver.mode === 'up' ? 200 : receiver.mode === 'unavailable' ? 503 : 400;
        calls.push({
          id: String(req.headers['webhook-id']), timestamp: String(req.headers['webhook-timestamp']), signature: String(req.headers['webhook-signature']),
          rawBody, json: JSON.parse(rawBody) as EventCall['json'], status, at: Date.now(),
        });
        res.writeHead(status, { 'Content-Type': 'text/plain' });
        res.end(status === 200 ? 'ok' : 'no');
      });
    });
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => {
      port = (s.address() as AddressInfo).port;
      receiver.url = `http://127.0.0.1:${port}/hooks`;
      server = s;
      resolve();
    });
  });
  await listen();
  return receiver;
}
