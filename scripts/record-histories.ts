// Records the histories of representative customers into test/histories/, for the replay test
// that keeps workflow changes deterministic. Run it (`tsx scripts/record-histories.ts`) when a
// new workflow version is introduced behind patched(); keep the old files.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { pino } from 'pino';
import { loadConfig } from '../config.js';
import { connectDatabase } from '../store/connection.js';
import { createApp } from '../api/app.js';
import { customerWorkflowId, eventsSignal } from '../workflows/customer-contract.js';
import { initialState } from '../workflows/lifecycle/state.js';
import { startCustomerOptions } from '../activities/temporal.js';
import { createWorker } from '../worker/worker.js';
import { backtestWorkflowId } from '../workflows/backtest-contract.js';
import { eventLaneWorkflowId } from '../workflows/event-lane.js';
import { outboundEventTypes } from '../activities/event-stream/types.js';
import { rootDir, startMongo, startTemporal, temporalBinary } from './servers.js';

Runtime.install({ logger: new DefaultLogger('WARN') });
const [temporalServer, mongo] = await Promise.all([startTemporal({}), startMongo({ storage: 'memory', heap: '512m' })]);
const keys = { write: 'record-write-key-0123456789', admin: 'record-admin-key-0123456789' };
const importDir = mkdtempSync(path.join(tmpdir(), 'record-imports-'));
const config = loadConfig({ MONGODB_URI: `${mongo.address}/record`, TEMPORAL_ADDRESS: temporalServer.address, API_WRITE_KEYS: keys.write, API_ADMIN_KEYS: keys.admin,
  IMPORT_DIR: importDir, EVENT_STREAM_REFRESH: '200 ms',
  // No quiet hours: the broadcast's marketing SMS must go out whatever the hour the script runs at.
  MESSAGING_POLICY: JSON.stringify({ caps: [{ window: '1 day', max: 2 }, { window: '7 days', max: 5 }], quietHours: null, defaultTimeZone: 'Asia/Shanghai', maxConcurrentJourneys: 3 }) });
const db = await connectDatabase(config.mongodbUri);
const connection = await Connection.connect({ address: config.temporal.address });
const temporal = new Client({ connection });
const native = await NativeConnection.connect({ address: config.temporal.address });
const worker = await createWorker({ connection: native, config, models: db.models, temporal });
const running = worker.run();
const server = createApp({ config, db, temporal, logger: pino({ level: 'silent' }) }).listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const api = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

const post = async (batch: object[]) => {
  // A busy machine answers 503 now and then (the API's Temporal deadline): retry as a client would, same body.
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${api}/v1/batch`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(`${keys.write}:`).toString('base64')}` }, body: JSON.stringify({ batch }) });
    if (res.ok) return;
    if (res.status !== 503 || attempt >= 10) throw new Error(await res.text());
    await new Promise((r) => setTimeout(r, 1000));
  }
};
const customerOf = async (userOrAnon: string) => (await db.models.identities.findOne({ _id: userOrAnon }))!.customerId;
const settle = () => new Promise((r) => setTimeout(r, 1500));

const adminPost = async (path: string, body?: object | string, contentType = 'application/json', method = 'POST') => {
  const res = await fetch(`${api}${path}`, { method, headers: { 'Content-Type': contentType, Authorization: `Bearer ${keys.admin}` }, body: typeof body === 'string' ? body : JSON.stringify(body ?? {}) });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<Record<string, unknown>>;
};
const adminGet = async (path: string) => (await fetch(`${api}${path}`, { headers: { Authorization: `Bearer ${keys.admin}` } })).json() as Promise<Record<string, unknown>>;
/** Polls until `done` holds, or fails the recording. */
const until = async (what: string, done: () => Promise<boolean>) => {
  for (let i = 0; i < 100; i++) { if (await done()) return; await settle(); }
  throw new Error(`${what} did not happen`);
};

