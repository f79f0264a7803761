// The console on the reports seed (`npm run bench:console -- --reports-seed`): 100,000 customers
// and 1,000,000 events (scripts/seed-reports.ts, its 120 days ending today, so the console's
// default range of the last 30 days holds data), the API in this process on a real port, and
// Debian's Chromium timing each page from the click (or the address typed) to its data drawn,
// as the browser test does on the demo data. Target: each page interactive in < 2 s.
// Fails (exit 1) on any console error or failed request of the page.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import type { Page } from 'puppeteer-core';
import { loadConfig } from '../../config.js';
import { connectDatabase } from '../../store/connection.js';
import { reportQueries } from '../../store/reports.js';
import { newCustomerId } from '../../store/identities.js';
import { createApp } from '../../api/app.js';
import { benchSeed, seedReports } from '../seed-reports.js';
import { startMongo, startTemporal, type RunningServer } from '../servers.js';
import { openBrowser } from '../../test/setup/browser.js';

const D = 86_400_000;
const adminKey = 'bench-admin-key-0123456789';
const writeKey = 'bench-write-key-0123456789';
const targetMs = 2000;
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const log = (msg: string): void => { process.stderr.write(`[bench:console ${new Date().toISOString().slice(11, 19)}] ${msg}\n`); };

export async function consoleOnReportsSeed(sizes = { customers: benchSeed.customers, events: benchSeed.events }) {
  const servers: RunningServer[] = [];
  let server: Server | undefined;
  const closers: (() => Promise<unknown>)[] = [];
  try {
    log('starting mongo-java-server (memory, heap 12g) and the Temporal dev server');
    const [mongo, temporalServer] = await Promise.all([startMongo({ storage: 'memory', heap: '12g' }), startTemporal({})]);
    servers.push(mongo, temporalServer);
    const config = loadConfig({
      MONGODB_URI: `${mongo.address}/console_bench`, TEMPORAL_ADDRESS: temporalServer.address,
      API_ADMIN_KEYS: adminKey, API_WRITE_KEYS: writeKey, LOG_LEVEL: 'error',
    });
    const db = await connectDatabase(config.mongodbUri);
    closers.push(() => db.close());
    await Promise.all([db.models.Conversion, db.models.StageChange, db.models.JourneyEvent].map((m) => m.createIndexes()));
    const today = Math.floor(Date.now() / D) * D;
    log(`seeding ${sizes.customers} customers, ${sizes.events} events over the 120 days to today`);
    const seedStarted = performance.now();
    const seeded = await seedReports(db.models, { ...sizes, start: new Date(today - 119 * D), days: 120 });
    const seedMs = Math.round(performance.now() - seedStarted);
    // What the report-days schedule does in the background after writes like the seed's.
    const refreshStarted = performance.now();
    await reportQueries(db.models).refreshStale(90);
    const refreshMs = Math.round(performance.now() - refreshStarted);
    log(`seeded in ${round(seedMs / 1000, 1)} s, day figures stored in ${round(refreshMs / 1000, 1)} s`);

    // The seed's ids (c000000…) are not the API's customer ids: one seeded customer's profile, events and
    // messages copied under a real id, whose 360° page the bench opens.
    const customerId = newCustomerId();
    const seeded0 = 'c012345';
    const raw = db.connection.db!;
    const profile = await raw.collection('customers').findOne({ _id: seeded0 } as object);
    await raw.collection('customers').insertOne({ ...profile!, _id: customerId } as object);
    const copy = async (name: string) => {
      const docs = await raw.collection(name).find({ customerId: seeded0 }).toArray();
      if (docs.length > 0) await raw.collection(name).insertMany(docs.map((d) => ({ ...d, _id: `${customerId}:${String(d._id)}`, customerId }) as object));
      return docs.length;
    };
    const copied = { events: await copy('events'), messages: await copy('messages') };
    log(`customer ${customerId}: a copy of ${seeded0} (${copied.events} events, ${copied.messages} messages)`);

    const connection = await Connection.connect({ address: temporalServer.address });
    closers.push(() => connection.close());
    const temporal = new Client({ connection, namespace: config.temporal.namespace });
    const app = createApp({ config, db, temporal, logger: pino({ level: 'silent' }) });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server!.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const admin = async (method: string, pathname: string, body?: unknown) => {
      const res = await fetch(`${base}${pathname}`, { method, headers: { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`${method} ${pathname}: ${res.status} ${await res.text()}`);
    };
    // A marketer's segment over all the customers: gold-tier customers who ordered.
    await admin('POST', '/v1/segments', {
      id: 'gold-buyers', name: 'Gold buyers',
      rule: { type: 'and', rules: [{ type: 'profile', field: 'tier', op: 'eq', value: 'gold' }, { type: 'profile', field: 'counters.orders', op: 'gte', value: 1 }] },
    });

    const tab = await openBrowser({ lang: 'en', width: 1280, height: 800 });
    closers.push(() => tab.browser.close());
    const page: Page = tab.page;
    const waitText = (selector: string, wanted: RegExp) => page.waitForFunction(
      (sel, w) => new RegExp(w).test(document.querySelector<HTMLElement>(sel)?.innerText ?? ''), { timeout: 30_000, polling: 50 }, selector, wanted.source);
    const timings: Record<string, number> = {};
    const timed = async (name: string, action: () => Promise<unknown>, ready: string | (() => Promise<unknown>)) => {
      const began = performance.now();
      try {
        await action();
        if (typeof ready === 'string') await page.waitForSelector(ready, { timeout: 30_000 }); else await ready();
      } catch (err) {
        const shot = await tab.screenshot(`reports-seed-${name}-failed`);
        throw new Error(`${name}: ${String(err)}; the page is in ${shot}; its problems: ${JSON.stringify(tab.problems)}`);
      }
      timings[name] = Math.round(performance.now() - began);
      log(`${name}: ${timings[name]} ms`);
      await tab.screenshot(`reports-seed-${name}`);
    };

    await timed('signIn', () => page.goto(`${base}/console`), '#api-key');
    await page.type('#api-key', adminKey);
    await timed('journeys', () => page.click('.sign-in button[type="submit"]'), () => waitText('[data-testid="journey-list"]', /%/));
    await timed('journey', () => page.click('a[href="/console/journeys/welcome"]'), () => waitText('[data-step="welcome"] .step-count', /[1-9]/));
    await timed('customers', () => page.click('nav a[href="/console/customers"]'), 'form[role="search"] input[name="identity"]');
    // A customer with events and messages in the range: the 360° page and its first page of timeline.
    await timed('customer', () => page.goto(`${base}/console/customers/${customerId}`), '[data-testid="timeline"] tbody tr td');
    await timed('segments', () => page.click('nav a[href="/console/segments"]'), '[data-testid="segment-list"] tbody tr td');
    await timed('segment', () => page.click('a[href="/console/segments/gold-buyers"]'), () => waitText('[data-testid="preview-count"]', /^\d/));
    await timed('campaigns', () => page.click('nav a[href="/console/campaigns"]'), '[data-testid="campaign-list"]');
    await timed('reports', () => page.click('nav a[href="/console/reports"]'), async () => {
      for (const chart of ['channels-chart', 'stages-chart', 'journey-funnel-chart', 'journey-variants-chart']) await page.waitForSelector(`[data-testid="${chart}"] canvas`, { timeout: 30_000 });
      await page.waitForSelector('[data-testid="channels-table"] tbody tr', { timeout: 30_000 });
    });
    const problems = tab.problems;
    const ms = Object.values(timings).sort((a, b) => a - b);
    return {
      seed: { customers: sizes.customers, events: sizes.events, documents: seeded, seedMs, dayFiguresStoredMs: refreshMs },
      targetMs, pages: timings,
      medianMs: ms[Math.floor(ms.length / 2)] ?? null,
      overTarget: Object.entries(timings).filter(([, v]) => v > targetMs).map(([k]) => k),
      problems, loadAverage: loadavg().map((n) => round(n)),
    };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    for (const s of servers) await s.stop().catch(() => undefined);
  }
}
