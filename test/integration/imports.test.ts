// CSV imports on the real servers: a file of customers and one of events imported end to end
// through the API's ingestion path (profiles, identities, merges and counters as GET
// /v1/customers shows them), bad rows reported by line and column (the import refused whole, or
// the good rows applied with skipInvalid), the same file again applying nothing twice, refused
// uploads leaving nothing behind, a cancel, and a worker killed mid-import resuming with each row
// applied once.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { temporal } from '@temporalio/proto';
import { importProgressQuery } from '../../workflows/import-contract.js';
import { rowMessageId } from '../../activities/imports/rows.js';
import { adminKey, eventually, startStack, workerProcessEnv, writeKey, type Stack } from '../setup/stack.js';
import { killWorkerProcesses, startWorkerProcess } from '../setup/worker-process.js';

const dirs: string[] = [];
const stacks: Stack[] = [];
let stack: Stack;
let importDir: string;

async function world(env: Record<string, string>, worker = true): Promise<{ stack: Stack; dir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'closedloop-imports-'));
  dirs.push(dir);
  const s = await startStack({ worker, env: { IMPORT_DIR: dir, ...env } });
  stacks.push(s);
  return { stack: s, dir };
}

beforeAll(async () => {
  ({ stack, dir: importDir } = await world({ IMPORT_MAX_BYTES: String(64 * 1024), IMPORT_RATE_PER_SECOND: '2000' }));
});
afterAll(async () => {
  await killWorkerProcesses();
  await Promise.allSettled(stacks.map((s) => s.stop()));
  await Promise.allSettled(dirs.map((d) => rm(d, { recursive: true, force: true })));
}, 60_000);

const csv = (...lines: string[]) => `${lines.join('\r\n')}\r\n`;
const upload = (s: Stack, body: string | Buffer, query: string, type = 'text/csv') =>
  request(s.app).post(`/v1/imports?${query}`).auth(adminKey, '').set('Content-Type', type).send(body);
const get = (s: Stack, p: string) => request(s.app).get(p).auth(adminKey, '');

type View = { id: string; status: string; progress: Record<string, number>; workflowId: string; reason?: string };
const finished = async (s: Stack, id: string, timeoutMs = 30_000): Promise<View> =>
  eventually(async () => {
    const res = await get(s, `/v1/imports/${id}`);
    return ['completed', 'rejected', 'cancelled', 'failed'].includes(res.body.status) ? res.body as View : undefined;
  }, timeoutMs, 200);

const customerOf = async (s: Stack, query: string): Promise<string | undefined> => {
  const res = await get(s, `/v1/customers?${query}`);
  return res.status === 200 ? res.body.customerId : undefined;
};
type Profile = Record<string, any>;
const profileWhen = (s: Stack, query: string, ok: (p: Profile) => boolean, timeoutMs = 20_000) =>
  eventually(async () => {
    const id = await customerOf(s, query);
    if (!id) return undefined;
    const res = await get(s, `/v1/customers/${id}`);
    return res.status === 200 && res.body.profile && ok(res.body.profile) ? { id, ...res.body } as Profile : undefined;
  }, timeoutMs, 200);

