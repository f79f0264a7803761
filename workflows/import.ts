// A CSV import as a workflow: validates every row of the uploaded file first (pages read from a
// byte offset by activities/imports/), refuses the import whole if a row is bad (unless
// `skipInvalid`), then feeds the rows page by page into the same ingestion path as the API at the
// import's rate. The cursor (byte offset and line) is the workflow's state, so a crashed worker's
// page is read again from where it began; each row's messageId is fixed by the file, so a page
// applied twice applies nothing twice. Continues as new every 100 pages: about 1,100 history
// events a run whatever the file's size.
import {
  CancellationScope, ContinueAsNew, continueAsNew, isCancellation, proxyActivities, setCurrentDetails, setHandler, sleep, workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { emptyProgress, importProgressQuery, type ImportProgress, type ImportState, type ImportStatus, type ImportWorkflowInput } from './import-contract.js';

type Activities = ReturnType<typeof createActivities>;

// Waits out a MongoDB or Temporal outage rather than abandon an import half way; a dead worker's page is read again after 10 s.
const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' } as const;
const pages = proxyActivities<Activities>({ startToCloseTimeout: '5 minutes', heartbeatTimeout: '10 seconds', retry });
const records = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry });

const maxPagesPerRun = 100;

const n = (x: number): string => x.toLocaleString('en-US');

function details(status: ImportStatus, p: ImportProgress): string {
  const invalid = p.invalid > 0 ? `, ${n(p.invalid)} invalid` : '';
  if (status === 'validating') return `validating: ${n(p.read)} rows read${invalid}`;
  if (status === 'rejected') return `rejected: ${n(p.read)} rows read${invalid}; nothing applied`;
  return `${status}: ${n(p.applied)} of ${n(p.valid)} valid rows applied${p.rejected > 0 ? ` (${n(p.rejected)} rejected)` : ''}`;
}

export async function importWorkflow(input: ImportWorkflowInput): Promise<{ status: ImportStatus } & ImportProgress> {
  const { importId } = input;
  let state: ImportState = input.state ?? { phase: 'validating', cursor: input.start, progress: emptyProgress() };
  let status: ImportStatus = state.phase;
  setHandler(importProgressQuery, () => ({ status, ...state.progress }));
  const show = () => setCurrentDetails(details(status, state.progress));
  show();
  const finish = async (final: ImportStatus, reason?: string) => {
    status = final;
    show();
    await records.finishImport({ importId, status: final, progress: state.progress, ...(reason !== undefined && { reason }) });
    return { status, ...state.progress };
  };

  let pagesThisRun = 0;
  const nextPage = async () => {
    if (pagesThisRun >= maxPagesPerRun || workflowInfo().continueAsNewSuggested) await continueAsNew<typeof importWorkflow>({ ...input, state });
    pagesThisRun += 1;
  };

  try {
    while (state.phase === 'validating') {
      await nextPage();
      const page = await pages.validateImportPage({ importId, cursor: state.cursor, progress: state.progress, rows: input.validatePageRows ?? 20_000 });
      state = { ...state, cursor: page.cursor, progress: page.progress };
      show();
      if (page.syntaxError) {
        state.progress = { ...state.progress, rejected: state.progress.read };
        return await finish('rejected', `line ${page.syntaxError.line}: ${page.syntaxError.message}; no row after it can be read`);
      }
      if (!page.done) continue;
      if (state.progress.invalid > 0 && !input.skipInvalid) {
        state.progress = { ...state.progress, rejected: state.progress.read };
        return await finish('rejected', `${state.progress.invalid} invalid rows, and skipInvalid is not set`);
      }
      state = { phase: 'importing', cursor: input.start, progress: { ...state.progress, rejected: state.progress.invalid } };
      status = 'importing';
      show();
    }
    // At most a second's worth of rows a page, so the rate holds within each page too.
    const rows = Math.max(1, Math.min(input.applyPageRows ?? 500, input.ratePerSecond));
    for (;;) {
      await nextPage();
      const began = Date.now();
      const page = await pages.applyImportPage({ importId, cursor: state.cursor, progress: state.progress, rows });
      const applied = page.progress.applied - state.progress.applied;
      state = { ...state, cursor: page.cursor, progress: page.progress };
      show();
      if (page.done) break;
      const wait = began + (applied * 1000) / input.ratePerSecond - Date.now();
      if (wait > 0) await sleep(wait);
    }
    return await finish('completed');
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => finish('cancelled'));
      throw err;
    }
    // An activity's failure says only that it failed; its cause says why (a file no worker can find).
    const cause = (err as Error & { cause?: Error }).cause;
    await finish('failed', cause?.message ?? (err as Error).message);
    throw err;
  }
}
