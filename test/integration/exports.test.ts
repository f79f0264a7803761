// CSV exports on the real servers: a segment's members, the messages and the conversions of a
// range, several thousand rows each, streamed; every value comes back exactly (commas, quotes,
// line breaks, Chinese), and bad parameters are the usual JSON 400 before any CSV.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { CustomerDoc } from '../../store/models.js';
import type { MessageDoc } from '../../store/messages.js';
import type { ConversionDoc } from '../../store/analytics.js';
import { attributionModels } from '../../workflows/attribution/types.js';
import { adminKey, startStack, writeKey, type Stack } from '../setup/stack.js';

let stack: Stack;
const members = 3200;
const day = Date.UTC(2026, 2, 1);
const H = 3_600_000;

/** Text that CSV must quote: a comma, a quote, line breaks, Chinese. */
const awkward = (i: number): string => [`上海, "浦东" ${i}`, `line one\r\nline two ${i}`, `plain ${i}`, `=SUM(A1) 会员 ${i}`][i % 4]!;

beforeAll(async () => {
  stack = await startStack({ worker: false });
  const { customers, identities, messages, conversions } = stack.db.models;
  const now = new Date();
  const profiles: CustomerDoc[] = Array.from({ length: members + 100 }, (_, i) => ({
    _id: `c${String(i).padStart(5, '0')}`, stage: i % 2 ? 'customer' : 'loyal', ...(i % 3 !== 0 && { tier: 'gold' }), points: i, tags: i < members ? ['export'] : [],
    counters: { events: 1, orders: 1, spend: 10 }, followed: false, registered: true, consent: {}, recentMessageIds: [], mergedFrom: [], revision: 1, updatedAt: now,
    scores: { r: 1 + (i % 5), f: 2, m: 3, rfm: `${1 + (i % 5)}23`, value: 3, attrition: 0, potential: 4 },
    traits: { city: awkward(i), sizes: [38, 40], vip: i % 2 === 0, ...(i % 5 !== 0 && { 会员等级: '金卡' }) },
  }));
  // One merged away: never a member.
  profiles[1]!.mergedInto = 'c00000';
  await customers.insertMany(profiles);
  await identities.insertMany(profiles.flatMap((p, i) => [
    { _id: `email:${p._id}@example.com`, type: 'email', customerId: p._id, createdAt: now },
    ...(i % 2 === 0 ? [{ _id: `phone:+86138${String(i).padStart(8, '0')}`, type: 'phone', customerId: p._id, createdAt: now }] : []),
  ]));
  await messages.insertMany(Array.from({ length: 3000 }, (_, i): MessageDoc => ({
    _id: `m${String(i).padStart(5, '0')}`, customerId: `c${String(i % members).padStart(5, '0')}`, channel: i % 2 ? 'email' : 'sms', template: `促销, "春季" ${i % 3}`,
    priority: 'marketing', status: 'sent', links: ['https://shop.example.com/secret-link'], attempts: 1, attemptsEnded: 0, to: 'someone@example.com',
    variables: { profile: { traits: { name: 'Ana' } } }, createdAt: new Date(day - 12 * H + i * 60_000), sentAt: new Date(day - 12 * H + i * 60_000 + 500), updatedAt: now,
  })));
  await conversions.insertMany(Array.from({ length: 1200 }, (_, i): ConversionDoc => {
    const at = new Date(day + i * 60_000);
    const touches = i % 4 === 3 ? [] : [
      { at: new Date(at.getTime() - 2 * H), kind: 'sent' as const, channel: 'email', journeyId: 'welcome', stepId: 'hello', messageKey: 'k1' },
      { at: new Date(at.getTime() - H), kind: 'inbound' as const, channel: 'cpc', source: 'google', medium: 'cpc', campaign: '双11, "大促"' },
    ];
    return {
      _id: `c${String(i).padStart(5, '0')}:order-${i}`, customerId: `c${String(i).padStart(5, '0')}`, event: 'Order Completed', revenue: 100.5, at, touches,
      credits: touches.length === 0 ? [] : attributionModels.flatMap((model) => [
        { model, touch: 0, channel: 'email', journeyId: 'welcome', amount: 60.25 },
        { model, touch: 1, channel: 'cpc', amount: 40.25 },
      ]),
    };
  }));
  await request(stack.app).post('/v1/segments').auth(adminKey, '').send({ id: 'exported', name: 'Exported', rule: { type: 'profile', field: 'tags', op: 'contains', value: 'export' } }).expect(201);
}, 120_000);
afterAll(async () => { await stack?.stop(); });

