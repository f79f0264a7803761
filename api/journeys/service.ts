// Journeys for marketers: drafts, publishing (validated), status changes, versions, migration.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { JourneyStatus } from '../../workflows/journeys/types.js';
import type { EnrollmentRepository } from '../../store/enrollments.js';
import { JourneyError, type JourneyRepository, type StatusChange } from '../../store/journeys.js';
import type { JourneyDraft } from '../../store/journey-models.js';
import type { TemplateRepository } from '../../store/templates.js';
import { ApiError } from '../errors.js';
import { migrateCustomers } from './migrate.js';
import type { MigrationRequest } from './schema.js';
import { templateChecks } from './templates.js';
import { groupRules, validateJourney } from './validate.js';
import type { GroupChecks } from '../subscriptions/service.js';
import type { SegmentRepository } from '../../store/segments.js';

export interface JourneyServiceDeps {
  journeys: JourneyRepository;
  enrollments: EnrollmentRepository;
  templates: Pick<TemplateRepository, 'find'>;
  temporal: Client;
  /** Subscription groups its sends may name. */
  groups?: GroupChecks;
  /** The segments a segment trigger may name. */
  segments: Pick<SegmentRepository, 'find'>;
}

const statusOf: Record<JourneyError['code'], number> = {
  not_found: 404, already_exists: 409, invalid_transition: 409, publish_conflict: 409, invalid_journey: 400,
};

/** The repository's refusals as API errors. */
async function answer<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof JourneyError) throw new ApiError(statusOf[err.code], err.code, err.message, err.details);
    throw err;
  }
}

export function journeyService(deps: JourneyServiceDeps) {
  const { journeys } = deps;
  const view = <T extends { _id: string }>({ _id, ...rest }: T) => ({ id: _id, ...rest });

  return {
    async create(draft: JourneyDraft & { id?: string }) {
      const { id = `j${randomUUID().replaceAll('-', '').slice(0, 16)}`, ...rest } = draft;
      return view(await answer(journeys.create(id, rest)));
    },
    list: async (status?: JourneyStatus) => ({ items: (await journeys.list(status)).map(view) }),
    get: async (id: string) => view(await answer(journeys.get(id))),
    updateDraft: async (id: string, draft: JourneyDraft) => view(await answer(journeys.updateDraft(id, draft))),

    async publish(id: string) {
      const checks = {
        ...templateChecks(deps.templates), ...(deps.groups && { ruleFor: deps.groups.ruleFor }),
        segmentExists: async (segmentId: string) => (await deps.segments.find(segmentId)) !== null,
      };
      const complete = async (draft: JourneyDraft) => {
        const groups = await groupRules(draft.steps, checks);
        return Object.keys(groups).length > 0 ? { groups } : {};
      };
      const { version, created } = await answer(journeys.publish(id, (draft) => validateJourney(draft, checks), complete));
      return { version: version.version, created, definition: version.definition, publishedAt: version.publishedAt };
    },

    change: async (id: string, change: StatusChange, onPause?: 'hold' | 'exit') => view(await answer(journeys.change(id, change, onPause))),

    /** Drafts never published are deleted; any other journey is archived (its versions stay readable). */
    async remove(id: string) {
      if (await journeys.deleteDraft(id)) return { id, deleted: true as const };
      return { ...view(await answer(journeys.change(id, 'archive'))), deleted: false as const };
    },

    async version(id: string, version: number) {
      const found = await journeys.getVersion(id, version);
      if (!found) throw new ApiError(404, 'not_found', `no version ${version} of journey "${id}"`);
      return { version: found.version, definition: found.definition, publishedAt: found.publishedAt };
    },

    migrate: (id: string, request: MigrationRequest) => migrateCustomers(deps, id, request),
  };
}

export type JourneyService = ReturnType<typeof journeyService>;
