// A journey backtest as a workflow: pages through the sampled customers, each page simulated by an
// activity (activities/backtest/), then sums them. Resumable (the cursor is the workflow's state),
// cancellable (what was simulated is summed and marked cancelled), history bounded (continue as new).
import {
  CancellationScope, continueAsNew, defineQuery, isCancellation, proxyActivities, setCurrentDetails, setHandler, workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';

type Activities = ReturnType<typeof createActivities>;

export interface BacktestPageInput { backtestId: string; page: number; pageSize: number; cursor?: string; position: number; taken: number }
export interface BacktestPage {
  cursor?: string; position: number; taken: number; done: boolean;
  /** Time reading the page's events, and simulating them. */
  readMs: number; simulateMs: number;
}
export interface BacktestInput { backtestId: string; pageSize?: number; resume?: Omit<BacktestPageInput, 'backtestId' | 'pageSize'> }
export interface BacktestProgress { pages: number; simulated: number; done: boolean }

export const backtestProgressQuery = defineQuery<BacktestProgress>('backtestProgress');
export const backtestWorkflowId = (backtestId: string): string => `backtest-${backtestId}`;

const { runBacktestPage, finishBacktest } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20 },
});

export async function backtestWorkflow(input: BacktestInput): Promise<void> {
  const pageSize = input.pageSize ?? 2000;
  let at: Omit<BacktestPageInput, 'backtestId' | 'pageSize'> = input.resume ?? { page: 0, position: 0, taken: 0 };
  const progress: BacktestProgress = { pages: at.page, simulated: at.taken, done: false };
  setHandler(backtestProgressQuery, () => progress);
  const show = () => setCurrentDetails(`${progress.simulated} customers simulated in ${progress.pages} pages${progress.done ? ' (done)' : ''}`);
  show();
  try {
    for (;;) {
      const page = await runBacktestPage({ backtestId: input.backtestId, pageSize, ...at });
      at = { page: at.page + 1, position: page.position, taken: page.taken, ...(page.cursor !== undefined && { cursor: page.cursor }) };
      Object.assign(progress, { pages: at.page, simulated: page.taken });
      show();
      if (page.done) break;
      if (workflowInfo().historyLength > 1000) await continueAsNew<typeof backtestWorkflow>({ ...input, resume: at });
    }
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
