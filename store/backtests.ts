// Backtests: one document per run (what was asked, progress, the result once done) and one per
// page of customers simulated, so that a retried page writes the same document again and the
// result counts each customer once.
import { Schema, type Connection, type Model } from 'mongoose';
import type { Collection } from 'mongodb';
import type { Tally } from '../activities/backtest/result.js';
import type { JourneyCatalog, JourneyDefinition } from '../workflows/journeys/types.js';
import type { SegmentRule } from '../workflows/segments/types.js';
import { collectionOf } from './collection.js';

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

/** What a backtest document holds besides the request: the definitions as they were when it began. */
export interface BacktestPlan {
  definition: JourneyDefinition;
  catalog: JourneyCatalog;
  /** Customers of the sample (all, or the segment's, at the start), and every how many one is taken. */
  total: number;
  every: number;
  size?: number;
  segmentRule?: SegmentRule;
}

export interface BacktestDoc {
  _id: string;
  request: BacktestRequest;
  status: BacktestStatus;
  /** Customers the sample holds (counted when it starts). */
  total?: number;
  plan: BacktestPlan;
  result?: unknown;
  error?: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface BacktestPageDoc {
  /** `${backtestId}#${lane}.${page}` */
  _id: string;
  backtestId: string;
  page: string;
  tally: Tally;
}

const backtestSchema = new Schema<BacktestDoc>({
  _id: String, request: Schema.Types.Mixed, plan: Schema.Types.Mixed, status: String, total: Number, result: Schema.Types.Mixed, error: String, createdAt: Date, updatedAt: Date,
}, { versionKey: false, minimize: false });
const backtestPageSchema = new Schema<BacktestPageDoc>({ _id: String, backtestId: { type: String, index: true }, page: String, tally: Schema.Types.Mixed }, { versionKey: false, minimize: false });

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
    backtests: collectionOf(Backtest),
    backtestPages: collectionOf(BacktestPage),
  };
}

export function backtestRepository({ backtests, backtestPages }: BacktestModels) {
  return {
    /** `plan`: the definitions as they are now, so that an edit meanwhile does not change a running backtest. */
    async create(id: string, request: BacktestRequest, plan: BacktestPlan): Promise<void> {
      const now = new Date();
      await backtests.insertOne({ _id: id, request, plan, status: 'running', createdAt: now, updatedAt: now });
    },
    find: (id: string) => backtests.findOne({ _id: id }),
    /** A page's tally; written again as it was by a retry. */
    async savePage(backtestId: string, page: string, tally: Tally, total?: number): Promise<void> {
      await backtestPages.updateOne({ _id: `${backtestId}#${page}` }, { $set: { backtestId, page, tally } }, { upsert: true });
      await backtests.updateOne({ _id: backtestId }, { $set: { updatedAt: new Date(), ...(total !== undefined && { total }) } });
    },
    /** Customers simulated so far: the pages' counts (while running), or the result's. */
    async simulated(backtestId: string): Promise<number> {
      const pages = await backtestPages.find({ backtestId }, { projection: { 'tally.sampled': 1 } }).toArray();
      return pages.reduce((n, p) => n + (p.tally?.sampled ?? 0), 0);
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
