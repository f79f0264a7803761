// A journey backtest as a workflow: pages through the sampled customers, each page simulated by an
// activity (activities/backtest/), then sums them. Resumable (the cursors are the workflow's state),
// cancellable (what was simulated is summed and marked cancelled). Its history is three events a
// page: at most 300 for the largest sample (1,000,000 customers, pages of 10,000).
import {
  CancellationScope, isCancellation, proxyActivities, setCurrentDetails, setHandler,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { backtestProgressQuery, type BacktestInput, type BacktestLane, type BacktestProgress } from './backtest-contract.js';

type Activities = ReturnType<typeof createActivities>;

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
