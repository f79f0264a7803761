// What a CSV import's workflow shares with the API, its activities and its store: the import's
// status and progress, the cursor of its pages, its query and its workflow id.
import { defineQuery } from '@temporalio/workflow';

export type ImportKind = 'customers' | 'events';
export type ImportStatus = 'validating' | 'rejected' | 'importing' | 'completed' | 'cancelled' | 'failed';
export const finishedStatuses: readonly ImportStatus[] = ['rejected', 'completed', 'cancelled', 'failed'];

/** Where the next record of the file begins: its byte offset, and the lines before it. */
export interface ImportCursor { offset: number; line: number }

export interface ImportProgress {
  /** Rows read while validating (blank rows are not rows). */
  read: number;
  valid: number;
  invalid: number;
  /** Rows delivered into customers' workflows. */
  applied: number;
  /** Rows that will not be applied: the invalid ones skipped, or every row of a refused import. */
  rejected: number;
  /** Of the invalid rows' errors, how many are stored (at most 1,000). */
  errorsStored: number;
}

export interface ImportState {
  phase: 'validating' | 'importing';
  cursor: ImportCursor;
  progress: ImportProgress;
}

export interface ImportWorkflowInput {
  importId: string;
  skipInvalid: boolean;
  ratePerSecond: number;
  /** Where the rows begin, after the header. */
  start: ImportCursor;
  /** Rows a page validates, and at most a page applies. */
  validatePageRows?: number;
  applyPageRows?: number;
  /** Carried over continueAsNew. */
  state?: ImportState;
}

export interface ImportPage { cursor: ImportCursor; progress: ImportProgress; done: boolean; syntaxError?: { line: number; message: string } }
export interface ImportPageInput { importId: string; cursor: ImportCursor; progress: ImportProgress; rows: number }

export const importProgressQuery = defineQuery<{ status: ImportStatus } & ImportProgress>('importProgress');
export const importWorkflowId = (importId: string): string => `import-${importId}`;
export const emptyProgress = (): ImportProgress => ({ read: 0, valid: 0, invalid: 0, applied: 0, rejected: 0, errorsStored: 0 });
