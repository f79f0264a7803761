// Backtests: one document per run (what was asked, progress, the result once done) and one per
// page of customers simulated, so that a retried page writes the same document again and the
// result counts each customer once.
import { Schema, type Connection, type Model } from 'mongoose';
import type { Collection } from 'mongodb';
import type { Tally } from '../backtest/result.js';
import type { BacktestPlan } from '../backtest/index.js';

export type BacktestStatus = 'running' | 'completed' | 'cancelled' | 'failed';

export interface BacktestRequest {
  journeyId: string;
  version: number | 'draft';
  from: string;
  to: string;
  sample?: { size: number } | { segmentId: string };
  withLiveJourneys: boolean;
  engagementRate: number;
}

export interface BacktestDoc {
  _id: string;
  request: BacktestRequest;
  status: BacktestStatus;
  /** Customers simulated so far, and how many the sample holds (known once counted). */
  simulated: number;
  total?: number;
  plan: BacktestPlan;
  result?: unknown;
  error?: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface BacktestPageDoc {
  /** `${backtestId}#${page}` */
  _id: string;
  backtestId: string;
  page: number;
  tally: Tally;
}

const backtestSchema = new Schema<BacktestDoc>({
  _id: String, request: Schema.Types.Mixed, plan: Schema.Types.Mixed, status: String, simulated: Number, total: Number, result: Schema.Types.Mixed, error: String, createdAt: Date, updatedAt: Date,
}, { versionKey: false, minimize: false });
const backtestPageSchema = new Schema<BacktestPageDoc>({ _id: String, backtestId: { type: String, index: true }, page: Number, tally: Schema.Types.Mixed }, { versionKey: false, minimize: false });

export interface BacktestModels {
  Backtest: Model<BacktestDoc>;
  BacktestPage: Model<BacktestPageDoc>;
  backtests: Collection<BacktestDoc>;
  backtestPages: Collection<BacktestPageDoc>;
}

export function createBacktestModels(connection: Connection): BacktestModels {
  const Backtest = connection.model<BacktestDoc>('Backtest', backtestSchema, 'backtests');
  const BacktestPage = connection.model<BacktestPageDoc>('BacktestPage', backtestPageSchema, 'backtest_pages');
  return {
    Backtest, BacktestPage,
    backtests: Backtest.collection as unknown as Collection<BacktestDoc>,
    backtestPages: BacktestPage.collection as unknown as Collection<BacktestPageDoc>,
  };
}

export function backtestRepository({ backtests, backtestPages }: BacktestModels) {
  return {
    /** `plan`: the definitions as they are now, so that an edit meanwhile does not change a running backtest. */
    async create(id: string, request: BacktestRequest, plan: BacktestPlan): Promise<void> {
      const now = new Date();
      await backtests.insertOne({ _id: id, request, plan, status: 'running', simulated: 0, createdAt: now, updatedAt: now });
    },
    find: (id: string) => backtests.findOne({ _id: id }),
    /** A page's tally; written again as it was by a retry. */
    async savePage(backtestId: string, page: number, tally: Tally, simulated: number, total?: number): Promise<void> {
      await backtestPages.updateOne({ _id: `${backtestId}#${page}` }, { $set: { backtestId, page, tally } }, { upsert: true });
      await backtests.updateOne({ _id: backtestId }, { $max: { simulated }, $set: { updatedAt: new Date(), ...(total !== undefined && { total }) } });
    },
    async pages(backtestId: string): Promise<Tally[]> {
      return (await backtestPages.find({ backtestId }).sort({ page: 1 }).toArray()).map((p) => p.tally);
    },
    /** Once: a retry after the result was stored (its pages perhaps gone) changes nothing. */
    async finish(backtestId: string, status: BacktestStatus, fields: { result?: unknown; error?: string }): Promise<void> {
      await backtests.updateOne({ _id: backtestId, status: 'running' }, { $set: { status, ...fields, updatedAt: new Date() } });
      await backtestPages.deleteMany({ backtestId });
    },
  };
}

export type BacktestRepository = ReturnType<typeof backtestRepository>;
