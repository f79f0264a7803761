// The Temporal server restarted under a running API and worker (issue 7), on the real servers.
// Its own Temporal dev server with a database file (stopping it touches no other test file, and
// customers survive the restart); the API and the worker are the production entry points
// (`api/main.ts`, `worker/main.ts`) as child processes, so the connections under test are exactly
// the ones they build, and the worker is provably the same process before and after.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { freePort, rootDir, startTemporal, stopProcess, type RunningServer } from '../../scripts/servers.js';
import { connectDatabase, type Database } from '../../store/connection.js';
import { customerWorkflowId, stateQuery } from '../../workflows/customer-contract.js';
import { adminKey, eventually, withDatabase, writeKey } from '../setup/stack.js';

const dir = mkdtempSync(path.join(tmpdir(), 'closedloop-temporal-restart-'));
const dbFile = path.join(dir, 'temporal.db');
/** How long the API waits for Temporal before it answers 503 (the default, 5 s, would only slow the test). */
const apiTemporalTimeoutMs = 1500;
/**
 * How long Temporal stays down. Under retries gRPC's reconnect backoff grows 1.6× an attempt
 * (1 s, 1.6 s, 2.6 s … 120 s), with attempts near 26 s and 43 s: the restart lands between them.
 */
const outageMs = 30_000;
/** How soon after Temporal is healthy again the API must accept events (reconnect attempts at most ~2 s apart, plus a retry). */
const apiReconnectBoundMs = 8000;

let temporalPort: number;
let temporal: RunningServer | undefined;
let db: Database;
let apiUrl: string;
let api: ChildProcess;
let worker: ChildProcess;
const children: ChildProcess[] = [];
const output = new Map<ChildProcess, string>();

const alive = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;
// Should this test process end without its afterAll, the children go with it.
process.once('exit', () => { for (const child of children) if (alive(child)) child.kill('SIGKILL'); });


