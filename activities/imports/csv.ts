// Reads an import's CSV file from a byte offset, a record at a time (csv-parse: RFC 4180 quoting,
// quoted commas and line breaks, a UTF-8 byte-order mark), so a page of a 1 GB file costs the
// page's rows in memory and a resumed import starts where the last page ended.
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { parse, type CsvError } from 'csv-parse';
import type { ImportCursor } from '../../workflows/import-contract.js';

/** Where an import's upload is kept: the API writes it, the worker reads it (both need IMPORT_DIR). */
export const importFile = (dir: string, importId: string): string => path.resolve(dir, `${importId}.csv`);

/** One record: the line it begins on (the header is line 1) and its cells. */
export interface CsvRecord { line: number; cells: string[] }

/** A row no CSV reader can read past (an unclosed quote swallows the rest of the file). */
export interface CsvSyntaxError { line: number; message: string }

export interface CsvPage {
  /** Where the record after the last one read begins. */
  cursor: ImportCursor;
  /** The file ended (or a syntax error ended the reading). */
  done: boolean;
  syntaxError?: CsvSyntaxError;
}

/** Line breaks inside a record's quoted cells (CRLF, LF or CR: one each). */
function lineBreaks(cells: string[]): number {
  let n = 0;
  for (const cell of cells) {
    if (!cell.includes('\n') && !cell.includes('\r')) continue;
    for (let i = 0; i < cell.length; i++) {
      const c = cell.charCodeAt(i);
      if (c === 10 || (c === 13 && cell.charCodeAt(i + 1) !== 10)) n += 1;
    }
  }
  return n;
}

/** A record (a row) may be at most this large: an event is at most 32 KB, and memory stays bounded by it. */
export const maxRecordBytes = 256 * 1024;

const syntaxMessages: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted cell is never closed (a " is missing)',
  CSV_INVALID_CLOSING_QUOTE: 'a quoted cell goes on after its closing quote (a " inside a quoted cell is written "")',
  INVALID_OPENING_QUOTE: 'a quote inside an unquoted cell (quote the cell and write the " as "")',
  CSV_MAX_RECORD_SIZE: `a row over ${maxRecordBytes} bytes`,
};

/**
 * Reads records from `from` (a record boundary: 0, or a cursor a page returned), handing each to
 * `onRecord`, until `maxRecords` were read or the file ends. Resolves with where to go on.
 */
export async function readCsv(path: string, from: ImportCursor, maxRecords: number, onRecord: (record: CsvRecord) => void): Promise<CsvPage> {
  const source = createReadStream(path, { start: from.offset, highWaterMark: 256 * 1024 });
  const parser = parse({
    bom: true, info: true, relax_column_count: true, skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n'], max_record_size: maxRecordBytes,
  });
  source.on('error', (err) => parser.destroy(err));
  source.pipe(parser);
  let read = 0;
  /** Where the next record begins, but for the empty lines skipped before it. */
  let next = from.line + 1;
  let lastEmpty = 0;
  let cursor = from;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { bytes: number; empty_lines: number } }>) {
      // Lines are counted here: csv-parse's own count takes a CRLF inside a quoted cell for two lines.
      const line = next + (info.empty_lines - lastEmpty);
      const last = line + lineBreaks(record);
      onRecord({ line, cells: record });
      next = last + 1;
      lastEmpty = info.empty_lines;
      cursor = { offset: from.offset + info.bytes, line: last };
      read += 1;
      if (read >= maxRecords) return { cursor, done: false };
    }
    return { cursor, done: true };
  } catch (err) {
    const code = (err as CsvError).code;
    if (code === undefined || (!code.startsWith('CSV_') && code !== 'INVALID_OPENING_QUOTE')) throw err;
    const message = syntaxMessages[code] ?? (err as Error).message.replace(/ at line \d+/, '');
    return { cursor, done: true, syntaxError: { line: next, message } };
  } finally {
    source.destroy();
    parser.destroy();
  }
}

/** The header (the first record) and where the rows after it begin; undefined for a file without one. */
export async function readHeader(path: string): Promise<{ columns: string[]; start: ImportCursor; syntaxError?: CsvSyntaxError } | undefined> {
  let columns: string[] | undefined;
  const page = await readCsv(path, { offset: 0, line: 0 }, 1, (r) => { columns = r.cells; });
  if (page.syntaxError) return { columns: [], start: page.cursor, syntaxError: page.syntaxError };
  return columns && { columns, start: page.cursor };
}
