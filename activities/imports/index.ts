// The import's activities: validate a page of rows (recording the bad ones by line and column),
// apply a page of rows through identity resolution and the customers' workflows (the API's
// routing, activities/routing.ts), and record the outcome. Each page starts at the cursor
// the workflow holds and computes its progress from the workflow's figures, so a retried page
// writes the same figures and, since each row's messageId comes from the file, applies nothing twice.
import { rm } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/common';
import type { Config } from '../../config.js';
import type { EventRouting, Normalised } from '../routing.js';
import type { Models } from '../../store/models.js';
import { importErrorId, importRepository, maxStoredErrors, type ImportErrorDoc } from '../../store/imports.js';
import { finishedStatuses, type ImportPage, type ImportPageInput, type ImportProgress, type ImportStatus } from '../../workflows/import-contract.js';
import { importFile, readCsv, type CsvPage, type CsvRecord } from './csv.js';
import { rowReader, wholeRow, type RowResult } from './rows.js';
import { heartbeating } from '../heartbeat.js';

export function createImportActivities({ models, routing, config }: { models: Models; routing: EventRouting; config: Config }) {
  const repo = importRepository(models);
  const readers = new Map<string, (cells: string[], line: number) => RowResult>();

  async function readerOf(importId: string) {
    const known = readers.get(importId);
    if (known) return known;
    const doc = await repo.find(importId);
    if (!doc) throw ApplicationFailure.create({ type: 'ImportNotFound', message: `no import ${importId}`, nonRetryable: true });
    const reader = rowReader({ kind: doc.kind, columns: doc.columns, sha256: doc.file.sha256, receivedAt: doc.createdAt, identity: config.identity });
    if (readers.size > 20) readers.clear();
    readers.set(importId, reader);
    return reader;
  }

  /** Reads a page of the file; a file that is gone fails the import (the API and the worker must share IMPORT_DIR). */
  async function read(importId: string, input: ImportPageInput, onRecord: (r: CsvRecord) => void): Promise<CsvPage> {
    const file = importFile(config.imports.dir, importId);
    try {
      return await readCsv(file, input.cursor, input.rows, onRecord);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw ApplicationFailure.create({ type: 'ImportFileMissing', message: `the uploaded file ${file} is not on this worker (IMPORT_DIR must be shared with the API)`, nonRetryable: true });
    }
  }

  /** A page whose worker died is read again after the heartbeat timeout. */
  const beating = <T>(fn: () => Promise<T>): Promise<T> => heartbeating(2000, fn);

  return {
    /** Validates the page's rows; the bad ones are stored by line and column while fewer than 1,000 errors are. */
    async validateImportPage(input: ImportPageInput): Promise<ImportPage> {
      const { importId } = input;
      const check = await readerOf(importId);
      const progress: ImportProgress = { ...input.progress };
      const errors: ImportErrorDoc[] = [];
      const keep = (line: number, found: { column: string; message: string }[]) => {
        found.forEach((e, i) => {
          if (progress.errorsStored >= maxStoredErrors) return;
          errors.push({ _id: importErrorId(importId, line, i), importId, line, column: e.column, message: e.message });
          progress.errorsStored += 1;
        });
      };
      const page = await beating(() => read(importId, input, ({ cells, line }) => {
        const row = check(cells, line);
        if ('blank' in row) return;
        progress.read += 1;
        if (row.ok) { progress.valid += 1; return; }
        progress.invalid += 1;
        keep(line, row.errors);
      }));
      if (page.syntaxError) {
        progress.read += 1;
        progress.invalid += 1;
        keep(page.syntaxError.line, [{ column: wholeRow, message: page.syntaxError.message }]);
      }
      await repo.recordErrors(errors);
      await repo.progress(importId, 'validating', progress);
      return { cursor: page.cursor, progress, done: page.done, ...(page.syntaxError && { syntaxError: page.syntaxError }) };
    },

    /** Delivers the page's valid rows as the API delivers a batch: identities resolved (merging customers), one signal per customer. */
    async applyImportPage(input: ImportPageInput): Promise<ImportPage> {
      const { importId } = input;
      const check = await readerOf(importId);
      // Shown as importing from its first page on.
      if (input.progress.applied === 0) await repo.progress(importId, 'importing', input.progress);
      const items: Normalised[] = [];
      const page = await beating(async () => {
        const csv = await read(importId, input, ({ cells, line }) => {
          const row = check(cells, line);
          if (!('blank' in row) && row.ok) items.push(row.value);
        });
        if (items.length > 0) {
          const [resolved, catalogRevision] = await Promise.all([routing.resolveAll(items), routing.catalogRevision()]);
          await routing.signal(resolved, catalogRevision);
        }
        return csv;
      });
      const progress: ImportProgress = { ...input.progress, applied: input.progress.applied + items.length };
      await repo.progress(importId, 'importing', progress);
      return { cursor: page.cursor, progress, done: page.done };
    },

    /** Records how the import ended; a finished import's file is deleted. */
    async finishImport(input: { importId: string; status: ImportStatus; progress: ImportProgress; reason?: string }): Promise<void> {
      // The file first: an import shown as finished has none left behind.
      if (finishedStatuses.includes(input.status)) await rm(importFile(config.imports.dir, input.importId), { force: true });
      await repo.finish(input.importId, input.status, input.progress, input.reason);
      readers.delete(input.importId);
    },
  };
}
