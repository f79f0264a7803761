// The marketer's console in a real browser (Debian's Chromium, headless): served by the API at
// /console, it signs in with an admin key (a write key is refused), draws a journey's steps with
// the funnel and the customers now on the graph, finds a customer by phone, builds and previews a
// segment (nested AND/OR/NOT, checked by the API as it is typed), follows a campaign's progress
// live, charts the reports, migrates a journey's customers between versions on the two graphs,
// draws a backtest on the graph, speaks Chinese and English, and the page shows no console error
// or failed request along the way. Each page's time to interactive is measured, printed and
// written to .cache/console-timings.json (what `npm run bench:console` reports).
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { consoleDist, consoleRouter } from '../../api/console/router.js';
import { errorHandler } from '../../api/errors.js';
import { pino } from 'pino';
import { adminKey, eventually, startStack, writeKey, type Stack } from '../setup/stack.js';
import { openBrowser, type BrowserPage } from '../setup/browser.js';
import { consoleTimingsFile } from '../../scripts/bench-console.js';

let stack: Stack;
let server: Server;
let base: string;
let tab: BrowserPage;
let page: Page;
// Enough that the 40% holdout is never empty but once in 3,500 runs (0.6^16).
const customers = 16;
let buyer = 0;
// Reports over the days around now (a report spans at most three years).
const around = { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date(Date.now() + 86_400_000).toISOString() };

const api = (method: 'get' | 'post' | 'put', path: string, body?: object, key = adminKey) => {
  const req = request(stack.app)[method](path).set('Authorization', `Bearer ${key}`);
  return body ? req.send(body) : req;
};

const spring = {
  id: 'spring', name: 'Spring launch', trigger: { type: 'event', event: 'Signed Up' }, entry: 'hello',
  steps: {
    hello: { type: 'send', channel: 'email', template: 'spring-hello', next: 'ab' },
    ab: { type: 'split', variants: [{ name: 'A', weight: 30, next: 'nudge' }, { name: 'B', weight: 30, next: 'browse' }], holdout: 40 },
    nudge: { type: 'send', channel: 'sms', template: 'spring-nudge', next: 'browse' },
    browse: { type: 'wait_for_event', event: 'Product Viewed', timeout: '3 days', onEvent: 'big', onTimeout: 'done' },
    big: { type: 'branch', branches: [{ when: [{ field: 'counters.spend', op: 'gte', value: 500 }], next: 'vip' }], otherwise: 'done' },
    vip: { type: 'update_profile', addTags: ['spring-vip'], points: 50, next: 'done' },
    done: { type: 'exit' },
  },
  goal: { event: 'Order Completed' }, reentry: { mode: 'never' }, onPause: 'hold',
};
// A draft whose step leads nowhere: publishing it is refused, naming the step.
const broken = { ...spring, id: 'broken', name: 'Broken draft', steps: { ...spring.steps, nudge: { ...spring.steps.nudge, next: 'nowhere' } } };

beforeAll(async () => {
  if (!existsSync(path.join(consoleDist, 'index.html'))) throw new Error('the console is not built: run bash scripts/provision.sh');
  // No quiet hours (the sends go now, whatever the hour), and costs for the channel report.
  stack = await startStack({ env: { MESSAGING_POLICY: '{"quietHours":null}', CHANNEL_COSTS: '{"email":0.002,"sms":0.05}' } });
  // A real listening server: the browser needs one.
  server = stack.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  await api('post', '/v1/templates', { id: 'spring-hello', channel: 'email', subject: 'Spring is here', body: 'Hello {{ profile.traits.name }}' }).expect(201);
  await api('post', '/v1/templates', { id: 'spring-nudge', channel: 'sms', body: 'Still thinking about spring?' }).expect(201);
  await api('post', '/v1/journeys', spring).expect(201);
  await api('post', '/v1/journeys/spring/publish', {}).expect(200);
  await api('post', '/v1/journeys', broken).expect(201);
  const batch = Array.from({ length: customers }, (_, i) => [
    { type: 'identify', userId: `spring-${i}`, messageId: `id-${i}`, traits: { email: `buyer${i}@example.com`, phone: `+861380000${String(i).padStart(4, '0')}`, name: `Buyer ${i}` } },
    { type: 'track', userId: `spring-${i}`, messageId: `su-${i}`, event: 'Signed Up', properties: { channel: 'web' } },
  ]).flat();
  await api('post', '/v1/batch', { batch }, writeKey).expect(200);
  // Everyone in, then two buy (the goal).
  await eventually(async () => {
    const r = await api('get', '/v1/reports/journeys/spring').query(around);
    const at = (id: string) => r.body.steps?.find((s: { stepId: string }) => s.stepId === id)?.customers;
    return at('hello') === customers && at('ab') === customers ? true : undefined;
  }, 60_000, 500);
  // Two buyers among those the split kept in (the holdout has left the journey).
  const inside: number[] = [];
  for (let i = 0; i < customers && inside.length < 2; i++) {
    const view = (await api('get', `/v1/customers?userId=spring-${i}`).expect(200)).body as { journeys: { journeyId: string }[] };
    if (view.journeys.some((j) => j.journeyId === 'spring')) inside.push(i);
  }
  buyer = inside[0]!;
  await api('post', '/v1/batch', { batch: inside.map((i) => ({ type: 'track', userId: `spring-${i}`, messageId: `o-${i}`, event: 'Order Completed', properties: { total: 620, orderId: `o-${i}` } })) }, writeKey).expect(200);
  await eventually(async () => ((await api('get', '/v1/reports/journeys/spring').query(around)).body.exitedOnGoal === 2 ? true : undefined), 30_000, 500);

  tab = await openBrowser({ lang: 'zh-CN', width: 1280, height: 800 });
  page = tab.page;
}, 180_000);