// 0. A customer in a journey (v2 of the workflow, behind patched('journeys-v1')): invited at
// once, waits for a store visit, gets a voucher.
await adminPost('/v1/templates', { id: 'invite', channel: 'sms', body: 'Hi {{ profile.traits.name }}, come try a sample' });
await adminPost('/v1/templates', { id: 'voucher', channel: 'sms', body: 'Here is your spa voucher' });
await adminPost('/v1/journeys', {
  id: 'welcome', name: 'Welcome', trigger: { type: 'event', event: 'Followed' }, entry: 'invite',
  steps: {
    invite: { type: 'send', channel: 'sms', template: 'invite', priority: 'transactional', next: 'visit' },
    visit: { type: 'wait_for_event', event: 'Store Visited', timeout: '7 days', onEvent: 'voucher', onTimeout: 'done' },
    voucher: { type: 'send', channel: 'sms', template: 'voucher', priority: 'transactional', next: 'done' },
    done: { type: 'exit' },
  },
  reentry: { mode: 'never' }, onPause: 'hold',
});
await adminPost('/v1/journeys/welcome/publish');
await post([{ type: 'identify', userId: 'journey', messageId: 'j-1', traits: { phone: '+8613900002222', name: 'Lin' } }, { type: 'track', userId: 'journey', event: 'Followed', messageId: 'j-2' }]);
await settle();
await post([{ type: 'track', userId: 'journey', event: 'Store Visited', messageId: 'j-3' }]);
await settle();

// 1. The ladder: fan → member → customer → loyal, with a duplicate and points redeemed.
for (const [i, event] of ['Followed', 'Signed Up', 'Order Completed', 'Order Completed', 'Order Completed', 'Points Redeemed'].entries()) {
  await post([{ type: 'track', userId: 'ladder', event, messageId: `ladder-${i}`, properties: { total: 600, points: 100 } }]);
  if (i === 2) await post([{ type: 'track', userId: 'ladder', event, messageId: `ladder-${i}`, properties: { total: 600 } }]);
}
// 2. A merge: an anonymous browser buys with a known phone number.
await post([{ type: 'track', anonymousId: 'anon-1', event: 'Product Viewed', messageId: 'm-1' }]);
await settle();
await post([{ type: 'identify', userId: 'member-1', messageId: 'm-2', traits: { phone: '+8613900001111' } }]);
await settle();
await post([{ type: 'track', anonymousId: 'anon-1', event: 'Order Completed', messageId: 'm-3', properties: { total: 10 }, context: { traits: { phone: '+8613900001111' } } }]);
await settle();
// 3. A long-lived customer whose first run continues as new.
for (let r = 0; r < 520; r++) await post([{ type: 'track', userId: 'long', event: 'Page Viewed', messageId: `long-${r}` }]);
await settle();

// 4. A broadcast (v3: campaigns and attribution): a VIP gets the campaign's SMS, then buys after a
// social post; the order is credited to both touches.
await adminPost('/v1/templates', { id: 'promo', channel: 'sms', body: 'VIP week: 20% off' });
await adminPost('/v1/segments', { id: 'vips', name: 'VIPs', rule: { type: 'profile', field: 'tags', op: 'contains', value: 'vip' } });
await post([{ type: 'identify', userId: 'broadcast', messageId: 'b-1', traits: { phone: '+8613900003333', tags: ['vip'] } }]);
await settle();
await adminPost('/v1/campaigns', { id: 'vip-week', name: 'VIP week', segmentId: 'vips', message: { channel: 'sms', template: 'promo' } });
const broadcastCustomer = await customerOf('userId:broadcast');
for (let i = 0; i < 100 && (await db.models.messages.countDocuments({ customerId: broadcastCustomer, campaignId: 'vip-week', status: 'sent' })) === 0; i++) await settle();
await post([{ type: 'track', userId: 'broadcast', event: 'Order Completed', messageId: 'b-2', properties: { total: 88 }, context: { campaign: { source: 'weibo', medium: 'social', name: 'vip-week' } } }]);
await settle();
const conversion = await db.models.conversions.findOne({ customerId: broadcastCustomer });
if (conversion?.touches.length !== 2) throw new Error(`the broadcast customer's order was not credited to two touches: ${JSON.stringify(conversion)}`);