describe('importing customers', () => {
  it('creates a customer per row with identities and traits; Chinese text and quoted commas, quotes and line breaks survive', async () => {
    const file = '\uFEFF' + csv(
      'userId,email,phone,name,city,note,traits',
      'imp-c1,Ada@Example.com,13800138000,"Lovelace, Ada",北京,"line one',
      'line two",',
      'imp-c2,,+86 139 0013 9000,王小明,上海,"He said ""你好"", then left","{""points"":12,""vip"":true}"',
      '',
      ',,,,,,',
      'imp-c3,c3@example.com,,Zoë,,,',
    );
    const res = await upload(stack, file, 'kind=customers').expect(202);
    expect(res.body).toMatchObject({ kind: 'customers', status: 'validating', skipInvalid: false, columns: ['userId', 'email', 'phone', 'name', 'city', 'note', 'traits'] });
    expect(res.body.workflowId).toBe(`import-${res.body.id}`);
    const done = await finished(stack, res.body.id);
    expect(done).toMatchObject({ status: 'completed', progress: { read: 3, valid: 3, invalid: 0, applied: 3, rejected: 0 } });

    const ada = await profileWhen(stack, 'userId=imp-c1', (p) => p.traits?.name !== undefined);
    expect(ada.profile.traits).toMatchObject({ name: 'Lovelace, Ada', city: '北京', note: 'line one\r\nline two' });
    expect(ada.identities).toEqual(expect.arrayContaining([{ type: 'email', value: 'ada@example.com' }, { type: 'phone', value: '+8613800138000' }]));
    const ming = await profileWhen(stack, 'phone=13900139000', (p) => p.traits?.name !== undefined);
    expect(ming.profile.traits).toMatchObject({ name: '王小明', city: '上海', note: 'He said "你好", then left', points: 12, vip: true });
    expect(await customerOf(stack, 'email=c3@example.com')).toBe(await customerOf(stack, 'userId=imp-c3'));

    // The workflow answers its progress, and the Temporal UI shows it on the details line.
    const handle = stack.temporal.workflow.getHandle(done.workflowId);
    expect(await handle.query(importProgressQuery)).toMatchObject({ status: 'completed', read: 3, applied: 3 });
    const metadata = await handle.query<temporal.api.sdk.v1.IWorkflowMetadata>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toBe('completed: 3 of 3 valid rows applied');
    // The upload is deleted once imported.
    expect(await readdir(importDir)).toEqual([]);
    const list = await get(stack, '/v1/imports?limit=50').expect(200);
    expect(list.body.imports.map((i: View) => i.id)).toContain(res.body.id);
  });

  it('merges customers whose rows share an identity, as the API does', async () => {
    const res = await upload(stack, csv('userId,phone,email', 'imp-m1,13700137000,', ',,m2@example.com', 'imp-m3,13700137000,m2@example.com'), 'kind=customers').expect(202);
    expect((await finished(stack, res.body.id)).status).toBe('completed');
    const survivor = await eventually(async () => {
      const ids = await Promise.all(['userId=imp-m1', 'email=m2@example.com', 'userId=imp-m3'].map((q) => customerOf(stack, q)));
      return ids.every((id) => id === ids[0]) ? ids[0] : undefined;
    });
    expect(survivor).toBeDefined();
  });
});