afterAll(async () => {
  await tab?.browser.close();
  if (server) await new Promise((r) => server.close(r));
  await stack?.stop();
});

const text = (selector: string) => page.$eval(selector, (el) => (el as HTMLElement).innerText);
const waitText = (selector: string, wanted: string | RegExp) => page.waitForFunction(
  (sel, w, isRe) => { const t = document.querySelector<HTMLElement>(sel)?.innerText ?? ''; return isRe ? new RegExp(w).test(t) : t.includes(w); },
  { timeout: 15_000 }, selector, typeof wanted === 'string' ? wanted : wanted.source, typeof wanted !== 'string');
/**
 * Milliseconds from a navigation until `ready` appears: what the issue calls interactive (the
 * page's data drawn and its controls usable).
 */
async function timed(action: () => Promise<unknown>, ready: string | (() => Promise<unknown>)): Promise<number> {
  const start = Date.now();
  await action();
  if (typeof ready === 'string') await page.waitForSelector(ready, { timeout: 15_000 }); else await ready();
  return Date.now() - start;
}
const timings: Record<string, number> = {};
/** Replaces what an input holds, as a keyboard user would. */
async function fill(selector: string, value: string): Promise<void> {
  await page.focus(selector);
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  if (value) await page.type(selector, value);
}
/** Every form control inside `scope` has a name a screen reader says (a label, aria-label or its text). */
const unlabelled = (scope: string) => page.$$eval(`${scope} input, ${scope} select, ${scope} button`, (els) => els
  .filter((el) => { const e = el as HTMLInputElement; return !(e.labels?.length || e.getAttribute('aria-label') || (e.tagName === 'BUTTON' && e.innerText.trim())); })
  .map((el) => el.outerHTML.slice(0, 120)));

describe('the console at /console', () => {
  it('is served with its own CSP from this origin only, every console path answered with the page', async () => {
    const res = await request(stack.app).get('/console/journeys/spring').expect(200).expect('Content-Type', /html/);
    expect(res.text).toContain('<div id="root">');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/https?:/);
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(res.text)?.[1];
    const asset = await request(stack.app).get(script!).expect(200).expect('Content-Type', /javascript/);
    expect(asset.headers['cache-control']).toContain('immutable');
    await request(stack.app).get('/console/assets/missing.js').expect(404).expect('Content-Type', /json/);
  });

  it('answers 503, as JSON or as a page, when the console is not built', async () => {
    const app = express().use(consoleRouter(mkdtempSync(path.join(tmpdir(), 'no-console-'))), errorHandler(pino({ level: 'silent' })));
    const json = await request(app).get('/console').set('Accept', 'application/json').expect(503);
    expect(json.body.error.code).toBe('console_not_built');
    const html = await request(app).get('/console/reports').set('Accept', 'text/html').expect(503).expect('Content-Type', /html/);
    expect(html.text).toContain('scripts/provision.sh');
  });
});

