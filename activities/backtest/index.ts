// The backtest's activities: simulate one page of sampled customers (their recorded events read
// from MongoDB, then simulate.ts), and sum the pages into the result. The run's frozen journey
// definitions are read from its document once per worker, not carried in the workflow's history.
import type { Filter } from 'mongodb';
import type { LifecycleRules } from '../../workflows/lifecycle/rules.js';
import type { MessagingPolicy } from '../../workflows/messaging/arbiter.js';
import type { BacktestLane, BacktestPage, BacktestPageInput } from '../../workflows/backtest-contract.js';
import { backtestRepository, type BacktestDoc } from '../../store/backtests.js';
import type { CustomerDoc, Models } from '../../store/models.js';
import { segmentFilter } from '../../store/segment-query.js';
import { pageEvents } from './events.js';
import { backtestResult, emptyTally, mergeTallies, tallyCustomer } from './result.js';
import { mayEnter, simulateCustomer, type Simulation } from './simulate.js';

export function createBacktestActivities({ models, rules, policy }: { models: Models; rules: LifecycleRules; policy: MessagingPolicy }) {
  const repo = backtestRepository(models);
  const plans = new Map<string, { doc: BacktestDoc; filter: Filter<CustomerDoc> }>();

  async function planOf(backtestId: string) {
    const known = plans.get(backtestId);
    if (known) return known;
    const doc = await repo.find(backtestId);
    if (!doc) throw new Error(`no backtest ${backtestId}`);
    const segment = doc.plan.segmentRule ? await segmentFilter(models.events, doc.plan.segmentRule, Date.parse(doc.request.from)) : {};
    const entry = { doc, filter: { mergedInto: { $exists: false }, ...segment } as Filter<CustomerDoc> };
    if (plans.size > 20) plans.clear();
    plans.set(backtestId, entry);
    return entry;
  }

  return {
    /**
     * Splits the customers into lanes of equal size by id, simulated side by side. A sample of a
     * given size is one lane: its every-n-th choice counts positions from the first customer.
     */
    async planBacktestLanes(input: { backtestId: string; lanes?: number }): Promise<BacktestLane[]> {
      const { doc, filter } = await planOf(input.backtestId);
      const lanes = doc.plan.size !== undefined ? 1 : Math.max(1, input.lanes ?? 2);
      const total = await models.customers.countDocuments(filter);
      const bounds: string[] = [];
      for (let k = 1; k < lanes && total >= lanes * 100; k++) {
        const [at] = await models.customers.find(filter, { projection: { _id: 1 } }).sort({ _id: 1 }).skip(Math.floor((k * total) / lanes)).limit(1).toArray();
        if (at) bounds.push(at._id);
      }
      return [undefined, ...bounds].map((start, lane) => ({ lane, ...(start !== undefined && { start }), ...(bounds[lane] !== undefined && { until: bounds[lane] }) }));
    },

    /** Simulates the next page of the sample and stores its tally (idempotent: keyed by page). */
    async runBacktestPage(input: BacktestPageInput): Promise<BacktestPage> {
      const { doc, filter } = await planOf(input.backtestId);
      const { plan, request } = doc;
      const from = Date.parse(request.from);
      const to = Date.parse(request.to);
      const ids = {
        ...(input.cursor !== undefined ? { $gt: input.cursor } : input.start !== undefined && { $gte: input.start }),
        ...(input.until !== undefined && { $lt: input.until }),
      };
      const page = await models.customers.find({ ...filter, ...(Object.keys(ids).length > 0 && { _id: ids }) }, { projection: { _id: 1 } })
        .sort({ _id: 1 }).limit(input.pageSize).toArray();
      let position = input.position;
      let taken = input.taken;
      const chosen: string[] = [];
      for (const { _id } of page) {
        if (plan.size !== undefined && taken >= plan.size) break;
        if (position % plan.every === 0) { chosen.push(_id); taken += 1; }
        position += 1;
      }
      const began = Date.now();
      const events = await pageEvents(models, chosen, new Date(to));
      const read = Date.now();
      const tally = emptyTally();
      for (const customerId of chosen) {
        const own = events.get(customerId) ?? [];
        // Most of a month's customers cannot enter the journey (no trigger event): counted, not simulated.
        if (!mayEnter(plan.definition, own, { from, to, engagementRate: request.engagementRate })) { tally.sampled += 1; continue; }
        const sim: Simulation = simulateCustomer({ customerId, events: own, catalog: plan.catalog, rules, policy, from, to, engagementRate: request.engagementRate });
        tallyCustomer(tally, sim, plan.definition.id);
      }
      await repo.savePage(input.backtestId, `${input.lane}.${input.page}`, tally, plan.total);
      const last = page[page.length - 1]?._id;
      const done = page.length < input.pageSize || (plan.size !== undefined && taken >= plan.size);
      return { ...(last !== undefined && { cursor: last }), position, taken, done, readMs: read - began, simulateMs: Date.now() - read };
    },

    /** Sums the pages into the result (or records why the run ended). */
    async finishBacktest(input: { backtestId: string; status: 'completed' | 'cancelled' | 'failed'; error?: string }): Promise<void> {
      const { doc } = await planOf(input.backtestId);
      const tally = (await repo.pages(input.backtestId)).reduce(mergeTallies, emptyTally());
      await repo.finish(input.backtestId, input.status, { result: backtestResult(tally, doc.request.engagementRate), ...(input.error && { error: input.error }) });
      plans.delete(input.backtestId);
    },
  };
}
