// Exports for marketers and warehouses: what to read, as which columns and rows. The segment is
// looked up first, so an unknown one is a 404 before any byte of CSV.
import type { SegmentRepository } from '../../store/segments.js';
import type { ExportQueries } from '../../store/exports.js';
import { ApiError } from '../errors.js';
import { conversionColumns, conversionRows, memberColumns, memberRow, messageColumns, messageRow, type Cell } from './rows.js';

export interface CsvExport { filename: string; columns: string[]; rows: AsyncIterable<Cell[]> }

async function* mapped<T>(source: AsyncIterable<T>, rows: (item: T) => Cell[][]): AsyncGenerator<Cell[]> {
  for await (const item of source) yield* rows(item);
}

export function exportService({ segments, queries, clock = Date.now }: { segments: Pick<SegmentRepository, 'find'>; queries: ExportQueries; clock?: () => number }) {
  return {
    async segmentMembers(id: string, traits: string[]): Promise<CsvExport> {
      const segment = await segments.find(id);
      if (!segment) throw new ApiError(404, 'not_found', `no segment "${id}"`);
      return {
        filename: `segment-${id}-members.csv`, columns: memberColumns(traits),
        rows: mapped(queries.segmentMembers(segment.rule, clock(), traits), (m) => [memberRow(m, traits)]),
      };
    },

    messages: (from: Date, to: Date): CsvExport => ({
      filename: 'messages.csv', columns: messageColumns, rows: mapped(queries.messages(from, to), (m) => [messageRow(m)]),
    }),

    conversions: (from: Date, to: Date, model?: string): CsvExport => ({
      filename: 'conversions.csv', columns: conversionColumns, rows: mapped(queries.conversions(from, to), (c) => conversionRows(c, model)),
    }),
  };
}

export type ExportService = ReturnType<typeof exportService>;
