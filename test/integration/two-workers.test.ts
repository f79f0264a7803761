// Two worker processes on one task queue, one SIGKILLed in the middle of customers' journeys
// (issue 7), on the shared Temporal dev server. The killed worker holds the customers it last ran
// in its sticky cache, so the server sends their next workflow task to its sticky queue, which
// nobody polls any more; the survivor only gets those tasks once the server gives up on the sticky
// queue (WORKER_STICKY_QUEUE_TIMEOUT: the SDK's stickyQueueScheduleToStartTimeout, 10 s by default). This measures that.
// What customers observe is counted at a real HTTP SMS provider that dedupes on Idempotency-Key.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { temporal } from '@temporalio/proto';
import { rootDir } from '../../scripts/servers.js';
import { customerWorkflowId, stateQuery } from '../../workflows/customer-contract.js';
import { startHttpReceiver, type HttpReceiver } from '../setup/receivers.js';
import { adminKey, eventually, startStack, workerProcessEnv, writeKey, type Stack } from '../setup/stack.js';

const signingSecret = 'two-workers-provider-secret-0123456789';
const customerCount = 12;
const users = Array.from({ length: customerCount }, (_, i) => `shopper-${i}`);

let http: HttpReceiver;
let stack: Stack;
const workers: ChildProcess[] = [];

const alive = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;
// Should this test process end without its afterAll, the workers go with it.
process.once('exit', () => { for (const child of workers) if (alive(child)) child.kill('SIGKILL'); });