// 5. A held-out customer who bought (v4: behind patched('holdout-goal-watch')): the split holds
// everyone out, and the order within the goal's window is recorded as the holdout converting.
await adminPost('/v1/journeys', {
  id: 'trial-offer', name: 'Trial offer', trigger: { type: 'event', event: 'Trial Started' }, entry: 'split',
  steps: { split: { type: 'split', variants: [{ name: 'offer', weight: 0, next: 'done' }], holdout: 100 }, done: { type: 'exit' } },
  goal: { event: 'Order Completed', within: '7 days' }, reentry: { mode: 'never' }, onPause: 'hold',
});
await adminPost('/v1/journeys/trial-offer/publish');
await post([{ type: 'track', userId: 'held-out', event: 'Trial Started', messageId: 'h-1' }]);
await settle();
await post([{ type: 'track', userId: 'held-out', event: 'Order Completed', messageId: 'h-2', properties: { total: 45 } }]);
await settle();
const heldOut = await customerOf('userId:held-out');
if ((await db.models.journeyEvents.countDocuments({ customerId: heldOut, type: 'converted' })) !== 1) throw new Error('the held-out customer\'s order was not recorded as the holdout converting');
// 8. A customer who left a journey at the end of its steps and bought within its conversion window
// (v6: behind patched('conversion-windows')): the order is recorded as the journey's conversion.
await adminPost('/v1/templates', { id: 'thanks', channel: 'sms', body: 'Thanks for joining' });
await adminPost('/v1/journeys', {
  id: 'join-thanks', name: 'Thanks for joining', trigger: { type: 'event', event: 'Club Joined' }, entry: 'thanks',
  steps: { thanks: { type: 'send', channel: 'sms', template: 'thanks', priority: 'transactional', next: 'done' }, done: { type: 'exit' } },
  goal: { event: 'Order Completed', within: '7 days' }, reentry: { mode: 'never' }, onPause: 'hold',
});
await adminPost('/v1/journeys/join-thanks/publish');
await post([{ type: 'identify', userId: 'window', messageId: 'w-1', traits: { phone: '+8613900005555' } }, { type: 'track', userId: 'window', event: 'Club Joined', messageId: 'w-2' }]);
await settle();
await post([{ type: 'track', userId: 'window', event: 'Order Completed', messageId: 'w-3', properties: { total: 66 } }]);
await settle();
const inWindow = await customerOf('userId:window');
if ((await db.models.journeyEvents.countDocuments({ customerId: inWindow, type: 'converted', journeyId: 'join-thanks' })) !== 1) throw new Error('the order after leaving was not recorded as the journey converting within its window');
// 9. Subscription groups and channel send queues (v7: behind patched('subscription-groups') and
// patched('channel-send-queues')): a customer leaves a group by event, a send in that group is
// suppressed, and the journey's other send goes out on the SMS send queue.
await adminPost('/v1/subscription-groups', { id: 'club-news', name: 'Club news', channel: 'sms', type: 'opt_out' });
await adminPost('/v1/templates', { id: 'club-news', channel: 'sms', body: 'This week at the club' });
await adminPost('/v1/journeys', {
  id: 'club-week', name: 'Club week', trigger: { type: 'event', event: 'Club Visited' }, entry: 'hello',
  steps: {
    hello: { type: 'send', channel: 'sms', template: 'thanks', priority: 'transactional', next: 'news' },
    news: { type: 'send', channel: 'sms', template: 'club-news', group: 'club-news', next: 'done' },
    done: { type: 'exit' },
  },
  reentry: { mode: 'never' }, onPause: 'hold',
});
await adminPost('/v1/journeys/club-week/publish');
await post([
  { type: 'identify', userId: 'grouped', messageId: 'g-1', traits: { phone: '+8613900006666' } },
  { type: 'track', userId: 'grouped', event: 'Subscription Changed', messageId: 'g-2', properties: { group: 'club-news', subscribed: false } },
]);
await settle();
await post([{ type: 'track', userId: 'grouped', event: 'Club Visited', messageId: 'g-3' }]);
const grouped = await customerOf('userId:grouped');
for (let i = 0; i < 100 && (await db.models.messages.countDocuments({ customerId: grouped, status: { $in: ['sent', 'suppressed'] } })) < 2; i++) await settle();
const groupedOutcomes = (await db.models.messages.find({ customerId: grouped }).toArray()).map((m) => `${m.template}:${m.status}:${m.reason ?? ''}`).sort();
if (groupedOutcomes.join() !== 'club-news:suppressed:unsubscribed_group,thanks:sent:') throw new Error(`the grouped customer's sends: ${groupedOutcomes.join()}`);
// 7. A lean run (v5) handed a state from before lean workflows: its catalog is dropped, the
// customer's place in a journey kept, and the next event matched outside the workflow.
const legacyId = 'c0000000000legacy0001';
const catalogRevision = async () => (await db.models.counters.findOne({ _id: 'journey_catalog' }))?.value ?? 0;
const welcomeV1 = (await db.models.journeyVersions.findOne({ _id: 'welcome@1' }))!.definition;
const legacyState = {
  ...initialState(legacyId), stage: 'fan' as const, followed: true, revision: 3,
  journeys: {
    catalogRevision: 1, catalog: [{ definition: welcomeV1, status: 'active' as const }], segments: [],
    pinned: { 'welcome@1': welcomeV1 },
    enrollments: [{ id: 'welcome@1#1', journeyId: 'welcome', version: 1, stepId: 'visit', steps: 2, enteredAt: Date.now() - 60_000, stepSince: Date.now() - 60_000, context: { event: 'Followed' }, sent: { invite: { key: `${legacyId}:welcome@1#1:invite:0`, engaged: false } } }],
    history: { welcome: { entries: 1, lastEnteredAt: Date.now() - 60_000 } }, seq: 1, sendLog: [], timers: {},
  },
};
await temporal.workflow.signalWithStart('customerWorkflow', {
  ...startCustomerOptions(legacyId, { rules: config.lifecycleRules, policy: config.messagingPolicy }, config.temporal.taskQueue),
  args: [{ version: 2, customerId: legacyId, rules: config.lifecycleRules, policy: config.messagingPolicy, state: legacyState }],
  signal: eventsSignal, signalArgs: [[{ messageId: 'l-1', kind: 'track', name: 'Store Visited', properties: {}, traits: {}, timestamp: new Date().toISOString() }], { catalogRevision: await catalogRevision() }],
});
for (let i = 0; i < 100 && (await db.models.messages.countDocuments({ customerId: legacyId, status: 'sent' })) === 0; i++) await settle();