describe('the console in Chromium', () => {
  it('opens in Chinese, refuses a write key with a clear message and signs in with the admin key', async () => {
    timings.signIn = await timed(() => page.goto(`${base}/console`), '#api-key');
    expect(await page.$eval('html', (el) => el.lang)).toBe('zh-CN');
    expect(await text('main h1')).toBe('登录');
    // The first Tab reaches the skip link: keyboard users can jump past the header.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('skip-link');

    await page.type('#api-key', writeKey);
    await page.click('.sign-in button[type="submit"]');
    await waitText('#sign-in-error', 'journeys:read');
    expect(await text('#sign-in-error')).toContain('写入密钥只能发送事件');
    expect(await page.evaluate(() => sessionStorage.getItem('closedloop.key'))).toBeNull();

    await page.click('#api-key');
    await page.keyboard.down('Control');
    await page.keyboard.press('KeyA');
    await page.keyboard.up('Control');
    await page.keyboard.press('Backspace');
    await page.type('#api-key', adminKey);
    timings.journeys = await timed(() => page.click('.sign-in button[type="submit"]'), () => waitText('[data-testid="journey-list"]', '%'));
    expect(await page.evaluate(() => sessionStorage.getItem('closedloop.key'))).toBe(adminKey);
    expect(await page.evaluate(() => document.cookie)).toBe('');
  });

  it('lists the journeys with status, version, customers in and goal rate', async () => {
    await waitText('[data-testid="journey-list"]', '12.5%');
    const rows = await page.$$eval('[data-testid="journey-list"] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText.trim())));
    const row = rows.find((r) => r[0]?.startsWith('Spring launch'));
    expect(row).toEqual([expect.stringContaining('spring'), '进行中', 'v1', String(customers), '12.5%']);
    expect(rows.find((r) => r[0]?.startsWith('Broken draft'))?.slice(1, 3)).toEqual(['草稿', '—']);
    await tab.screenshot('journeys-1280-zh');
  });

  it('switches to English and keeps the choice across a reload', async () => {
    await page.select('.lang select', 'en');
    await waitText('main h1', 'Journeys');
    expect(await page.$eval('html', (el) => el.lang)).toBe('en');
    await page.reload();
    await page.waitForSelector('[data-testid="journey-list"] tbody tr a');
    expect(await text('main h1')).toBe('Journeys');
    expect(await page.evaluate(() => localStorage.getItem('closedloop.language'))).toBe('en');
  });

  it('draws the journey as a graph with the funnel on its steps, the A/B arms and the holdout', async () => {
    timings.journey = await timed(() => page.click('a[href="/console/journeys/spring"]'), '[data-step="hello"] .step-count');
    await waitText('[data-step="hello"] .step-count', String(customers));
    await page.waitForFunction(() => document.querySelectorAll('.react-flow__edge-text').length >= 7, { timeout: 15_000, polling: 100 }).catch(async (err: unknown) => {
      // Seen when React Flow hid a node it had to measure again (the exit, and its two edges; JourneyGraph.tsx
      // now keeps measured sizes): say what was drawn, for the next time.
      const drawn = { edges: await page.$$eval('.react-flow__edge', (els) => els.length), labels: await page.$$eval('.react-flow__edge-text', (els) => els.map((x) => x.textContent)) };
      throw new Error(`the journey's edge labels: ${JSON.stringify(drawn)}; the page is in ${await tab.screenshot('journey-edges-timeout')}: ${String(err)}`);
    });
    // Every step, the trigger and the split's holdout are nodes.
    expect(await page.$$eval('.react-flow__node', (n) => n.length)).toBe(Object.keys(spring.steps).length + 2);
    const labels = await page.$$eval('.react-flow__edge-text', (els) => els.map((e) => e.textContent));
    expect(labels).toEqual(expect.arrayContaining(['A · 30%', 'B · 30%', 'Holdout 40%', 'Product Viewed', 'after 3 days', 'otherwise', 'counters.spend gte 500']));
    const funnel = Object.fromEntries(await page.$$eval('[data-testid="funnel"] tbody tr', (trs) => trs.map((tr) => [tr.querySelector('th')!.textContent, Number(tr.querySelector('td.n')!.textContent)])));
    expect(funnel.hello).toBe(customers);
    expect(funnel.ab).toBe(customers);
    const nodeCount = Number(await text('[data-step="ab"] .step-count'));
    expect(nodeCount).toBe(funnel.ab);
    const variants = await page.$$eval('[data-testid="variants"] tbody th', (ths) => ths.map((th) => th.textContent));
    expect(variants).toContain('Holdout');
    // Customers now: everyone the split kept in waits at browse (3 days), but the two who bought.
    // (Each customer's place is stored with their profile, a moment after the step's own record.)
    const report = await eventually(async () => {
      const r = (await api('get', '/v1/reports/journeys/spring').query(around).expect(200)).body;
      const held = r.variants.find((v: { variant: string }) => v.variant === 'holdout').customers as number;
      return r.now.customers === customers - held - 2 ? r : undefined;
    }, 15_000, 300);
    await page.reload();
    await page.waitForSelector('[data-step="hello"] .step-count');
    const heldOut = report.variants.find((v: { variant: string }) => v.variant === 'holdout').customers as number;
    expect(report.now).toEqual({ customers: customers - heldOut - 2, steps: [{ version: 1, stepId: 'browse', customers: customers - heldOut - 2 }] });
    await waitText('[data-step="browse"] .step-now-n', String(customers - heldOut - 2));
    expect(await text('[data-step="browse"] .step-now')).toContain('here now');
    expect(await text('[data-step="hello"] .step-now-n')).toBe('0');
    expect(await page.$eval('.react-flow__node[data-id="browse"]', (el) => el.getAttribute('aria-label'))).toContain(`${customers - heldOut - 2} here now`);
    expect(await text('[data-testid="in-now"]')).toBe(String(customers - heldOut - 2));
    expect(await text('[data-testid="exits"]')).toContain('Reached the goal');
    await tab.screenshot('journey-1280-en');
  });

  it('asks before publishing and shows the draft\'s validation errors on the step they name', async () => {
    await page.goto(`${base}/console/journeys/broken`);
    await page.waitForSelector('[data-step="nudge"]');
    const publish = await page.waitForSelector('.journey-actions button:not(.danger):not(.secondary)');
    await publish!.click();
    await page.waitForSelector('dialog[open]');
    expect(await text('dialog h2')).toBe('Publish "Broken draft"?');
    await page.click('dialog button[type="submit"]');
    await page.waitForSelector('[data-testid="validation-errors"]');
    expect(await text('[data-testid="validation-errors"]')).toContain('steps.nudge.next');
    await page.waitForSelector('[data-step="nudge"].has-error');
    // (React Flow shows a node once it has measured it: its text reads empty until then.)
    await waitText('[data-step="nudge"] .step-error', 'steps.nudge.next');
    expect((await api('get', '/v1/journeys/broken').expect(200)).body.status).toBe('draft');
  });

  it('finds the customer by phone (as a marketer types it, no country code) and shows the 360° page, the timeline and the workflow link', async () => {
    timings.customers = await timed(() => page.click('nav a[href="/console/customers"]'), 'form[role="search"] input[name="identity"]');
    await page.select('select[name="identity-type"]', 'phone');
    await page.type('input[name="identity"]', `138 0000 ${String(buyer).padStart(4, '0')}`);
    timings.customer = await timed(() => page.click('form[role="search"] button[type="submit"]'), '[data-testid="timeline"] tbody tr td .badge');
    expect(await text('main h1')).toContain(`Buyer ${buyer}`);
    expect(await text('[data-testid="identities"]')).toContain(`buyer${buyer}@example.com`);
    expect(await text('[data-testid="identities"]')).toContain(`+861380000${String(buyer).padStart(4, '0')}`);
    expect(await text('[data-testid="stage"]')).not.toBe('');
    expect(await text('.ladder [aria-current="step"]')).not.toBe('');
    expect(await text('[data-testid="timeline"]')).toContain('Order Completed');
    expect(await text('[data-testid="timeline"]')).toContain('spring-hello');
    const view = (await api('get', `/v1/customers?email=buyer${buyer}@example.com`).expect(200)).body;
    expect(page.url()).toBe(`${base}/console/customers/${view.customerId}`);
    const link = await page.$eval('.workflow a', (a) => (a as HTMLAnchorElement).href);
    expect(link).toBe(`http://127.0.0.1:8233/namespaces/default/workflows/${encodeURIComponent(view.workflow.workflowId)}`);
    await tab.screenshot('customer-1280-en');
  });

  it('builds a segment with nested AND/OR/NOT, checked by the API as it is typed, previews it and saves it', async () => {
    timings.segments = await timed(() => page.click('nav a[href="/console/segments"]'), '[data-testid="segment-list"] tbody tr td');
    expect(await text('[data-testid="segment-list"]')).toContain('No segments yet.');
    timings.segmentNew = await timed(() => page.click('a[href="/console/segments/new"]'), '[data-testid="rule-editor"] [data-node="behaviour"]');
    // A new rule's empty inputs are named on their conditions before the API is asked.
    expect(await text('[data-testid="preview-invalid"]')).toMatch(/problem/);
    expect(await text('[data-node="profile"] .rule-problems')).toContain('needs a value');
    expect(await text('[data-node="behaviour"] .rule-problems')).toContain('event');

    // Profile: at least one order (a number).
    await fill('[data-node="profile"] input[name="field"]', 'counters.orders');
    expect(await page.$eval('[data-node="profile"] select[name="kind"]', (el) => (el as HTMLSelectElement).value)).toBe('number');
    await page.select('[data-node="profile"] select[name="op"]', 'gte');
    await fill('[data-node="profile"] input[name="value"]', '1');
    // Behaviour: ordered in the last 7 days, a total of 500 or more.
    await fill('[data-node="behaviour"] input[name="event"]', 'Order Completed');
    await page.click('[data-node="behaviour"] [data-action="add-where"]');
    await fill('[data-node="behaviour"] input[name="where.0.field"]', 'total');
    await page.select('[data-node="behaviour"] select[name="where.0.op"]', 'gte');
    await page.select('[data-node="behaviour"] select[name="where.0.kind"]', 'number');
    await fill('[data-node="behaviour"] input[name="where.0.value"]', '500');
    await waitText('[data-testid="preview-count"]', /^2$/);
    // NOT (any of: tagged spring-vip, tier gold): nobody is, so the two buyers stay.
    await page.click('[data-testid="rule-editor"] > fieldset > .button-row [data-action="add-group"]');
    await page.waitForSelector('[data-node="or"] [data-node="profile"]');
    await page.click('[data-node="or"] > .node-tools input[name="negated"]');
    await fill('[data-node="or"] [data-node="profile"] input[name="field"]', 'tags');
    await page.select('[data-node="or"] [data-node="profile"] select[name="op"]', 'contains');
    await fill('[data-node="or"] [data-node="profile"] input[name="value"]', 'spring-vip');
    await page.click('[data-node="or"] > .button-row [data-action="add-profile"]');
    await fill('[data-node="or"] li:nth-child(2) [data-node="profile"] input[name="field"]', 'tier');
    await fill('[data-node="or"] li:nth-child(2) [data-node="profile"] input[name="value"]', 'gold');

    // A window the API refuses (over 90 days): its message on the behaviour, the input marked.
    const refused = page.waitForResponse((r) => r.url().endsWith('/v1/segments/preview') && r.status() === 400);
    await fill('[data-node="behaviour"] input[name="within"]', '120');
    await refused;
    await waitText('[data-node="behaviour"] .rule-problems', 'within');
    expect(await text('[data-node="behaviour"] .rule-problems')).toContain('90');
    expect(await page.$eval('[data-node="behaviour"] input[name="within"]', (el) => el.getAttribute('aria-invalid'))).toBe('true');
    expect(await page.$eval('.segment-form button[type="submit"]', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
    await fill('[data-node="behaviour"] input[name="within"]', '7');
    await page.waitForFunction(() => !document.querySelector('[data-node="behaviour"] .rule-problems li'), { timeout: 15_000 });
    await waitText('[data-testid="preview-count"]', /^2$/);
    await page.waitForSelector('[data-testid="segment-preview"][aria-busy="false"]');
    const buyerId = (await api('get', `/v1/customers?userId=spring-${buyer}`).expect(200)).body.customerId as string;
    expect(await text('[data-testid="preview-sample"]')).toContain(buyerId);

    // Keyboard only: Enter adds a condition, Space removes it; every control is labelled.
    const nodes = await page.$$eval('[data-testid="rule-editor"] fieldset', (f) => f.length);
    await page.focus('[data-testid="rule-editor"] > fieldset > .button-row [data-action="add-behaviour"]');
    await page.keyboard.press('Enter');
    expect(await page.$$eval('[data-testid="rule-editor"] fieldset', (f) => f.length)).toBe(nodes + 1);
    expect(await unlabelled('[data-testid="rule-editor"]')).toEqual([]);
    await page.focus('[data-testid="rule-editor"] > fieldset > ol > li:last-child [data-action="remove"]');
    await page.keyboard.press('Space');
    expect(await page.$$eval('[data-testid="rule-editor"] fieldset', (f) => f.length)).toBe(nodes);

    await fill('input[name="name"]', 'Spring buyers');
    await fill('input[name="id"]', 'spring-buyers');
    await waitText('[data-testid="preview-count"]', /^2$/);
    await page.waitForFunction(() => !(document.querySelector('.segment-form button[type="submit"]') as HTMLButtonElement).disabled, { timeout: 15_000 });
    await tab.screenshot('segment-editor-1280-en');
    await page.click('.segment-form button[type="submit"]');
    await waitText('main .notice', 'Segment created.');
    expect(page.url()).toBe(`${base}/console/segments/spring-buyers?created=1`);
    const saved = (await api('get', '/v1/segments/spring-buyers').expect(200)).body;
    expect(saved).toMatchObject({
      name: 'Spring buyers',
      rule: {
        type: 'and', rules: [
          { type: 'profile', field: 'counters.orders', op: 'gte', value: 1 },
          { type: 'behaviour', event: 'Order Completed', within: '7 days', count: { gte: 1 }, where: [{ field: 'total', op: 'gte', value: 500 }] },
          { type: 'not', rule: { type: 'or', rules: [{ type: 'profile', field: 'tags', op: 'contains', value: 'spring-vip' }, { type: 'profile', field: 'tier', op: 'eq', value: 'gold' }] } },
        ],
      },
    });
    expect((await api('post', '/v1/segments/spring-buyers/preview').expect(200)).body.count).toBe(2);
    // Opened again, the saved rule is previewed at once.
    timings.segment = await timed(() => page.goto(`${base}/console/segments/spring-buyers`), () => waitText('[data-testid="preview-count"]', /^2$/));
    expect(await page.$$eval('[data-testid="rule-editor"] fieldset', (f) => f.length)).toBe(nodes);
    await page.click('nav a[href="/console/segments"]');
    await waitText('[data-testid="segment-list"]', 'Spring buyers');
    expect(await text('[data-testid="segment-list"]')).toContain('counters.orders ≥ 1 AND did Order Completed (total ≥ 500) ≥ 1 times in 7 days AND NOT (tags contains "spring-vip" OR tier = "gold")');
  });

  it('lists campaigns with their schedule and status, creates a scheduled one, and follows a broadcast\'s progress live', async () => {
    await api('post', '/v1/segments', { id: 'spring-all', name: 'Everyone in spring', rule: { type: 'profile', field: 'traits.name', op: 'exists' } }).expect(201);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    await api('post', '/v1/campaigns', { id: 'spring-later', name: 'Spring later', segmentId: 'spring-buyers', message: { channel: 'email', template: 'spring-hello' }, at: later }).expect(201);
    timings.campaigns = await timed(() => page.click('nav a[href="/console/campaigns"]'), '[data-testid="campaign-list"] tr[data-campaign="spring-later"]');

    // A weekly campaign made in the console: a schedule the API refuses is named by its field, then fixed.
    timings.campaignNew = await timed(() => page.click('a[href="/console/campaigns/new"]'), 'select[name="template"] option[value="spring-nudge"]');
    expect(await unlabelled('[data-testid="campaign-form"]')).toEqual([]);
    await fill('input[name="name"]', 'Spring weekly');
    await fill('input[name="id"]', 'spring-weekly');
    await page.select('select[name="segmentId"]', 'spring-buyers');
    await page.select('select[name="channel"]', 'sms');
    expect(await page.$eval('select[name="template"]', (el) => (el as HTMLSelectElement).value)).toBe('spring-nudge');
    await page.click('input[name="when"][value="cron"]');
    await fill('input[name="cron"]', '*/5 * * * *');
    const submitCampaign = async () => {
      await page.click('[data-testid="campaign-form"] button[type="submit"]');
      await page.waitForSelector('dialog[open]');
      expect(await text('dialog h2')).toBe('Create "Spring weekly"?');
      expect(await text('dialog')).toContain('"spring-buyers"');
      await page.click('dialog button[type="submit"]');
    };
    await submitCampaign();
    await waitText('#cron-problem', 'at most once an hour');
    expect(await page.$eval('input[name="cron"]', (el) => el.getAttribute('aria-invalid'))).toBe('true');
    await tab.screenshot('campaign-new-1280-en');
    await fill('input[name="cron"]', '0 10 * * 1');
    await submitCampaign();
    await page.waitForSelector('[data-testid="campaign-schedule"]');
    expect(page.url()).toBe(`${base}/console/campaigns/spring-weekly`);
    expect(await text('[data-testid="campaign-schedule"]')).toContain('every "0 10 * * 1"');
    expect((await api('get', '/v1/campaigns/spring-weekly').expect(200)).body).toMatchObject({
      status: 'scheduled', segmentId: 'spring-buyers', message: { channel: 'sms', template: 'spring-nudge' }, schedule: { cron: '0 10 * * 1' }, ratePerSecond: 50,
    });
    await tab.screenshot('campaign-scheduled-1280-en');
    await page.click('nav a[href="/console/campaigns"]');
    await page.waitForSelector('[data-testid="campaign-list"] tr[data-campaign="spring-weekly"]');
    const row = (id: string) => text(`[data-testid="campaign-list"] tr[data-campaign="${id}"]`);
    expect(await row('spring-weekly')).toContain('every "0 10 * * 1"');
    expect(await row('spring-weekly')).toContain('Scheduled');
    expect(await row('spring-later')).toContain('once, at');

    // A broadcast to all 16 at 2 a second: the page reads it again while it runs.
    await api('post', '/v1/campaigns', { id: 'spring-now', name: 'Spring now', segmentId: 'spring-all', message: { channel: 'sms', template: 'spring-nudge' }, ratePerSecond: 2 }).expect(201);
    const polls: number[] = [];
    const seen = new Set<string>();
    const onResponse = (r: { url(): string; status(): number }) => { if (new URL(r.url()).pathname === '/v1/campaigns/spring-now') polls.push(r.status()); };
    page.on('response', onResponse);
    await page.goto(`${base}/console/campaigns`);
    await page.waitForSelector('a[href="/console/campaigns/spring-now"]');
    timings.campaign = await timed(() => page.click('a[href="/console/campaigns/spring-now"]'), '[data-testid="campaign-progress"]');
    await page.waitForFunction((n) => {
      const el = document.querySelector<HTMLElement>('[data-testid="campaign-progress"]');
      (window as unknown as { seen?: string[] }).seen = [...((window as unknown as { seen?: string[] }).seen ?? []), el?.innerText ?? ''];
      return el?.innerText.startsWith(`${n} of ${n}`) && document.querySelector('[data-testid="campaign"] h1 .badge')?.textContent === 'Completed';
    }, { timeout: 40_000, polling: 200 }, customers);
    for (const s of await page.evaluate(() => (window as unknown as { seen: string[] }).seen)) seen.add(s);
    page.off('response', onResponse);
    // More than one reading while it ran, each answered.
    expect(polls.length).toBeGreaterThan(2);
    // (An unchanged answer may come as 304 from the browser's revalidation: the page reads the same.)
    expect(polls.every((st) => st === 200 || st === 304)).toBe(true);
    expect(seen.size).toBeGreaterThan(1);
    expect(await text('[data-testid="campaign-schedule"]')).toContain('sent once, when created');
    expect(await text('[data-testid="campaign-finished"]')).not.toBe('—');
    await tab.screenshot('campaign-1280-en');
    await page.click('nav a[href="/console/campaigns"]');
    await waitText('[data-testid="campaign-list"] tr[data-campaign="spring-now"]', 'Completed');
    await tab.screenshot('campaigns-1280-en');

    // Cancelling asks first; the schedule is gone (the one-off is cancelled through the API).
    await page.click('a[href="/console/campaigns/spring-weekly"]');
    await page.waitForSelector('[data-testid="campaign"] .page-head button.danger');
    await page.click('[data-testid="campaign"] .page-head button.danger');
    await page.waitForSelector('dialog[open]');
    expect(await text('dialog h2')).toBe('Cancel "Spring weekly"?');
    await page.click('dialog button[type="submit"]');
    await waitText('[data-testid="campaign"] h1 .badge', 'Cancelled');
    expect((await api('get', '/v1/campaigns/spring-weekly').expect(200)).body.status).toBe('cancelled');
    await api('post', '/v1/campaigns/spring-later/cancel').expect(200);
  });

  it('charts the reports, switches the attribution model and offers each chart as CSV', async () => {
    timings.reports = await timed(() => page.click('nav a[href="/console/reports"]'), async () => {
      for (const chart of ['channels-chart', 'stages-chart', 'journey-funnel-chart', 'journey-variants-chart']) await page.waitForSelector(`[data-testid="${chart}"] canvas`, { timeout: 15_000 });
    });
    await page.waitForSelector('[data-testid="channels-table"] tbody tr');
    expect(await text('[data-testid="channels-table"]')).toContain('E-mail');
    await page.waitForSelector('[data-testid="moves-chart"] canvas');
    const switched = page.waitForResponse((r) => r.url().includes('/v1/reports/channels') && r.url().includes('model=first_touch') && r.status() === 200);
    await page.select('select[name="model"]', 'first_touch');
    await switched;
    // The journey report: the published journey, its funnel and who is in it now.
    expect(await page.$eval('select[name="journey"]', (el) => (el as HTMLSelectElement).value)).toBe('spring');
    expect(await text('[data-testid="report-entered"]')).toBe(String(customers));
    expect(Number(await text('[data-testid="report-now"]'))).toBeGreaterThan(0);
    expect(await page.$eval('[data-testid="journey-funnel-chart"]', (el) => el.getAttribute('aria-label'))).toContain('who are at it now');
    // Channels, stages, moves, the journey's funnel and its variants.
    expect(await page.$$eval('button', (bs) => bs.filter((b) => b.getAttribute('aria-label')?.includes('as CSV')).length)).toBe(5);
    const download = await page.evaluate(() => new Promise<string>((resolve) => {
      const original = URL.createObjectURL.bind(URL);
      URL.createObjectURL = (blob: Blob) => { void (blob as Blob).text().then(resolve); return original(blob); };
      document.querySelector<HTMLButtonElement>('button[aria-label="Download the journey funnel as CSV"]')!.click();
    }));
    expect(download.replace(/^\uFEFF/, '').split('\r\n').slice(0, 2)).toEqual(['step,entered,now', `hello,${customers},0`]);
    await tab.screenshot('reports-1280-en');
  });

  it('migrates the customers of version 1 to a version 2 published here, each step mapped beside the two graphs', async () => {
    // Version 2: the wait for a product view is now `look`, with a longer timeout.
    const { browse, ...kept } = spring.steps;
    const v2Steps = { ...kept, ab: { ...spring.steps.ab, variants: [{ name: 'A', weight: 30, next: 'nudge' }, { name: 'B', weight: 30, next: 'look' }] }, nudge: { ...spring.steps.nudge, next: 'look' }, look: { ...browse, timeout: '5 days' } };
    const { id: _id, ...draft } = spring;
    await api('put', '/v1/journeys/spring', { ...draft, steps: v2Steps }).expect(200);
    expect((await api('post', '/v1/journeys/spring/publish', {}).expect(200)).body.version).toBe(2);
    const before = (await api('get', '/v1/reports/journeys/spring').query(around).expect(200)).body;
    const waiting = before.now.steps.find((s: { version: number; stepId: string }) => s.version === 1 && s.stepId === 'browse').customers as number;
    expect(waiting).toBeGreaterThan(0);

    await page.goto(`${base}/console/journeys/spring`);
    await page.waitForSelector('[data-step="look"]');
    timings.migrate = await timed(() => page.click('button[data-action="migrate"]'), '[data-testid="migrate"] [data-step="browse"] .step-now-n');
    expect(await page.$eval('button[data-action="migrate"]', (b) => b.getAttribute('aria-expanded'))).toBe('true');
    // The two versions side by side, customers now on the source's steps.
    expect(await page.$$eval('[data-testid="migrate"] [data-testid="journey-graph"]', (g) => g.map((x) => x.getAttribute('aria-label')))).toEqual(['Source: v1', 'Target: v2']);
    await waitText('[data-testid="migrate"] [data-step="browse"] .step-now-n', String(waiting));
    expect(await page.$$eval('[data-testid="step-map"] tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-step-map')))).toEqual(['hello', 'ab', 'nudge', 'browse', 'big', 'vip']);
    // Each step goes to the step of the same id, where v2 has one; browse has none.
    const mapped = () => page.$$eval('[data-testid="step-map"] select', (ss) => Object.fromEntries(ss.map((s) => [(s as HTMLSelectElement).name, (s as HTMLSelectElement).value])));
    expect(await mapped()).toEqual({ 'steps.hello': 'hello', 'steps.ab': 'ab', 'steps.nudge': 'nudge', 'steps.browse': '', 'steps.big': 'big', 'steps.vip': 'vip' });
    expect(await text('[data-step-map="browse"]')).toContain(String(waiting));
    expect(await unlabelled('[data-testid="migrate"]')).toEqual([]);

    // Nothing mapped: the API's refusal is shown by the field it names.
    for (const step of ['hello', 'ab', 'nudge', 'big', 'vip']) await page.select(`select[name="steps.${step}"]`, '');
    await page.click('[data-testid="migrate"] form button[type="submit"]');
    await page.waitForSelector('dialog[open]');
    expect(await text('dialog')).toContain('No step is mapped');
    await page.click('dialog button[type="submit"]');
    await waitText('[data-testid="migrate-refused"]', 'steps');
    expect(await text('[data-testid="migrate-refused"]')).toContain('map at least one old step');

    // browse → look, chosen by keyboard; the rest as they were.
    for (const step of ['hello', 'ab', 'nudge', 'big', 'vip']) await page.select(`select[name="steps.${step}"]`, step);
    await page.focus('select[name="steps.browse"]');
    await page.keyboard.press('End');
    // (The target's steps in its order: hello, ab, nudge, big, vip, done, look.)
    expect((await mapped())['steps.browse']).toBe('look');
    await tab.screenshot('journey-migrate-1280-en');
    await page.click('[data-testid="migrate"] form button[type="submit"]');
    await page.waitForSelector('dialog[open]');
    expect(await text('dialog h2')).toBe('Move the customers of "Spring launch" from v1 to v2?');
    expect(await text('[data-testid="migrate-moves"]')).toContain(`browse → look (${waiting} here now)`);
    await page.click('dialog button[type="submit"]');
    await waitText('[data-testid="migrate-answer"]', `${waiting} customer(s) signalled to move from v1 to v2`);

    // The API now has each of them on version 2 at look (their workflows, as the customer's page reads them).
    const moved = await eventually(async () => {
      const views = await Promise.all(Array.from({ length: customers }, async (_, i) => (await api('get', `/v1/customers?userId=spring-${i}`).expect(200)).body as { customerId: string; journeys: { journeyId: string; version: number; stepId: string }[] }));
      const inSpring = views.flatMap((v) => v.journeys.filter((j) => j.journeyId === 'spring').map((j) => ({ ...j, customerId: v.customerId })));
      return inSpring.length === waiting && inSpring.every((j) => j.version === 2 && j.stepId === 'look') ? inSpring : undefined;
    }, 30_000, 300);
    // (The journey report's `now` reads each place as the workflow last stored it with the profile; a
    // migration alone stores nothing, so it shows the move only after the customer's next write.)
    await page.goto(`${base}/console/customers/${moved[0]!.customerId}`);
    await page.waitForSelector('[data-testid="customer-journeys"] tbody tr');
    const row = await page.$$eval('[data-testid="customer-journeys"] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => (c as HTMLElement).innerText.trim())));
    expect(row[0]?.slice(0, 3)).toEqual(['spring', 'v2', 'look']);
    await page.click('[data-testid="customer-journeys"] a[href="/console/journeys/spring"]');
    await page.waitForSelector('[data-step="look"]');
  });

  it('runs a backtest from the journey\'s page, follows its progress and draws its result on the graph', async () => {
    await page.click('button[data-action="backtest"]');
    await page.waitForSelector('[data-testid="backtest-form"] input[name="from"]');
    expect(await text('#backtest-h')).toBe('Backtest v2 on recorded events');
    expect(await unlabelled('[data-testid="backtest-form"]')).toEqual([]);
    const started = page.waitForResponse((r) => r.url().endsWith('/v1/journeys/spring/backtest') && r.status() === 202);
    await page.click('[data-testid="backtest-form"] button[type="submit"]');
    const id = ((await (await started).json()) as { id: string }).id;
    await page.waitForSelector('[data-testid="backtest-progress"]');
    expect(page.url()).toBe(`${base}/console/journeys/spring?backtest=${id}`);
    await waitText('[data-testid="backtest-progress"]', 'Completed');
    expect(await text('[data-testid="backtest-progress"]')).toMatch(new RegExp(`${customers} of ${customers} customers simulated`));
    const run = (await api('get', `/v1/journeys/spring/backtests/${id}`).expect(200)).body;
    expect(run).toMatchObject({ status: 'completed', request: { version: 2 } });
    const reached = Object.fromEntries((run.result.funnel as { stepId: string; reached: number }[]).map((f) => [f.stepId, f.reached]));
    expect(reached.hello).toBe(customers);
    // The funnel on the graph's nodes is the API's.
    await waitText('[data-step="hello"] .step-sim-n', String(reached.hello));
    for (const step of ['ab', 'look', 'done']) expect(Number(await text(`[data-step="${step}"] .step-sim-n`)), step).toBe(reached[step] ?? 0);
    expect(Number(await text('[data-step="hello"] .step-sim-sends'))).toBe(run.result.sends.byTemplate['spring-hello']);
    const arms = await page.$$eval('[data-step="ab"] .step-sim-variant', (els) => els.map((e) => e.getAttribute('data-variant')));
    expect(arms.sort()).toEqual(['A', 'B', 'holdout']);
    expect(await page.$eval('.react-flow__node[data-id="hello"]', (el) => el.getAttribute('aria-label'))).toContain(`Backtest: ${reached.hello} reached`);
    // The summary beside it.
    expect(await text('[data-testid="bt-sampled"]')).toBe(String(run.result.customers.sampled));
    expect(await text('[data-testid="bt-entered"]')).toBe(String(run.result.customers.entered));
    expect(await text('[data-testid="bt-conversions"]')).toBe(String(run.result.conversions.count));
    expect(await text('[data-testid="bt-engagement"]')).toContain(run.result.engagement.note);
    expect(await page.$$eval('[data-testid="bt-variants"] tbody tr', (trs) => trs.length)).toBe(run.result.variants.length);
    await tab.screenshot('journey-backtest-1280-en');
    // A reload reads the same run again from the address; closing it takes it off the graph.
    await page.reload();
    await waitText('[data-step="hello"] .step-sim-n', String(reached.hello));
    expect(await page.$eval('button[data-action="backtest"]', (b) => b.getAttribute('aria-expanded'))).toBe('true');
    await page.click('button[data-action="backtest"]');
    await page.waitForFunction(() => !document.querySelector('.step-sim'), { timeout: 15_000 });
    expect(page.url()).toBe(`${base}/console/journeys/spring`);
  });

  it('back in Chinese, works at a tablet width', async () => {
    await page.goto(`${base}/console/reports`);
    await page.waitForSelector('[data-testid="stages-chart"] canvas');
    await page.select('.lang select', 'zh-CN');
    await waitText('main h1', '报表');
    await page.setViewport({ width: 768, height: 1024 });
    await page.waitForSelector('[data-testid="stages-chart"] canvas');
    // Nothing wider than the window but the tables, which scroll inside their own box.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(768);
    await tab.screenshot('reports-768-zh');
    await page.goto(`${base}/console/journeys/spring`);
    await page.waitForSelector('[data-step="hello"] .step-count');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(768);
    await tab.screenshot('journey-768-zh');
    // Durations in the chosen language: the goal's window and the wait's timeout on its edge.
    expect(await text('main')).toContain('30 天内转化');
    expect(await page.$$eval('.react-flow__edge-text', (els) => els.map((e) => e.textContent))).toContain('超时 5 天');
    // The migration's two graphs and the backtest's form fit too.
    await page.click('button[data-action="migrate"]');
    await page.waitForSelector('[data-testid="migrate"] [data-step="browse"] .step-now-n');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(768);
    await tab.screenshot('journey-migrate-768-zh');
    await page.click('button[data-action="migrate"]');
    await page.click('button[data-action="backtest"]');
    await page.waitForSelector('[data-testid="backtest-form"] input[name="from"]');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(768);
    await tab.screenshot('journey-backtest-768-zh');
    await page.goto(`${base}/console/customers`);
    await page.waitForSelector('form[role="search"]');
    await tab.screenshot('customers-768-zh');
    await page.goto(`${base}/console/segments/spring-buyers`);
    await waitText('[data-testid="preview-count"]', /^2$/);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(768);
    await tab.screenshot('segment-768-zh');
    await page.goto(`${base}/console/campaigns`);
    await page.waitForSelector('[data-testid="campaign-list"] tr[data-campaign="spring-now"]');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(768);
    await tab.screenshot('campaigns-768-zh');
  });

  it('had no console error nor failed request but the refusals it asked for', () => {
    const expected = [
      { status: 403, path: '/v1/journeys' }, // the write key's sign-in
      { status: 400, path: '/v1/journeys/broken/publish' }, // the broken draft
      { status: 400, path: '/v1/campaigns' }, // the campaign scheduled more often than hourly
      { status: 400, path: '/v1/journeys/spring/migrate' }, // the migration with no step mapped
    ];
    // The segment editor asks the API about each rule as it is typed: the window over 90 days is
    // refused (and a rule caught half-typed may be, each naming its field). Nothing else may fail.
    const checks = '/v1/segments/preview';
    const isExpected = (url = '') => [...expected.map((e) => e.path), checks].includes(new URL(url).pathname);
    const responses = tab.problems.filter((p) => p.kind === 'response').map((p) => ({ status: p.status, path: new URL(p.url!).pathname }));
    expect(responses.filter((r) => r.path !== checks)).toEqual(expected);
    expect(responses.filter((r) => r.path === checks).length).toBeGreaterThanOrEqual(1);
    expect(responses.filter((r) => r.path === checks).every((r) => r.status === 400)).toBe(true);
    // Chromium logs each refused request as "Failed to load resource"; nothing else may be logged.
    expect(tab.problems.filter((p) => p.kind !== 'response' && !(p.kind === 'console' && /Failed to load resource/.test(p.text) && isExpected(p.url)))).toEqual([]);
    console.log(`console pages interactive (ms): ${JSON.stringify(timings)}`);
    // For `npm run bench:console`: the figures, when and on how loaded a machine they were measured.
    mkdirSync(path.dirname(consoleTimingsFile), { recursive: true });
    writeFileSync(consoleTimingsFile, `${JSON.stringify({ measuredAt: new Date().toISOString(), loadAverage: loadavg(), cpus: cpus().length, targetMs: 1000, failOverMs: 5000, pages: timings }, null, 2)}\n`);
    // The target is < 1 s on demo data; on a shared two-core machine a page may take longer,
    // so the test fails only on a page that is plainly broken (over 5 s), and prints every figure.
    for (const [pageName, ms] of Object.entries(timings)) expect(ms, pageName).toBeLessThan(5_000);
  });
});