/** `node --import tsx worker/main.ts`, as in production, ready once it prints that it polls. */
async function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], { cwd: rootDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  workers.push(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => { output += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { output += c.toString(); });
  const deadline = Date.now() + 90_000;
  while (!/^worker polling /m.test(output)) {
    if (!alive(child) || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker ${alive(child) ? 'not polling after 90 s' : `exited (${child.exitCode ?? child.signalCode})`}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

beforeAll(async () => {
  http = await startHttpReceiver(signingSecret);
  const env = { SMS_PROVIDER: 'http', SMS_URL: `${http.url}/sms`, PROVIDER_SIGNING_SECRET: signingSecret };
  stack = await startStack({ worker: false, env });
  const workerEnv = workerProcessEnv(stack, env);
  await Promise.all([startWorkerProcess(workerEnv), startWorkerProcess(workerEnv)]);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(workers.filter(alive).map(async (child) => {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }));
  await stack?.stop();
  await http?.stop();
}, 60_000);

const admin = (path: string, body: object) => request(stack.app).post(path).auth(adminKey, '').send(body);
const batch = (events: object[]) => request(stack.app).post('/v1/batch').auth(writeKey, '').send({ batch: events });
/** A worker's default identity, as Temporal records it on every task the worker started. */
const identityOf = (child: ChildProcess): string => `${child.pid}@${hostname()}`;

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const ms = (e: HistoryEvent): number => Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6);

async function history(customerId: string): Promise<HistoryEvent[]> {
  return (await stack.temporal.workflow.getHandle(customerWorkflowId(customerId)).fetchHistory()).events ?? [];
}

/** Nothing scheduled, nothing running: the workflow waits for its next signal or timer. */
async function idle(customerId: string): Promise<boolean> {
  const description = await stack.temporal.workflow.getHandle(customerWorkflowId(customerId)).describe();
  return (description.raw.pendingActivities?.length ?? 0) === 0 && !description.raw.pendingWorkflowTask;
}

const sendsOf = async (customerId: string) => stack.db.models.messages.find({ customerId }).sort({ stepId: 1 }).toArray();
const deliveredTo = (customerId: string) => [...http.delivered.values()].filter((c) => c.json.customerId === customerId);

describe('two workers on one task queue', () => {
  it('when one is SIGKILLed mid-journey, the other finishes every journey and each message goes out once', async () => {
    await admin('/v1/templates', { id: 'welcome-sms', channel: 'sms', body: 'Welcome! 10% off your first order.' }).expect(201);
    await admin('/v1/templates', { id: 'cart-sms', channel: 'sms', body: 'Your cart is waiting.' }).expect(201);
    await admin('/v1/journeys', {
      id: 'trial-nudge',
      name: 'Trial welcome, then a cart nudge',
      trigger: { type: 'event', event: 'Trial Started' },
      entry: 'welcome',
      steps: {
        // Transactional: no quiet hours or frequency caps, so the test does not depend on the clock.
        welcome: { type: 'send', channel: 'sms', template: 'welcome-sms', priority: 'transactional', next: 'await-cart' },
        'await-cart': { type: 'wait_for_event', event: 'Cart Added', timeout: '1 day', onEvent: 'nudge', onTimeout: 'done' },
        nudge: { type: 'send', channel: 'sms', template: 'cart-sms', priority: 'transactional', next: 'done' },
        done: { type: 'exit' },
      },
      reentry: { mode: 'never' },
      onPause: 'hold',
    }).expect(201);
    await admin('/v1/journeys/trial-nudge/publish', {}).expect(200);

    // Every customer enters the journey; both workers pick up workflow and activity tasks.
    await batch(users.flatMap((userId, i) => [
      { type: 'identify', userId, messageId: `${userId}-id`, traits: { phone: `138000001${String(i).padStart(2, '0')}` } },
      { type: 'track', userId, messageId: `${userId}-trial`, event: 'Trial Started' },
    ])).expect(200);
    const customerIds = await eventually(async () => {
      const docs = await stack.db.models.identities.find({ _id: { $in: users.map((u) => `userId:${u}`) } }).toArray();
      return docs.length === customerCount ? docs.map((d) => d.customerId) : undefined;
    });
    // Half-way: each customer got the welcome and waits for a cart, with no task in flight.
    await eventually(async () => {
      for (const id of customerIds) if (deliveredTo(id).length !== 1 || !(await idle(id))) return undefined;
      return true;
    }, 45_000, 200);

    // The worker that last ran a workflow holds it in its cache, and the server routes that
    // customer's next task to the worker's sticky queue. Kill the one holding more customers.
    const lastRunBy = new Map<string, string>();
    for (const id of customerIds) {
      const started = (await history(id)).filter((e) => e.workflowTaskStartedEventAttributes);
      lastRunBy.set(id, started.at(-1)!.workflowTaskStartedEventAttributes!.identity!);
    }
    const [a, b] = workers as [ChildProcess, ChildProcess];
    const held = (w: ChildProcess) => customerIds.filter((id) => lastRunBy.get(id) === identityOf(w));
    // Both had work: neither sat idle while the other ran everything.
    expect(held(a).length + held(b).length).toBe(customerCount);
    expect(Math.min(held(a).length, held(b).length)).toBeGreaterThan(0);
    const [victim, survivor] = held(a).length >= held(b).length ? [a, b] : [b, a];
    const orphaned = held(victim);
    const exited = once(victim, 'exit');
    victim.kill('SIGKILL');
    expect((await exited)[1]).toBe('SIGKILL');

    // Every customer adds to the cart: the journey resumes, half of it on a dead worker's queue.
    const resumedAt = Date.now();
    await batch(users.map((userId) => ({ type: 'track', userId, messageId: `${userId}-cart`, event: 'Cart Added' }))).expect(200);
    await eventually(async () => {
      for (const id of customerIds) if (deliveredTo(id).length !== 2 || !(await idle(id))) return undefined;
      return true;
    }, 45_000, 200);
    const allDoneMs = Date.now() - resumedAt;

    // How long each orphaned customer's workflow task waited before the survivor started it.
    const takeover: number[] = [];
    let stickyTimeouts = 0;
    for (const id of orphaned) {
      const events = await history(id);
      const cart = events.map((e) => Boolean(e.workflowExecutionSignaledEventAttributes)).lastIndexOf(true);
      const next = events.slice(cart).find((e) => e.workflowTaskStartedEventAttributes?.identity === identityOf(survivor));
      expect(next, `customer ${id}: no task started by the survivor after the cart event`).toBeDefined();
      takeover.push(ms(next!) - ms(events[cart]!));
      stickyTimeouts += events.slice(cart).filter((e) => e.workflowTaskTimedOutEventAttributes).length;
      // Only the task that sat on the dead worker's sticky queue timed out: no failed task, no lost activity.
      const failures = events.filter((e) => e.workflowTaskFailedEventAttributes || e.activityTaskTimedOutEventAttributes || e.activityTaskFailedEventAttributes);
      expect(failures).toEqual([]);
    }
    console.log(`two workers: killed the one holding ${orphaned.length}/${customerCount} customers; the survivor started their next task `
      + `${Math.min(...takeover)}–${Math.max(...takeover)} ms after the cart event (${stickyTimeouts} sticky workflow tasks timed out); all journeys done ${allDoneMs} ms after it`);

    for (const id of customerIds) {
      // Each logical send went to the provider once and was delivered once: nothing lost, nothing doubled.
      const sends = await sendsOf(id);
      expect(sends.map((s) => [s.stepId, s.status])).toEqual([['nudge', 'sent'], ['welcome', 'sent']]);
      for (const send of sends) expect(http.callsFor(send._id)).toHaveLength(1);
      expect(deliveredTo(id).map((c) => c.json.body)).toEqual(['Welcome! 10% off your first order.', 'Your cart is waiting.']);
      const state = await stack.temporal.workflow.getHandle(customerWorkflowId(id)).query(stateQuery);
      expect(state.journeys).toMatchObject({ enrollments: [], history: { 'trial-nudge': { entries: 1, lastExitedAt: expect.any(Number) } } });
    }
    expect(alive(survivor)).toBe(true);
  }, 150_000);
});
