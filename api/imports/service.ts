// CSV imports: the upload is streamed to IMPORT_DIR, its header checked (a bad one is refused and
// nothing is kept), then `importWorkflow` validates and imports it (workflows/import.ts).
import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import type { Request, Response } from 'express';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { z } from 'zod';
import type { Config } from '../../config.js';
import type { IdentityOptions } from '../ingest/normalize.js';
import { ApiError, invalid } from '../errors.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { ImportDoc, ImportRepository } from '../../store/imports.js';
import { importFile, readCsv, readHeader } from '../../activities/imports/csv.js';
import { checkColumns } from '../../activities/imports/rows.js';
import { startWorkflow } from '../../activities/temporal.js';
import { emptyProgress, finishedStatuses, importWorkflowId, type ImportWorkflowInput } from '../../workflows/import-contract.js';
import type { ImportErrorPage, ImportList, ImportQuery, ImportView } from './schema.js';
import { receiveUpload } from './upload.js';

export interface ImportServiceDeps {
  imports: ImportRepository;
  temporal: Client;
  taskQueue: string;
  settings: Config['imports'];
  identity: IdentityOptions;
  /** How long Temporal may take to start the workflow before the request answers 503. */
  temporalDeadlineMs: number;
}

/** Time-ordered and safe as a file name. */
const newImportId = (): string => `imp${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;

export function toView(doc: ImportDoc): z.input<typeof ImportView> {
  return {
    id: doc._id, kind: doc.kind, status: doc.status, skipInvalid: doc.skipInvalid, ratePerSecond: doc.ratePerSecond, columns: doc.columns,
    file: doc.file, progress: doc.progress, ...(doc.reason !== undefined && { reason: doc.reason }), workflowId: importWorkflowId(doc._id),
    createdAt: doc.createdAt.toISOString(), updatedAt: doc.updatedAt.toISOString(), ...(doc.finishedAt && { finishedAt: doc.finishedAt.toISOString() }),
  };
}

const bodyError = (message: string) => invalid([{ field: '(body)', message }]);

/** The header and where the rows begin, or a 400 naming what is wrong; a file without a row is empty. */
async function checkFile(file: string, kind: ImportDoc['kind'], identity: IdentityOptions) {
  const header = await readHeader(file);
  if (!header) throw bodyError('the file is empty: a header line and at least one row are needed');
  if (header.syntaxError) throw invalid([{ field: 'columns', message: `line 1: ${header.syntaxError.message}` }]);
  const details = checkColumns(kind, header.columns, identity);
  if (details.length > 0) throw invalid(details);
  let rows = false;
  // Only blank lines after the header (up to a thousand of them) is an empty file too; a syntax error there is the workflow's to report.
  const page = await readCsv(file, header.start, 1000, (r) => { rows ||= r.cells.some((c) => c.trim() !== ''); });
  if (!rows && page.done && !page.syntaxError) throw bodyError('the file has a header and no rows');
  return header;
}

export function importService(deps: ImportServiceDeps) {
  const { imports, settings } = deps;

  async function found(id: string): Promise<ImportDoc> {
    const doc = await imports.find(id);
    if (!doc) throw new ApiError(404, 'not_found', `no import ${id}`);
    return doc;
  }

  return {
    /** Receives the file, checks its header and starts the import; nothing is kept when any of it fails. */
    async create(req: Request, res: Response, query: z.output<typeof ImportQuery>): Promise<z.input<typeof ImportView>> {
      const id = newImportId();
      const file = importFile(settings.dir, id);
      const part = `${file}.part`;
      const upload = await receiveUpload(req, res, part, settings.maxBytes);
      let stored = false;
      try {
        if (upload.bytes === 0) throw bodyError('the file is empty');
        const header = await checkFile(part, query.kind, deps.identity);
        await rename(part, file);
        const now = new Date();
        const doc: ImportDoc = {
          _id: id, kind: query.kind, status: 'validating', skipInvalid: query.skipInvalid === 'true', ratePerSecond: query.ratePerSecond ?? settings.ratePerSecond,
          columns: header.columns, file: upload, progress: emptyProgress(), createdAt: now, updatedAt: now,
        };
        await imports.create(doc);
        stored = true;
        const input: ImportWorkflowInput = { importId: id, skipInvalid: doc.skipInvalid, ratePerSecond: doc.ratePerSecond, start: header.start };
        try {
          await deps.temporal.connection.withDeadline(Date.now() + deps.temporalDeadlineMs, () =>
            startWorkflow(deps.temporal, 'importWorkflow', { workflowId: importWorkflowId(id), taskQueue: deps.taskQueue, args: [input] }));
        } catch (err) {
          throw new ApiError(503, 'temporal_unavailable', `the import could not be started, nothing was kept; retry (${(err as Error).name})`);
        }
        return toView(doc);
      } catch (err) {
        await Promise.all([rm(part, { force: true }), rm(file, { force: true }), stored && imports.remove(id)]);
        throw err;
      }
    },

    get: async (id: string): Promise<z.input<typeof ImportView>> => toView(await found(id)),

    async list(limit: number, cursor?: string): Promise<z.input<typeof ImportList>> {
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      if (cursor !== undefined && !after) throw invalid([{ field: 'cursor', message: 'not a cursor this API gave out' }]);
      const docs = await imports.list(limit + 1, after && { createdAt: after.timestamp, id: after.id });
      const page = docs.slice(0, limit);
      const last = page[page.length - 1];
      return { imports: page.map(toView), ...(docs.length > limit && last && { nextCursor: encodeCursor({ timestamp: last.createdAt, id: last._id }) }) };
    },

    /** The bad rows in line order, a page at a time. */
    async errors(id: string, limit: number, cursor?: string): Promise<z.input<typeof ImportErrorPage>> {
      const doc = await found(id);
      const after = cursor === undefined ? undefined : Buffer.from(cursor, 'base64url').toString();
      if (after !== undefined && !after.startsWith(`${id}:`)) throw invalid([{ field: 'cursor', message: 'not a cursor this API gave out' }]);
      const docs = await imports.errors(id, limit + 1, after);
      const page = docs.slice(0, limit);
      const last = page[page.length - 1];
      return {
        errors: page.map((e) => ({ line: e.line, column: e.column, message: e.message })), invalid: doc.progress.invalid, stored: doc.progress.errorsStored,
        ...(docs.length > limit && last && { nextCursor: Buffer.from(last._id).toString('base64url') }),
      };
    },

    /** Asks the workflow to stop; what was applied stays applied. Answers the import as it was when asked. */
    async cancel(id: string): Promise<z.input<typeof ImportView>> {
      const doc = await found(id);
      if (!finishedStatuses.includes(doc.status)) {
        try {
          await deps.temporal.workflow.getHandle(importWorkflowId(id)).cancel();
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw new ApiError(503, 'temporal_unavailable', 'the import could not be cancelled, retry later');
        }
      }
      return toView(doc);
    },
  };
}

export type ImportService = ReturnType<typeof importService>;