describe('importing events', () => {
  it('applies track and identify rows with their properties to the customers\' lifecycle', async () => {
    const file = csv(
      'type,userId,event,timestamp,messageId,properties.total,properties,traits.email',
      'identify,imp-e1,,2025-03-01T08:00:00Z,,,,e1@example.com',
      ',imp-e1,Order Completed,2025-03-02T08:00:00Z,order-1,120,"{""sku"":""oil"",""qty"":2}",',
      'track,imp-e1,Order Completed,2025-03-05T08:00:00Z,order-2,80,,',
      'track,imp-e1,Product Viewed,2025-03-06T08:00:00Z,,,"{""sku"":""面霜""}",',
    );
    const res = await upload(stack, file, 'kind=events').expect(202);
    expect(await finished(stack, res.body.id)).toMatchObject({ status: 'completed', progress: { read: 4, valid: 4, applied: 4 } });
    const view = await profileWhen(stack, 'userId=imp-e1', (p) => p.counters?.events === 4);
    expect(view.profile.counters).toMatchObject({ orders: 2, spend: 200 });
    expect(view.identities).toEqual(expect.arrayContaining([{ type: 'email', value: 'e1@example.com' }]));
    const timeline = await get(stack, `/v1/customers/${view.id}/timeline?limit=10`).expect(200);
    const ids = timeline.body.items.map((e: { messageId: string }) => e.messageId).sort();
    // Rows without a messageId get one from the file's hash and their line.
    expect(ids).toEqual(['order-1', 'order-2', rowMessageId(res.body.file.sha256, 2), rowMessageId(res.body.file.sha256, 5)].sort());
    const viewed = timeline.body.items.find((e: { name?: string }) => e.name === 'Product Viewed');
    expect(viewed.properties).toEqual({ sku: '面霜' });
  });

  it('applies nothing twice when the same file is imported again', async () => {
    const file = csv(
      'userId,event,properties.total,timestamp',
      'imp-r1,Order Completed,50,2025-04-01T00:00:00Z',
      'imp-r1,Order Completed,70,2025-04-02T00:00:00Z',
      'imp-r2,Signed Up,,2025-04-03T00:00:00Z',
    );
    const first = await upload(stack, file, 'kind=events').expect(202);
    expect((await finished(stack, first.body.id)).status).toBe('completed');
    const before = await profileWhen(stack, 'userId=imp-r1', (p) => p.counters?.events === 2);
    expect(before.profile.counters).toMatchObject({ orders: 2, spend: 120 });
    const eventsBefore = await stack.db.models.events.countDocuments();

    const again = await upload(stack, file, 'kind=events').expect(202);
    expect(again.body.id).not.toBe(first.body.id);
    expect(again.body.file.sha256).toBe(first.body.file.sha256);
    expect(await finished(stack, again.body.id)).toMatchObject({ status: 'completed', progress: { applied: 3 } });
    // An event sent after the import reaches the workflow after the import's: once it is counted, the repeats were dropped.
    await request(stack.app).post('/v1/track').auth(writeKey, '').send({ userId: 'imp-r1', event: 'Page Viewed', messageId: 'after-reimport' }).expect(200);
    const after = await profileWhen(stack, 'userId=imp-r1', (p) => p.counters?.events === 3);
    expect(after.profile.counters).toMatchObject({ events: 3, orders: 2, spend: 120 });
    expect(await stack.db.models.events.countDocuments()).toBe(eventsBefore + 1);
  });
});

