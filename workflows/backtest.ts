// A journey backtest as a workflow: pages through the sampled customers, each page simulated by an
// activity (activities/backtest/), then sums them. Resumable (the cursors are the workflow's state),
// cancellable (what was simulated is summed and marked cancelled). Its history is three events a
// page: at most 300 for the largest sample (1,000,000 customers, pages of 10,000).
import {
  CancellationScope, defineQuery, isCancellation, proxyActivities, setCurrentDetails, setHandler,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';

type Activities = ReturnType<typeof createActivities>;

/** A range of customer ids simulated page by page: `[start, until)`, from the first id or up to the last when absent. */
export interface BacktestLane { lane: number; start?: string; until?: string }
export interface BacktestPageInput extends BacktestLane { backtestId: string; page: number; pageSize: number; cursor?: string; position: number; taken: number }
export interface BacktestPage {
  cursor?: string; position: number; taken: number; done: boolean;
  /** Time reading the page's events, and simulating them. */
  readMs: number; simulateMs: number;
}
export interface BacktestInput { backtestId: string; pageSize?: number }
export interface BacktestProgress { pages: number; simulated: number; done: boolean }

/**
 * Customers a page: what a page reads at once (one range of ids; a server without the timeline
 * index scans every event once a page) and what it holds in memory. Runs started before this was
 * passed in page by 2,000.
 */
export const backtestPageSize = 10_000;

export const backtestProgressQuery = defineQuery<BacktestProgress>('backtestProgress');
export const backtestWorkflowId = (backtestId: string): string => `backtest-${backtestId}`;

const { planBacktestLanes, runBacktestPage, finishBacktest } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20 },
});

export async function backtestWorkflow(input: BacktestInput): Promise<void> {
  const pageSize = input.pageSize ?? 2000;
  const progress: BacktestProgress = { pages: 0, simulated: 0, done: false };
  setHandler(backtestProgressQuery, () => progress);
  const show = () => setCurrentDetails(`${progress.simulated} customers simulated in ${progress.pages} pages${progress.done ? ' (done)' : ''}`);
  show();
  const taken: number[] = [];
  /** One lane, page after page: its reads (the database's work) overlap the other lane's simulation (the worker's). */
  const runLane = async (lane: BacktestLane): Promise<void> => {
    let at = { page: 0, position: 0, taken: 0, cursor: undefined as string | undefined };
    for (;;) {
      const page = await runBacktestPage({ backtestId: input.backtestId, pageSize, ...lane, ...at });
      at = { page: at.page + 1, position: page.position, taken: page.taken, cursor: page.cursor };
      taken[lane.lane] = page.taken;
      Object.assign(progress, { pages: progress.pages + 1, simulated: taken.reduce((a, b) => a + (b ?? 0), 0) });
      show();
      if (page.done) return;
    }
  };
  try {
    await Promise.all((await planBacktestLanes({ backtestId: input.backtestId })).map(runLane));
    await finishBacktest({ backtestId: input.backtestId, status: 'completed' });
    progress.done = true;
    show();
  } catch (err) {
    // Cancelled: what was simulated still adds up, marked as cancelled.
    if (isCancellation(err)) await CancellationScope.nonCancellable(() => finishBacktest({ backtestId: input.backtestId, status: 'cancelled' }));
    else await finishBacktest({ backtestId: input.backtestId, status: 'failed', error: (err as Error).message });
    throw err;
  }
}