// 5c. A customer migrated between a journey's versions (v8: the move written to the profile,
// behind patched('migrations-saved')): waiting on v1's step, moved to v2's.
const moveJourney = (wait: string) => ({
  id: 'move', name: 'Move', trigger: { type: 'event', event: 'Moved In' }, entry: wait,
  steps: { [wait]: { type: 'wait', duration: '7 days', next: 'done' }, done: { type: 'exit' } }, reentry: { mode: 'never' }, onPause: 'hold',
});
await adminPost('/v1/journeys', moveJourney('wait'));
await adminPost('/v1/journeys/move/publish');
await post([{ type: 'track', userId: 'mover', event: 'Moved In', messageId: 'mv-1' }]);
await until('the mover\'s identity', async () => (await db.models.identities.findOne({ _id: 'userId:mover' })) !== null);
const mover = (await customerOf('userId:mover'))!;
const moverIn = async (version: number) => ((await db.models.customers.findOne({ _id: mover }))?.journeys ?? []).some((j) => j.journeyId === 'move' && j.version === version);
await until('the mover\'s entry', () => moverIn(1));
const { id: _moveId, ...moveDraft } = moveJourney('pause');
await adminPost('/v1/journeys/move', moveDraft, 'application/json', 'PUT');
await adminPost('/v1/journeys/move/publish');
await adminPost('/v1/journeys/move/migrate', { fromVersion: 1, toVersion: 2, steps: { wait: 'pause' } });
await until('the migration', () => moverIn(2));