describe('bad rows', () => {
  // Line 2 is a valid row over two lines; 4 has a bad phone, 5 a bad timestamp, 6 a cell too many, 7 no identity at all.
  const file = csv(
    'userId,phone,timestamp,name',
    'imp-b1,13600136000,2025-01-01T00:00:00Z,"two',
    'lines"',
    'imp-b2,12345,,Bo',
    'imp-b3,,yesterday,Cy',
    'imp-b4,,,Di,extra',
    ',,,Ed',
    'imp-b5,13600136005,,Fay',
  );

  it('refuses the whole import without skipInvalid, naming each bad row\'s line and column', async () => {
    const res = await upload(stack, file, 'kind=customers').expect(202);
    const done = await finished(stack, res.body.id);
    expect(done).toMatchObject({ status: 'rejected', progress: { read: 6, valid: 2, invalid: 4, applied: 0, rejected: 6, errorsStored: 4 } });
    expect(done.reason).toMatch(/4 invalid rows/);
    const errors = await get(stack, `/v1/imports/${res.body.id}/errors?limit=2`).expect(200);
    expect(errors.body).toMatchObject({ invalid: 4, stored: 4 });
    expect(errors.body.errors).toEqual([
      { line: 4, column: 'phone', message: expect.stringMatching(/not a valid phone number/) },
      { line: 5, column: 'timestamp', message: expect.any(String) },
    ]);
    const rest = await get(stack, `/v1/imports/${res.body.id}/errors?limit=2&cursor=${errors.body.nextCursor}`).expect(200);
    expect(rest.body.errors).toEqual([
      { line: 6, column: '(row)', message: '5 cells, the header has 4' },
      { line: 7, column: '(row)', message: expect.stringMatching(/no identity/) },
    ]);
    expect(rest.body.nextCursor).toBeUndefined();
    // Nothing applied: not even the valid rows.
    await new Promise((r) => setTimeout(r, 500));
    expect(await customerOf(stack, 'userId=imp-b1')).toBeUndefined();
    expect(await customerOf(stack, 'userId=imp-b5')).toBeUndefined();
  });

  it('imports the good rows with skipInvalid, and rejects the bad ones', async () => {
    const res = await upload(stack, file, 'kind=customers&skipInvalid=true').expect(202);
    const done = await finished(stack, res.body.id);
    expect(done).toMatchObject({ status: 'completed', progress: { read: 6, valid: 2, invalid: 4, applied: 2, rejected: 4 } });
    const b1 = await profileWhen(stack, 'userId=imp-b1', (p) => p.traits?.name !== undefined);
    expect(b1.profile.traits.name).toBe('two\r\nlines');
    await profileWhen(stack, 'userId=imp-b5', (p) => p.traits?.name === 'Fay');
    expect(await customerOf(stack, 'userId=imp-b2')).toBeUndefined();
    expect(await customerOf(stack, 'userId=imp-b3')).toBeUndefined();
  });

  it('refuses a file that stops being CSV, whatever skipInvalid says: no row after the break can be read', async () => {
    const res = await upload(stack, csv('userId,name', 'imp-s1,Ok', 'imp-s2,"never closed', 'imp-s3,Lost'), 'kind=customers&skipInvalid=true').expect(202);
    const done = await finished(stack, res.body.id);
    expect(done).toMatchObject({ status: 'rejected', progress: { applied: 0 } });
    expect(done.reason).toMatch(/^line 3: a quoted cell is never closed/);
    const errors = await get(stack, `/v1/imports/${res.body.id}/errors`).expect(200);
    expect(errors.body.errors).toEqual([{ line: 3, column: '(row)', message: expect.stringMatching(/never closed/) }]);
  });
});

describe('refused uploads', () => {
  it('answers 4xx naming the problem, and starts and keeps nothing', async () => {
    const before = (await get(stack, '/v1/imports?limit=200').expect(200)).body.imports.length;
    const refused = async (res: request.Response, status: number, code: string, field: string, message: RegExp) => {
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.details).toEqual(expect.arrayContaining([{ field, message: expect.stringMatching(message) }]));
    };
    const good = csv('userId,name', 'imp-x1,X');
    await refused(await upload(stack, good, 'kind=customers', 'application/octet-stream'), 415, 'unsupported_media_type', 'Content-Type', /text\/csv/);
    await refused(await upload(stack, good, 'kind=orders'), 400, 'invalid_request', 'kind', /customers|events/);
    await refused(await upload(stack, good, ''), 400, 'invalid_request', 'kind', /./);
    await refused(await upload(stack, good, 'kind=customers&ratePerSecond=0'), 400, 'invalid_request', 'ratePerSecond', /./);
    await refused(await upload(stack, '', 'kind=customers'), 400, 'invalid_request', '(body)', /empty/);
    await refused(await upload(stack, csv('userId,name'), 'kind=customers'), 400, 'invalid_request', '(body)', /no rows/);
    await refused(await upload(stack, csv('name,city', 'Ann,Paris'), 'kind=customers'), 400, 'invalid_request', 'columns', /no identity column/);
    await refused(await upload(stack, csv('userId,name,name', 'a,b,c'), 'kind=customers'), 400, 'invalid_request', 'columns.2', /appears twice/);
    await refused(await upload(stack, csv('userId,event,price', 'a,Bought,3'), 'kind=events'), 400, 'invalid_request', 'columns.2', /unknown column price/);
    await refused(await upload(stack, csv('event,properties.total', 'Bought,3'), 'kind=events'), 400, 'invalid_request', 'columns', /userId or anonymousId/);
    await refused(await upload(stack, csv('userId,$set', 'a,b'), 'kind=customers'), 400, 'invalid_request', 'columns.1', /\$/);
    const big = `userId,name\r\n${'imp-big,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n'.repeat(1200)}`;
    await refused(await upload(stack, big, 'kind=customers'), 413, 'payload_too_large', '(body)', /at most 65536 bytes/);
    // Without a Content-Length the limit holds on the bytes received.
    const chunked = request(stack.app).post('/v1/imports?kind=customers').auth(adminKey, '').set('Content-Type', 'text/csv');
    for (let i = 0; i < 20; i++) chunked.write(Buffer.alloc(8 * 1024, 'a'));
    await refused(await chunked, 413, 'payload_too_large', '(body)', /at most/);
    await refused(await request(stack.app).post('/v1/imports?kind=customers').auth(writeKey, '').set('Content-Type', 'text/csv').send(good), 403, 'forbidden', 'scope', /admin/);
    expect((await get(stack, '/v1/imports?limit=200').expect(200)).body.imports.length).toBe(before);
    expect(await readdir(importDir)).toEqual([]);
  });

  it('answers 404 for an unknown import and 400 for a malformed id', async () => {
    expect((await get(stack, '/v1/imports/impnothere00000').expect(404)).body.error.code).toBe('not_found');
    expect((await get(stack, '/v1/imports/..%2Fetc').expect(400)).body.error.details[0].field).toBe('id');
  });
});

