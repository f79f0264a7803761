// Segments for marketers: storage through the repository, previews through the compiled query.
import { randomUUID } from 'node:crypto';
import type { SegmentRule } from '../../workflows/segments/types.js';
import type { SegmentDraft, SegmentRepository } from '../../store/segments.js';
import type { SegmentQueries } from '../../store/segment-query.js';
import type { CampaignRepository } from '../../store/campaigns.js';
import type { JourneyRepository } from '../../store/journeys.js';
import { ApiError, type ErrorDetail } from '../errors.js';

/** Who still relies on a segment; a segment with any is not deleted. */
export interface SegmentUsers {
  campaigns: Pick<CampaignRepository, 'usingSegment'>;
  journeys: Pick<JourneyRepository, 'usingSegment'>;
}

export interface SegmentServiceDeps {
  segments: SegmentRepository;
  queries: Pick<SegmentQueries, 'preview'>;
  users: SegmentUsers;
  clock?: () => number;
}

const notFound = (id: string): ApiError => new ApiError(404, 'not_found', `no segment "${id}"`);

export function segmentService({ segments, queries, users, clock = Date.now }: SegmentServiceDeps) {
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

    /**
     * A segment a live journey triggers on, or a campaign still sends to, stays: deleting it would
     * silently stop that journey or fail that campaign's next run.
     */
    async remove(id: string) {
      const [campaigns, journeys] = await Promise.all([users.campaigns.usingSegment(id), users.journeys.usingSegment(id)]);
      const details: ErrorDetail[] = [
        ...journeys.map((j) => ({ field: 'id', message: `journey "${j.id}" (${j.status}) is triggered by it` })),
        ...campaigns.map((c) => ({ field: 'id', message: `campaign "${c.id}" (${c.status}) sends to it` })),
      ];
      if (details.length > 0) {
        throw new ApiError(409, 'segment_in_use', `segment "${id}" is in use: archive those journeys or cancel those campaigns first`, details);
      }
      if (!(await segments.remove(id))) throw notFound(id);
      return { id, deleted: true as const };
    },

    preview: (rule: SegmentRule) => queries.preview(rule, clock()),
    previewSaved: async (id: string) => queries.preview((await mustFind(id)).rule, clock()),
  };
}

export type SegmentService = ReturnType<typeof segmentService>;
