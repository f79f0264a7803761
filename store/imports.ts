// CSV imports: one document per import (what was asked, the file, progress, the outcome) and the
// bad rows found while validating, by line and column (at most `maxStoredErrors` per import).
import { Schema, type Connection, type Model } from 'mongoose';
import type { AnyBulkWriteOperation, Collection } from 'mongodb';
import type { ImportKind, ImportProgress, ImportStatus } from '../workflows/import-contract.js';
import { collectionOf } from './collection.js';

export interface ImportDoc {
  _id: string;
  kind: ImportKind;
  status: ImportStatus;
  skipInvalid: boolean;
  ratePerSecond: number;
  /** The header as given, in order. */
  columns: string[];
  file: { bytes: number; sha256: string };
  progress: ImportProgress;
  /** Why the import was refused or failed (a syntax error's line, a failure's message). */
  reason?: string;
  createdAt: Date;
  updatedAt: Date;
  finishedAt?: Date;
}

export interface ImportErrorDoc {
  /** `<import id>:<line, 10 digits>:<n>`: stored once however often its page is validated, in line order. */
  _id: string;
  importId: string;
  /** The file's line where the row begins (the header is line 1). */
  line: number;
  /** The column's name as in the header, or `(row)` for the row as a whole. */
  column: string;
  message: string;
}

/** Bad rows kept per import (all are counted). */
export const maxStoredErrors = 1000;

const importSchema = new Schema<ImportDoc>({
  _id: String, kind: String, status: String, skipInvalid: Boolean, ratePerSecond: Number, columns: [String],
  file: Schema.Types.Mixed, progress: Schema.Types.Mixed, reason: String, createdAt: Date, updatedAt: Date, finishedAt: Date,
}, { versionKey: false, minimize: false });
importSchema.index({ createdAt: -1, _id: -1 });
const importErrorSchema = new Schema<ImportErrorDoc>({ _id: String, importId: String, line: Number, column: String, message: String }, { versionKey: false });

export interface ImportModels {
  Import: Model<ImportDoc>;
  ImportError: Model<ImportErrorDoc>;
  imports: Collection<ImportDoc>;
  importErrors: Collection<ImportErrorDoc>;
}

export function createImportModels(connection: Connection): ImportModels {
  const Import = connection.model<ImportDoc>('Import', importSchema, 'imports');
  const ImportError = connection.model<ImportErrorDoc>('ImportError', importErrorSchema, 'import_errors');
  return {
    Import, ImportError,
    imports: collectionOf(Import),
    importErrors: collectionOf(ImportError),
  };
}

export const importErrorId = (importId: string, line: number, n: number): string => `${importId}:${String(line).padStart(10, '0')}:${n}`;

export function importRepository({ imports, importErrors }: ImportModels) {
  return {
    async create(doc: ImportDoc): Promise<void> {
      await imports.insertOne(doc);
    },

    find: (id: string): Promise<ImportDoc | null> => imports.findOne({ _id: id }),

    /** An import whose workflow could not be started: as if it had never been asked for. */
    async remove(id: string): Promise<void> {
      await imports.deleteOne({ _id: id });
    },

    /** Newest first; `before`: the last import of the previous page. */
    async list(limit: number, before?: { createdAt: Date; id: string }): Promise<ImportDoc[]> {
      const filter = before ? { $or: [{ createdAt: { $lt: before.createdAt } }, { createdAt: before.createdAt, _id: { $lt: before.id } }] } : {};
      return imports.find(filter).sort({ createdAt: -1, _id: -1 }).limit(limit).toArray();
    },

    /** Progress as the workflow computed it after a page: a retried page sets the same figures again. */
    async progress(id: string, status: ImportStatus, progress: ImportProgress): Promise<void> {
      await imports.updateOne({ _id: id, status: { $in: ['validating', 'importing'] } }, { $set: { status, progress, updatedAt: new Date() } });
    },

    async finish(id: string, status: ImportStatus, progress: ImportProgress, reason?: string): Promise<void> {
      const now = new Date();
      await imports.updateOne({ _id: id }, { $set: { status, progress, updatedAt: now, finishedAt: now, ...(reason !== undefined && { reason }) } });
    },

    /** Upserts by id: validating a page again stores nothing twice. */
    async recordErrors(errors: ImportErrorDoc[]): Promise<void> {
      if (errors.length === 0) return;
      const ops: AnyBulkWriteOperation<ImportErrorDoc>[] = errors.map((e) => ({ replaceOne: { filter: { _id: e._id }, replacement: e, upsert: true } }));
      await importErrors.bulkWrite(ops, { ordered: false });
    },

    /** In line order, after the error id `after`. */
    async errors(importId: string, limit: number, after?: string): Promise<ImportErrorDoc[]> {
      // Ids begin with the import's id, so the range is this import's errors, read along the _id index.
      return importErrors.find({ _id: { $gt: after ?? `${importId}:`, $lt: `${importId};` } }).sort({ _id: 1 }).limit(limit).toArray();
    },
  };
}

export type ImportRepository = ReturnType<typeof importRepository>;