describe('cancelling', () => {
  it('stops an import part way; the rows applied stay applied', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => `imp-k${i},K${i}`);
    const res = await upload(stack, csv('userId,name', ...rows), 'kind=customers&ratePerSecond=10').expect(202);
    await eventually(async () => ((await get(stack, `/v1/imports/${res.body.id}`)).body.progress.applied > 0 ? true : undefined));
    const cancelled = await request(stack.app).post(`/v1/imports/${res.body.id}/cancel`).auth(adminKey, '').expect(200);
    expect(cancelled.body.id).toBe(res.body.id);
    const done = await finished(stack, res.body.id);
    expect(done.status).toBe('cancelled');
    expect(done.progress.applied).toBeGreaterThan(0);
    expect(done.progress.applied).toBeLessThan(200);
  });
});

describe('a worker killed mid-import', () => {
  it('resumes from the page it was on, and applies each row once', { timeout: 180_000 }, async () => {
    const { stack: s, dir } = await world({}, false);
    const env = workerProcessEnv(s, { IMPORT_DIR: dir });
    // 12 customers, 25 orders each, in turns: every page reaches every customer.
    const lines = ['userId,event,messageId,properties.total'];
    for (let n = 0; n < 25; n++) for (let c = 0; c < 12; c++) lines.push(`imp-w${c},Order Completed,,${c + 1}`);
    let worker = await startWorkerProcess(env);
    const res = await upload(s, csv(...lines), 'kind=events&ratePerSecond=30').expect(202);
    await eventually(async () => {
      const p = (await get(s, `/v1/imports/${res.body.id}`)).body.progress;
      return p.applied >= 60 ? true : undefined;
    }, 60_000, 50);
    await worker.kill();
    expect((await get(s, `/v1/imports/${res.body.id}`)).body.progress.applied).toBeLessThan(300);
    worker = await startWorkerProcess(env);
    const done = await finished(s, res.body.id, 120_000);
    expect(done).toMatchObject({ status: 'completed', progress: { read: 300, applied: 300 } });
    for (let c = 0; c < 12; c++) {
      const view = await profileWhen(s, `userId=imp-w${c}`, (p) => p.counters?.orders >= 25, 60_000);
      expect(view.profile.counters).toMatchObject({ events: 25, orders: 25, spend: 25 * (c + 1) });
    }
    expect(await s.db.models.events.countDocuments()).toBe(300);
    await worker.terminate(60_000);
  });
});
