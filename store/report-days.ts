// Report figures per UTC day, so that a report over whole days reads one small document per day
// by `_id` (a point read on MongoDB 7, and the only lookup mongo-java-server serves from an index)
// instead of every record in the range.
//
// A day's figures are computed from the records the first time they are asked for and stored with
// the number of writes counted on that day so far. Every writer of those records counts its write
// on the day's document (`touch`) after writing, so figures computed before a write no longer
// match their count and are computed again on the next read. Figures are stored only if no write
// was counted while they were computed: a write racing a computation is never left out.
import type { Collection } from 'mongodb';
import { isDuplicateKey } from './errors.js';

export interface ReportDayDoc {
  /** `${source}|${YYYY-MM-DD}`, e.g. `messages|2026-04-01` or `journey|welcome|2026-04-01`. */
  _id: string;
  /** Writes counted on the day's records. */
  writes: number;
  /** The writes the stored figures saw: they are current while `seen === writes`. */
  seen?: number;
  figures?: unknown;
  /** On `erasure|<customerId>` only: the days to forget once that customer's records are gone. */
  keys?: string[];
}

export interface DateRange { from: Date; to: Date }

/** A day to compute again, and the writes counted on it when that was found. */
export interface Stale { day: string; writes: number }

const D = 86_400_000;

/** The UTC day of an instant, as `YYYY-MM-DD`. */
export const dayOf = (at: Date | number): string => new Date(at).toISOString().slice(0, 10);
const startOf = (day: string): number => Date.parse(`${day}T00:00:00.000Z`);

/** The whole UTC days inside [from, to), and the parts of a day left at either edge. */
export function splitRange({ from, to }: DateRange): { days: string[]; edges: DateRange[] } {
  const first = Math.ceil(from.getTime() / D) * D;
  const end = Math.floor(to.getTime() / D) * D;
  if (first >= end) return { days: [], edges: [{ from, to }] };
  const days: string[] = [];
  for (let t = first; t < end; t += D) days.push(dayOf(t));
  const edges = [
    ...(from.getTime() < first ? [{ from, to: new Date(first) }] : []),
    ...(end < to.getTime() ? [{ from: new Date(end), to }] : []),
  ];
  return { days, edges };
}

/** Days as date ranges, neighbouring days joined. */
export function dayRanges(days: string[]): DateRange[] {
  const ranges: DateRange[] = [];
  for (const day of [...new Set(days)].sort()) {
    const from = startOf(day);
    const last = ranges.at(-1);
    if (last && last.to.getTime() === from) last.to = new Date(from + D);
    else ranges.push({ from: new Date(from), to: new Date(from + D) });
  }
  return ranges;
}

/**
 * Figures per day of one source: `compute` counts the records in the given ranges and answers
 * them by day (days without records may be left out: they get `empty`).
 */
export interface DailySource<F> {
  name: string;
  empty: F;
  compute(ranges: DateRange[]): Promise<Map<string, F>>;
}

export function dailyFigures(collection: Collection<ReportDayDoc>) {
  const key = (source: string, day: string): string => `${source}|${day}`;

  return {
    key,

    /** Counts a write on each of these days (`key(source, day)`): their stored figures are out of date. */
    async markStale(keys: Iterable<string>): Promise<void> {
      const ids = [...new Set(keys)];
      if (ids.length === 0) return;
      await collection.bulkWrite(ids.map((_id) => ({ updateOne: { filter: { _id }, update: { $inc: { writes: 1 } }, upsert: true } })), { ordered: false });
    },

    /** Every stored figure is out of date (after records were written past the repositories). */
    async markAllStale(): Promise<void> {
      await collection.updateMany({}, { $inc: { writes: 1 } });
    },

    /**
     * An erasure, before it deletes: keeps the days whose figures count the customer (`keys`)
     * until `forget`, and answers every day kept so far (a retried erasure finds its records gone).
     */
    async hold(customerId: string, keys: string[]): Promise<string[]> {
      const held = await collection.findOneAndUpdate({ _id: `erasure|${customerId}` }, { $addToSet: { keys: { $each: [...new Set(keys)] } } }, { upsert: true, returnDocument: 'after' });
      return held?.keys ?? [];
    },

    /**
     * An erasure, after it deleted: drops the stored figures of those days (they hold the
     * customer's id) and counts a write on each, so figures computed before the deletion are never
     * stored; then lets go of the list.
     */
    async forget(customerId: string, keys: string[]): Promise<void> {
      if (keys.length > 0) await collection.updateMany({ _id: { $in: keys } }, { $inc: { writes: 1 }, $unset: { figures: '', seen: '' } });
      await collection.deleteOne({ _id: `erasure|${customerId}` });
    },

    /**
     * The figures of each whole day of the range (stored ones where current, the rest computed
     * and stored) and of the parts of a day at its edges (computed, never stored).
     */
    /**
     * The figures of each whole day of the range up to today (stored ones where current, the rest
     * computed and stored) and of the parts of a day at its edges and the days after today
     * (computed, never stored), in day order.
     */
    async read<F>(source: DailySource<F>, range: DateRange, now = Date.now()): Promise<F[]> {
      const split = splitRange(range);
      // Days after today are counted like edges and never stored: their records are still to come.
      const today = dayOf(now);
      const days = split.days.filter((d) => d <= today);
      const edges = [...split.edges, ...dayRanges(split.days.filter((d) => d > today))];
      const ids = days.map((d) => key(source.name, d));
      const stored = new Map((await collection.find({ _id: { $in: ids } }).toArray()).map((d) => [d._id, d]));
      const figures = new Map<string, F>();
      const stale: Stale[] = [];
      for (const day of days) {
        const doc = stored.get(key(source.name, day));
        if (doc?.figures !== undefined && doc.seen === doc.writes) figures.set(day, doc.figures as F);
        else stale.push({ day, writes: doc?.writes ?? 0 });
      }
      const [fresh, ...atEdges] = await Promise.all([refresh(source, stale), ...edges.map((edge) => source.compute([edge]))]);
      for (const byDay of [...atEdges, fresh]) for (const [day, f] of byDay) figures.set(day, f);
      return [...figures.keys()].sort().map((day) => figures.get(day)!);
    },

    /** Days whose stored figures are missing or out of date, by source (for a refresh ahead of the next report). */
    async stale(): Promise<Map<string, Stale[]>> {
      const docs = await collection.find({}, { projection: { writes: 1, seen: 1 } }).toArray();
      const bySource = new Map<string, Stale[]>();
      for (const d of docs.filter((x) => x.seen !== x.writes && !x._id.startsWith('erasure|'))) {
        const cut = d._id.lastIndexOf('|');
        const source = d._id.slice(0, cut);
        bySource.set(source, [...(bySource.get(source) ?? []), { day: d._id.slice(cut + 1), writes: d.writes }]);
      }
      return bySource;
    },

    refresh,
  };

  /** Computes these days and stores each one's figures where no write was counted since `writes` was read. */
  async function refresh<F>(source: DailySource<F>, stale: Stale[]): Promise<Map<string, F>> {
    if (stale.length === 0) return new Map();
    const computed = await source.compute(dayRanges(stale.map((s) => s.day)));
    const fresh = new Map(stale.map(({ day }) => [day, computed.get(day) ?? source.empty]));
    try {
      // Only where no write was counted meanwhile; a day first written meanwhile refuses the insert.
      await collection.bulkWrite(stale.map(({ day, writes }) => ({
        updateOne: { filter: { _id: key(source.name, day), writes }, update: { $set: { seen: writes, figures: fresh.get(day) } }, upsert: true },
      })), { ordered: false });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    return fresh;
  }
}