/** `node --import tsx <entry>`, resolved once `ready` holds; its output is kept for failure messages. */
async function startProcess(entry: string, env: Record<string, string>, ready: (out: string) => Promise<boolean>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: rootDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  output.set(child, '');
  const keep = (c: Buffer): void => { output.set(child, output.get(child)! + c.toString()); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const deadline = Date.now() + 90_000;
  while (!(await ready(output.get(child)!))) {
    if (!alive(child) || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${entry} ${alive(child) ? 'not ready after 90 s' : `exited (${child.exitCode ?? child.signalCode})`}:\n${output.get(child)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return child;
}

beforeAll(async () => {
  temporalPort = await freePort();
  const apiPort = await freePort();
  apiUrl = `http://127.0.0.1:${apiPort}`;
  temporal = await startTemporal({ port: temporalPort, dbFile });
  const dbName = `t_${randomUUID().replaceAll('-', '')}`;
  db = await connectDatabase(inject('mongoUri'), { dbName });
  const env = {
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
    MONGODB_URI: withDatabase(inject('mongoUri'), dbName),
    API_WRITE_KEYS: writeKey,
    API_ADMIN_KEYS: adminKey,
    API_PORT: String(apiPort),
    API_TEMPORAL_TIMEOUT_MS: String(apiTemporalTimeoutMs),
    LOG_LEVEL: 'warn',
  };
  [worker, api] = await Promise.all([
    startProcess('worker/main.ts', env, async (out) => /^worker polling /m.test(out)),
    startProcess('api/main.ts', env, async () => (await fetch(`${apiUrl}/healthz`).catch(() => undefined))?.ok === true),
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(children.filter(alive).map((child) => stopProcess(child, 5000)));
  await temporal?.stop();
  await db?.connection.dropDatabase().catch(() => undefined);
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

interface Sent { status: number; body: { success?: true; accepted?: number; error?: { code: string; message: string } } }

/** One Segment batch as a backend service sends it. */
async function sendBatch(batch: object[]): Promise<Sent> {
  const res = await fetch(`${apiUrl}/v1/batch`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${writeKey}` },
    body: JSON.stringify({ batch }),
  });
  return { status: res.status, body: (await res.json()) as Sent['body'] };
}

const pageView = (userId: string, messageId: string) => ({ type: 'track', userId, event: 'Page Viewed', messageId });
const order = (userId: string, messageId: string, total: number) => ({ type: 'track', userId, event: 'Order Completed', messageId, properties: { total } });

/**
 * What a well-behaved client does with a 503: the same request (same messageIds) again, until it
 * is accepted. Resolves with when it was; rejects on any other answer (that would be a bug, not an outage).
 */
async function retryUntilAccepted(batch: object[], timeoutMs = 90_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await sendBatch(batch);
    if (res.status === 200) return Date.now();
    if (res.status !== 503 || res.body.error?.code !== 'temporal_unavailable') throw new Error(`unexpected answer ${res.status} ${JSON.stringify(res.body)}`);
    if (Date.now() > deadline) throw new Error(`still 503 after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const customerOf = async (userId: string) => (await db.models.identities.findOne({ _id: `userId:${userId}` }))?.customerId;
const profileOf = async (userId: string) => {
  const customerId = await customerOf(userId);
  return customerId ? db.models.customers.findOne({ _id: customerId }) : null;
};

describe('a Temporal server restart', () => {
  it('answers 503 while Temporal is down, applies each accepted event once after it is back, and the same worker carries on', async () => {
    // Before the outage: three customers, two events each, applied by the worker.
    for (const userId of ['ana', 'bo', 'chen']) {
      expect((await sendBatch([pageView(userId, `${userId}-1`), pageView(userId, `${userId}-2`)])).status).toBe(200);
    }
    await eventually(async () => {
      const profiles = await Promise.all(['ana', 'bo', 'chen'].map(profileOf));
      return profiles.every((p) => p?.counters.events === 2) ? true : undefined;
    }, 30_000);
    const anaId = (await customerOf('ana'))!;
    const [workerPid, apiPid] = [worker.pid!, api.pid!];

    await temporal!.stop();
    temporal = undefined;
    const downAt = Date.now();

    // While Temporal is away: an event of a known customer and the first event of a new one.
    const anaOrder = [order('ana', 'ana-3', 30)];
    const danFirst = [pageView('dan', 'dan-1')];
    const during = await Promise.all([sendBatch(anaOrder), sendBatch(danFirst)]);
    for (const res of during) {
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ code: 'temporal_unavailable' });
    }
    const health = await fetch(`${apiUrl}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ temporal: 'down', mongodb: 'up' });

    // Nothing of the rejected events was applied: no event stored, no counter moved, no profile
    // for the new customer. Identity resolution runs before the signal, so Dan's identity is
    // already claimed for a customer id: a reservation that the retry reuses (see below).
    expect(await db.models.events.countDocuments({ messageId: { $in: ['ana-3', 'dan-1'] } })).toBe(0);
    expect((await profileOf('ana'))?.counters).toMatchObject({ events: 2, orders: 0 });
    const danReserved = await customerOf('dan');
    expect(danReserved).toBeDefined();
    expect(await db.models.customers.countDocuments({ _id: danReserved })).toBe(0);

    // The client keeps retrying (same messageIds) all through an outage of a realistic length:
    // long enough for the API's gRPC channel to back off between reconnection attempts.
    const retries = [retryUntilAccepted(anaOrder), retryUntilAccepted(danFirst)];
    await new Promise((r) => setTimeout(r, outageMs - (Date.now() - downAt)));
    // Same port, same database file: customers' workflows are still there.
    temporal = await startTemporal({ port: temporalPort, dbFile });
    const upAt = Date.now();
    const acceptedAt = await Promise.all(retries);
    const apiReconnectMs = Math.max(...acceptedAt) - upAt;
    // A client that lost the 200 sends once more: the workflow drops the messageId it has applied.
    expect((await sendBatch(anaOrder)).status).toBe(200);

    // The worker started before the outage, never restarted, saves the new customer's first profile.
    await eventually(async () => ((await profileOf('dan'))?.counters.events === 1 ? true : undefined), 45_000, 100);
    const workerApplyMs = Date.now() - acceptedAt[1]!;
    console.log(`temporal restart after ${outageMs / 1000} s: API accepting again ${apiReconnectMs} ms after the server was healthy; `
      + `the worker saved the new customer's profile ${workerApplyMs} ms after the API accepted the event`);
    expect(apiReconnectMs).toBeLessThan(apiReconnectBoundMs);
    // Neither process was restarted: both reconnected by themselves.
    expect([alive(worker), worker.pid, alive(api), api.pid]).toEqual([true, workerPid, true, apiPid]);
    // The retry resolved to the id reserved during the outage: one customer, not two.
    expect(await customerOf('dan')).toBe(danReserved);

    // A later event as a barrier: a workflow handles signals in order, so once it counts, the
    // duplicate before it has been seen (and dropped).
    expect((await sendBatch([pageView('ana', 'ana-4')])).status).toBe(200);
    await eventually(async () => ((await profileOf('ana'))?.counters.events === 4 ? true : undefined), 30_000);
    const connection = await Connection.connect({ address: temporal.address });
    try {
      const client = new Client({ connection });
      const live = async (userId: string) => (await client.workflow.getHandle(customerWorkflowId((await customerOf(userId))!)).query(stateQuery)).counters;
      // Every accepted event exactly once, in the workflow and in MongoDB.
      expect(await live('ana')).toMatchObject({ events: 4, orders: 1, spend: 30 });
      expect((await profileOf('ana'))?.counters).toMatchObject({ events: 4, orders: 1, spend: 30 });
      for (const userId of ['bo', 'chen']) {
        expect(await live(userId)).toMatchObject({ events: 2, orders: 0 });
        expect((await profileOf(userId))?.counters).toMatchObject({ events: 2, orders: 0 });
      }
      expect(await live('dan')).toMatchObject({ events: 1 });
      expect(await db.models.events.countDocuments({ customerId: anaId })).toBe(4);
      expect(await db.models.events.countDocuments({ customerId: danReserved })).toBe(1);

      // Which process ran Dan's workflow tasks: the worker's identity is `pid@host`.
      const history = await client.workflow.getHandle(customerWorkflowId(danReserved!)).fetchHistory();
      const identities = new Set((history.events ?? []).flatMap((e) => e.workflowTaskStartedEventAttributes?.identity ?? []));
      expect([...identities]).toEqual([`${workerPid}@${hostname()}`]);
    } finally {
      await connection.close();
    }
  }, 150_000);
});
