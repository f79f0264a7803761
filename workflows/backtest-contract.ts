// What a journey backtest's workflow shares with the API and its activities: the lanes and pages
// it simulates, its progress, its query and its workflow id.
import { defineQuery } from '@temporalio/workflow';

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