// 6b. The other workflow types (v1 each): a transactional message, a CSV import, a journey's
// backtest, and an outbound event stream's lane delivering to a receiver.
await post([{ type: 'identify', userId: 'transactional', messageId: 't-1', traits: { phone: '+8613900004444', name: 'Tao' } }]);
await settle();
const tx = await adminPost('/v1/messages', { template: 'invite', customer: { identity: { type: 'userId', value: 'transactional' } }, data: {}, idempotencyKey: 'record-tx-1' }) as { message: { id: string } };
const txWorkflow = `message:${tx.message.id}`;
const imported = await adminPost('/v1/imports?kind=customers', 'userId,email,name\nimported-1,one@example.com,Ana\nimported-2,two@example.com,Bo\n', 'text/csv') as { id: string; workflowId: string };
await until('the import', async () => (await adminGet(`/v1/imports/${imported.id}`)).status === 'completed');
const backtest = await adminPost('/v1/journeys/welcome/backtest', { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date().toISOString() }) as { id: string };
await until('the backtest', async () => (await adminGet(`/v1/journeys/welcome/backtests/${backtest.id}`)).status === 'completed');
let received = 0;
const receiver = createServer((req, res) => { req.resume(); req.on('end', () => { received += 1; res.end('ok'); }); }).listen(0, '127.0.0.1');
await new Promise((r) => receiver.once('listening', r));
const endpoint = await adminPost('/v1/event-endpoints', { url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`, events: [...outboundEventTypes] }) as { id: string };
await settle();
await post([{ type: 'track', userId: 'lane', event: 'Followed', messageId: 'e-1' }, { type: 'track', userId: 'lane', event: 'Signed Up', messageId: 'e-2' }]);
await until('the event stream\'s deliveries', async () => received >= 1);
await settle();
// The lane that delivered them (a customer's events all go to one of the endpoint's lanes).
const lanes = await Promise.all([0, 1, 2, 3].map(async (n) => ({ id: eventLaneWorkflowId(endpoint.id, n), length: Number((await temporal.workflow.getHandle(eventLaneWorkflowId(endpoint.id, n)).describe()).historyLength) })));
const busiestLane = lanes.sort((a, b) => b.length - a.length)[0]!.id;

// 6. One refresh of the reports' day figures (workflows/report-days.ts), as the schedule starts it.
await temporal.workflow.execute('reportDaysWorkflow', { workflowId: 'report-days-recorded', taskQueue: config.temporal.taskQueue, args: [] });

const out = path.join(rootDir, 'test', 'histories');
const save = async (name: string, customerId: string, firstRun = false, workflowId = customerWorkflowId(customerId)) => {
  // A stored history is a record of the code that made it: never overwrite one.
  if (existsSync(path.join(out, `${name}.json`))) { console.log(`kept ${name}`); return; }
  const description = await temporal.workflow.getHandle(workflowId).describe();
  const runId = firstRun ? description.raw.workflowExecutionInfo!.firstRunId! : description.runId;
  // The CLI writes the history in the proto JSON form the SDK's replayer reads.
  const json = execFileSync(temporalBinary, ['workflow', 'show', '--address', config.temporal.address, '--workflow-id', workflowId, '--run-id', runId, '--output', 'json'], { maxBuffer: 64 * 1024 * 1024 });
  writeFileSync(path.join(out, `${name}.json`), json);
  console.log(`recorded ${name}`);
};
const [ladder, survivor, long, inJourney] = await Promise.all(['userId:ladder', 'userId:member-1', 'userId:long', 'userId:journey'].map(customerOf));
if ((await db.models.messages.countDocuments({ customerId: inJourney!, status: 'sent' })) !== 2) throw new Error('the journey customer did not get both messages');
await save('customer-journey-v2', inJourney!);
const merged = (await db.models.customers.findOne({ mergedInto: survivor }))!._id;
await save('customer-ladder-v1', ladder!);
await save('customer-merge-survivor-v1', survivor!);
await save('customer-merged-away-v1', merged);
await save('customer-continued-as-new-v1', long!, true);
await save('customer-campaign-v3', broadcastCustomer);
const campaignRun = (await db.models.campaigns.findOne({ _id: 'vip-week' }))!.lastRun!.workflowId;
await save('campaign-broadcast-v1', '', false, campaignRun);
await save('customer-holdout-v4', heldOut);
await save('report-days-v1', '', false, 'report-days-recorded');
// v5: lean runs (the catalog matched outside the workflow, local activities for the profile).
await save('customer-lean-journey-v5', inJourney!);
await save('customer-lean-ladder-v5', ladder!);
await save('customer-lean-merge-survivor-v5', survivor!);
await save('customer-lean-merged-away-v5', merged);
await save('customer-lean-continued-as-new-v5', long!, true);
await save('customer-lean-campaign-v5', broadcastCustomer);
await save('customer-lean-holdout-v5', heldOut);
await save('customer-lean-from-legacy-v5', legacyId);
// v6: conversion windows.
await save('customer-conversion-window-v6', inWindow);
// v7: subscription groups, sends on channel send queues.
await save('customer-groups-send-queues-v7', grouped);

// v8: a migration between versions written to the profile.
await save('customer-migrated-v8', mover);
// v1 of the other workflow types.
await save('transactional-send-v1', '', false, txWorkflow);
await save('import-v1', '', false, imported.workflowId);
await save('backtest-v1', '', false, backtestWorkflowId(backtest.id));
await save('event-lane-v1', '', false, busiestLane);

receiver.close();
rmSync(importDir, { recursive: true, force: true });
server.close();
worker.shutdown();
await running;
await Promise.all([native.close(), connection.close(), db.close()]);
await Promise.all([temporalServer.stop(), mongo.stop()]);
