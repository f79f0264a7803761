// Segments for marketers: storage through the repository, previews through the compiled query.
import { randomUUID } from 'node:crypto';
import type { SegmentRule } from '../../workflows/segments/types.js';
import type { SegmentDraft, SegmentRepository } from '../../store/segments.js';
import type { SegmentQueries } from '../../store/segment-query.js';
import { ApiError } from '../errors.js';

export interface SegmentServiceDeps {
  segments: SegmentRepository;
  queries: Pick<SegmentQueries, 'preview'>;
  clock?: () => number;
}

const notFound = (id: string): ApiError => new ApiError(404, 'not_found', `no segment "${id}"`);

export function segmentService({ segments, queries, clock = Date.now }: SegmentServiceDeps) {
  async function mustFind(id: string) {
    const segment = await segments.find(id);
    if (!segment) throw notFound(id);
    return segment;
  }

  return {
    /** `created: false` when this exact segment was already stored (a retried request). */
    async create(draft: SegmentDraft & { id?: string }) {
      const { id = `s${randomUUID().replaceAll('-', '').slice(0, 16)}`, ...rest } = draft;
      const out = await segments.create(id, rest);
      if ('conflict' in out) throw new ApiError(409, 'conflict', `a different segment "${id}" already exists`);
      return out;
    },
    list: async () => ({ items: await segments.list() }),
    get: mustFind,

    async replace(id: string, draft: SegmentDraft) {
      const segment = await segments.replace(id, draft);
      if (!segment) throw notFound(id);
      return segment;
    },

    async remove(id: string) {
      if (!(await segments.remove(id))) throw notFound(id);
      return { id, deleted: true as const };
    },

    preview: (rule: SegmentRule) => queries.preview(rule, clock()),
    previewSaved: async (id: string) => queries.preview((await mustFind(id)).rule, clock()),
  };
}

export type SegmentService = ReturnType<typeof segmentService>;
