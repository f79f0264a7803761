// Reading an import's CSV a page at a time from byte offsets, and its rows as Segment events.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsv, type CsvRecord } from '../../activities/imports/csv.js';
import { checkColumns, rowReader, type RowResult } from '../../activities/imports/rows.js';

const dir = mkdtempSync(path.join(tmpdir(), 'import-rows-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const identity = { defaultPhoneCountry: 'CN', extraTraits: ['member_id'] };

describe('reading a CSV from byte offsets', () => {
  const text = '\uFEFFuserId,note\r\nu1,"a\r\nb"\r\n\r\nu2,"逗号, ""引号"""\r\nu3,"x\ny\rz"\r\nu4,end';
  const file = path.join(dir, 'a.csv');
  writeFileSync(file, text);

  it('gives each record the line it begins on, the same whether read at once or a record a page', async () => {
    const whole: CsvRecord[] = [];
    await readCsv(file, { offset: 0, line: 0 }, 100, (r) => whole.push(r));
    expect(whole.map((r) => [r.line, r.cells])).toEqual([
      [1, ['userId', 'note']], [2, ['u1', 'a\r\nb']], [5, ['u2', '逗号, "引号"']], [6, ['u3', 'x\ny\rz']], [9, ['u4', 'end']],
    ]);
    const paged: CsvRecord[] = [];
    let cursor = { offset: 0, line: 0 };
    for (let pages = 0; pages < 10; pages++) {
      const page = await readCsv(file, cursor, 1, (r) => paged.push(r));
      cursor = page.cursor;
      if (page.done) break;
    }
    expect(paged).toEqual(whole);
    expect(cursor.offset).toBe(Buffer.byteLength(text));
  });

  it('stops at a quote never closed, naming the line its row begins on', async () => {
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, 'userId\nu1\n"u2\nu3\n');
    const page = await readCsv(bad, { offset: 0, line: 0 }, 100, () => undefined);
    expect(page).toMatchObject({ done: true, syntaxError: { line: 3, message: expect.stringMatching(/never closed/) } });
  });
});

describe('rows as events', () => {
  const errorsOf = (r: RowResult) => ('ok' in r && !r.ok ? r.errors : []);

  it('names the column of every problem, as the header names it', () => {
    const columns = ['type', 'userId', 'event', 'properties.total', 'traits.phone', 'properties'];
    expect(checkColumns('events', columns, identity)).toEqual([]);
    const read = rowReader({ kind: 'events', columns, sha256: 'f'.repeat(64), receivedAt: new Date(0), identity });
    expect(errorsOf(read(['track', 'u1', '', '3', '', ''], 2))).toEqual([{ column: 'event', message: expect.any(String) }]);
    expect(errorsOf(read(['track', 'u1', 'Bought', '3', '123', ''], 3))).toEqual([{ column: 'traits.phone', message: expect.stringMatching(/phone/) }]);
    expect(errorsOf(read(['buy', 'u1', 'Bought', '', '', ''], 4))).toEqual([{ column: 'type', message: expect.any(String) }]);
    expect(errorsOf(read(['', 'u1', 'Bought', '', '', '[1]'], 5))).toEqual([{ column: 'properties', message: 'expected a JSON object' }]);
    expect(errorsOf(read(['', 'u1', 'Bought', '', '', '{"$x":1}'], 6))).toEqual([{ column: 'properties', message: expect.stringMatching(/\$/) }]);
  });

  it('makes a row without messageId an event with an id from the file and its line, traits of a track in its context', () => {
    const read = rowReader({ kind: 'events', columns: ['userId', 'event', 'traits.phone', 'properties', 'properties.total'], sha256: 'ab'.repeat(32), receivedAt: new Date('2025-01-01T00:00:00Z'), identity });
    const row = read(['u1', 'Order Completed', '13800138000', '{"total":1,"sku":"a"}', '99'], 7);
    expect(row).toMatchObject({
      ok: true,
      value: {
        event: { messageId: `imp-${'ab'.repeat(16)}-7`, kind: 'track', name: 'Order Completed', properties: { total: '99', sku: 'a' }, timestamp: '2025-01-01T00:00:00.000Z' },
        identities: [{ type: 'userId', value: 'u1' }, { type: 'phone', value: '+8613800138000' }],
      },
    });
  });

  it('takes a customer named by a configured identity trait alone, and refuses a row with none', () => {
    expect(checkColumns('customers', ['name'], identity)).toEqual([{ field: 'columns', message: expect.stringMatching(/no identity column/) }]);
    const read = rowReader({ kind: 'customers', columns: ['member_id', 'name', 'type'], sha256: '0'.repeat(64), receivedAt: new Date(0), identity });
    expect(read(['m-1', 'Ann', 'vip'], 2)).toMatchObject({ ok: true, value: { event: { kind: 'identify', traits: { member_id: 'm-1', name: 'Ann', type: 'vip' } }, identities: [{ type: 'member_id', value: 'm-1' }] } });
    expect(errorsOf(read(['', 'Bo', ''], 3))).toEqual([{ column: '(row)', message: expect.stringMatching(/no identity/) }]);
    expect(read([' ', '', ''], 4)).toEqual({ blank: true });
  });
});
