// Streams rows as CSV (csv-stringify) with backpressure: a row is read from MongoDB only when the
// client has taken the ones before. The first row is read before the headers are sent, so a
// database that cannot answer still gets the JSON error; a failure later cuts the response short.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import { stringify } from 'csv-stringify';
import type { Logger } from 'pino';
import type { Cell } from './rows.js';

/**
 * A text a spreadsheet would run as a formula (`=`, `@`, a tab or return first, or `+`/`-` before
 * anything but a number or a phone number) gets a leading `'` (OWASP's CSV injection advice);
 * `+8613800138000` and `-12.5` stay as they are.
 */
export const formulaSafe = (s: string): string => (/^[=@\t\r]/.test(s) || (/^[+-]/.test(s) && !/^[+-][\d\s().-]*$/.test(s)) ? `'${s}` : s);

const cast = {
  string: formulaSafe,
  date: (d: Date) => d.toISOString(),
  boolean: (b: boolean) => (b ? 'true' : 'false'),
  object: (o: object) => JSON.stringify(o),
};

export async function sendCsv(res: Response, filename: string, columns: string[], rows: AsyncIterable<Cell[]>, logger: Logger): Promise<void> {
  const iterator = rows[Symbol.asyncIterator]();
  const first = await iterator.next();
  async function* all(): AsyncGenerator<Cell[]> {
    if (first.done) return;
    yield first.value;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  res.status(200).set({ 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${filename}"`, 'Cache-Control': 'no-store' });
  try {
    await pipeline(Readable.from(all()), stringify({ header: true, columns, cast, record_delimiter: 'windows' }), res);
  } catch (err) {
    // The client went away, or the database failed part-way: the cut answer is not mistaken for a whole file.
    if ((err as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') logger.warn({ err, filename }, 'export cut short');
    res.destroy();
  } finally {
    await iterator.return?.(undefined);
  }
}