/** RFC 4180: fields split by commas, rows by CRLF, quoted fields may hold both and doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; } else field += c;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

const csvOf = async (path: string) => {
  const res = await request(stack.app).get(path).auth(adminKey, '').expect(200);
  expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
  expect(res.headers['content-disposition']).toMatch(/^attachment; filename="[\w.-]+\.csv"$/);
  // Streamed: no length known ahead.
  expect(res.headers['content-length']).toBeUndefined();
  const [header, ...rows] = parseCsv(res.text);
  for (const r of rows) expect(r).toHaveLength(header!.length);
  return { header: header!, rows, records: rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]]))) };
};

describe('CSV exports', () => {
  it('exports a segment\'s members by id: identities, stage, tier, scores and the traits asked for, every value exact', async () => {
    const { header, records } = await csvOf(`/v1/segments/exported/export.csv?traits=${encodeURIComponent('city,会员等级,sizes,vip,missing')}`);
    expect(header).toEqual([
      'customerId', 'identities', 'stage', 'tier', 'scores.r', 'scores.f', 'scores.m', 'scores.rfm', 'scores.value', 'scores.attrition', 'scores.potential',
      'traits.city', 'traits.会员等级', 'traits.sizes', 'traits.vip', 'traits.missing',
    ]);
    expect(records).toHaveLength(members - 1);
    expect(records.map((r) => r.customerId)).toEqual(Array.from({ length: members }, (_, i) => `c${String(i).padStart(5, '0')}`).filter((id) => id !== 'c00001'));
    for (const r of records) {
      const i = Number(r.customerId!.slice(1));
      expect(r).toEqual({
        customerId: r.customerId, identities: i % 2 === 0 ? `email:${r.customerId}@example.com;phone:+86138${String(i).padStart(8, '0')}` : `email:${r.customerId}@example.com`,
        stage: i % 2 ? 'customer' : 'loyal', tier: i % 3 !== 0 ? 'gold' : '',
        'scores.r': String(1 + (i % 5)), 'scores.f': '2', 'scores.m': '3', 'scores.rfm': `${1 + (i % 5)}23`, 'scores.value': '3', 'scores.attrition': '0', 'scores.potential': '4',
        'traits.city': i % 4 === 3 ? `'${awkward(i)}` : awkward(i), 'traits.会员等级': i % 5 !== 0 ? '金卡' : '', 'traits.sizes': '[38,40]', 'traits.vip': i % 2 === 0 ? 'true' : 'false', 'traits.missing': '',
      });
    }
  });

  it('exports the messages of a range, oldest first, without addresses, personalisation or links', async () => {
    const from = new Date(day - 6 * H).toISOString();
    const to = new Date(day + 12 * H).toISOString();
    const { header, records, rows } = await csvOf(`/v1/messages/export.csv?from=${from}&to=${to}`);
    expect(header.slice(0, 6)).toEqual(['messageId', 'customerId', 'channel', 'template', 'priority', 'status']);
    // Minutes 360 to 1439 of the 3,000 are inside.
    expect(records.map((r) => r.messageId)).toEqual(Array.from({ length: 1080 }, (_, i) => `m${String(i + 360).padStart(5, '0')}`));
    expect(records[0]).toMatchObject({ customerId: 'c00360', channel: 'sms', template: '促销, "春季" 0', status: 'sent', createdAt: from, sentAt: new Date(Date.parse(from) + 500).toISOString(), deliveredAt: '' });
    const text = rows.flat().join('|');
    for (const personal of ['someone@example.com', 'Ana', 'secret-link']) expect(text).not.toContain(personal);

    const whole = await csvOf(`/v1/messages/export.csv?from=2026-02-01&to=2026-04-01`);
    expect(whole.records).toHaveLength(3000);
  });

  it('exports conversions with one row per credited touch, of one model or of all, and unattributed ones on a row of their own', async () => {
    const { records } = await csvOf('/v1/conversions/export.csv?from=2026-03-01&to=2026-03-02&model=linear');
    // 1,200 conversions: 900 with two linear credits, 300 without any.
    expect(records).toHaveLength(900 * 2 + 300);
    expect(records.slice(0, 2)).toEqual([
      {
        conversionId: 'c00000:order-0', customerId: 'c00000', event: 'Order Completed', revenue: '100.5', at: new Date(day).toISOString(), model: 'linear',
        touch: '0', touchKind: 'sent', touchAt: new Date(day - 2 * H).toISOString(), channel: 'email', journeyId: 'welcome', campaignId: '', stepId: 'hello',
        source: '', medium: '', campaign: '', amount: '60.25',
      },
      expect.objectContaining({ touch: '1', touchKind: 'inbound', channel: 'cpc', source: 'google', medium: 'cpc', campaign: '双11, "大促"', amount: '40.25' }),
    ]);
    expect(records.find((r) => r.conversionId === 'c00003:order-3')).toMatchObject({ model: 'linear', touch: '', channel: '', amount: '' });
    const all = await csvOf('/v1/conversions/export.csv?from=2026-03-01&to=2026-03-02');
    expect(all.records).toHaveLength(900 * 2 * attributionModels.length + 300);
    expect(new Set(all.records.map((r) => r.model))).toEqual(new Set([...attributionModels, '']));
  });

  it('refuses bad parameters with the usual JSON error before any CSV, and keeps exports to keys with the scope', async () => {
    const cases: [string, string, number][] = [
      ['/v1/segments/Not%20An%20Id/export.csv', 'id', 400],
      [`/v1/segments/exported/export.csv?traits=${encodeURIComponent('a.b,$x')}`, 'traits', 400],
      ['/v1/segments/nobody/export.csv', '', 404],
      ['/v1/messages/export.csv?from=yesterday&to=2026-03-02', 'from', 400],
      ['/v1/messages/export.csv?from=2026-03-02&to=2026-03-01', 'to', 400],
      ['/v1/messages/export.csv', 'from', 400],
      ['/v1/conversions/export.csv?from=2026-03-01&to=2026-03-02&model=best', 'model', 400],
    ];
    for (const [path, field, status] of cases) {
      const res = await request(stack.app).get(path).auth(adminKey, '').expect(status);
      expect(res.headers['content-type'], path).toMatch(/^application\/json/);
      expect(res.body.error.code, path).toBe(status === 404 ? 'not_found' : 'invalid_request');
      if (field) expect(res.body.error.details.map((d: { field: string }) => d.field), path).toContain(field);
    }
    const forbidden = await request(stack.app).get('/v1/messages/export.csv?from=2026-03-01&to=2026-03-02').auth(writeKey, '').expect(403);
    expect(forbidden.body.error).toMatchObject({ code: 'forbidden', details: [{ field: 'scope', message: 'messages:read' }] });
  });
});
