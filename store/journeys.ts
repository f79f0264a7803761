// Journeys: every read and write of `journeys`, `journey_versions` and the catalog revision.
// Single-document writes, each safe to retry; the revision moves after the change it announces.
import type { JourneyCatalog, JourneyDefinition, JourneyStatus } from '../workflows/journeys/types.js';
import { isDuplicateKey } from './errors.js';
import type { JourneyDoc, JourneyDraft, JourneyModels, JourneyVersionDoc } from './journey-models.js';
import type { SegmentModels } from './segments.js';
import type { Segment } from '../workflows/segments/types.js';

export type JourneyErrorCode = 'not_found' | 'already_exists' | 'invalid_transition' | 'invalid_journey' | 'publish_conflict';

export class JourneyError extends Error {
  constructor(readonly code: JourneyErrorCode, message: string, readonly details: { field: string; message: string }[] = []) {
    super(message);
  }
}

export type JourneySummary = Omit<JourneyDoc, 'draft'>;
export interface JourneyView extends JourneyDoc { versions: { version: number; publishedAt: Date }[] }
export type StatusChange = 'pause' | 'resume' | 'archive';

const catalogCounter = 'journey_catalog';
/** Which statuses each change may start from (repeating one is allowed, so a retry succeeds). */
const transitions: Record<StatusChange, { from: JourneyStatus[]; to: JourneyStatus }> = {
  pause: { from: ['active', 'paused'], to: 'paused' },
  resume: { from: ['paused', 'active'], to: 'active' },
  archive: { from: ['draft', 'active', 'paused', 'archived'], to: 'archived' },
};

/** Key order does not matter: two drafts are the same journey when their sorted JSON is. */
const canonical = (value: unknown): string => JSON.stringify(value, (_k, v: unknown) =>
  (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
const sameDraft = (definition: JourneyDefinition, draft: JourneyDraft): boolean => {
  // `groups` is added at publish (the groups' rules), never part of a draft.
  const { id: _id, version: _version, groups: _groups, ...rest } = definition;
  return canonical(rest) === canonical(draft);
};

export function journeyRepository({ journeys, journeyVersions, counters, segments }: JourneyModels & SegmentModels) {
  /** The segments journeys trigger on, as the workflows will evaluate them. */
  const segmentsOf = async (ids: string[]): Promise<Segment[]> =>
    (await segments.find({ _id: { $in: ids } }).toArray()).map((d) => ({ id: d._id, name: d.name, rule: d.rule }));

  async function mustFind(id: string): Promise<JourneyDoc> {
    const journey = await journeys.findOne({ _id: id });
    if (!journey) throw new JourneyError('not_found', `no journey "${id}"`);
    return journey;
  }

  /** Why a guarded write to `id` matched nothing: it does not exist, or its status forbids it. */
  async function refusal(id: string, action: string): Promise<JourneyError> {
    const journey = await mustFind(id);
    return new JourneyError('invalid_transition', `cannot ${action} a journey that is ${journey.status}`);
  }

  async function bumpRevision(): Promise<void> {
    const bump = () => counters.updateOne({ _id: catalogCounter }, { $inc: { value: 1 } }, { upsert: true });
    // Two first-ever upserts can race on the new _id; the loser's retry then increments.
    try { await bump(); } catch (err) { if (isDuplicateKey(err)) await bump(); else throw err; }
  }

  const versionOf = (id: string, version: number) => journeyVersions.findOne({ _id: `${id}@${version}` });
  const catalogRevision = async (): Promise<number> => (await counters.findOne({ _id: catalogCounter }))?.value ?? 0;

  return {
    async create(id: string, draft: JourneyDraft): Promise<JourneyDoc> {
      const now = new Date();
      const doc: JourneyDoc = { _id: id, name: draft.name, status: 'draft', draft, latestVersion: 0, onPause: draft.onPause, createdAt: now, updatedAt: now };
      try {
        await journeys.insertOne(doc);
      } catch (err) {
        if (isDuplicateKey(err)) throw new JourneyError('already_exists', `a journey "${id}" already exists`);
        throw err;
      }
      return doc;
    },

    async list(status?: JourneyStatus): Promise<JourneySummary[]> {
      return journeys.find(status ? { status } : {}, { projection: { draft: 0 } }).sort({ _id: 1 }).limit(1000).toArray();
    },

    async get(id: string): Promise<JourneyView> {
      const journey = await mustFind(id);
      const versions = await journeyVersions.find({ journeyId: id }, { projection: { version: 1, publishedAt: 1 } }).sort({ version: 1 }).toArray();
      return { ...journey, versions: versions.map((v) => ({ version: v.version, publishedAt: v.publishedAt })) };
    },

    /** Only the draft changes: published versions never do. */
    async updateDraft(id: string, draft: JourneyDraft): Promise<JourneyDoc> {
      const res = await journeys.updateOne({ _id: id, status: { $ne: 'archived' } }, { $set: { draft, name: draft.name, updatedAt: new Date() } });
      if (res.matchedCount === 0) throw await refusal(id, 'edit');
      return mustFind(id);
    },

    /**
     * Validates the draft and stores it as the next version, then makes the journey active. A draft
     * identical to the newest version publishes nothing new (a repeated click is not a new version).
     */
    async publish(
      id: string, validate: (draft: JourneyDraft) => Promise<{ field: string; message: string }[]>,
      /** What the version carries beside the draft: the rules of the subscription groups its sends name. */
      complete?: (draft: JourneyDraft) => Promise<Pick<JourneyDefinition, 'groups'>>,
    ): Promise<{ version: JourneyVersionDoc; created: boolean }> {
      const journey = await mustFind(id);
      if (journey.status === 'archived') throw new JourneyError('invalid_transition', 'cannot publish a journey that is archived');
      const details = await validate(journey.draft);
      if (details.length > 0) throw new JourneyError('invalid_journey', `${details.length} problem${details.length === 1 ? '' : 's'} stop this journey from being published`, details);

      // The newest stored version, even one whose publish stopped halfway: its number is taken.
      const [top] = await journeyVersions.find({ journeyId: id }).sort({ version: -1 }).limit(1).toArray();
      let stored = top && sameDraft(top.definition, journey.draft) ? top : undefined;
      const created = !stored;
      if (!stored) {
        const version = Math.max(journey.latestVersion, top?.version ?? 0) + 1;
        const extra = (await complete?.(journey.draft)) ?? {};
        const doc: JourneyVersionDoc = { _id: `${id}@${version}`, journeyId: id, version, definition: { id, version, ...journey.draft, ...extra }, publishedAt: new Date() };
        try {
          await journeyVersions.insertOne(doc);
          stored = doc;
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          // Another publish took this number: the same draft (a double click) is that publish.
          const other = await versionOf(id, version);
          if (!other || !sameDraft(other.definition, journey.draft)) throw new JourneyError('publish_conflict', 'the journey was published by someone else meanwhile; try again');
          stored = other;
        }
      }
      const version = stored.version;
      const res = await journeys.updateOne(
        { _id: id, status: { $ne: 'archived' }, latestVersion: { $lte: version } },
        { $set: { status: 'active', latestVersion: version, onPause: stored.definition.onPause, publishedAt: stored.publishedAt, updatedAt: new Date() } },
      );
      if (res.matchedCount === 0 && (await mustFind(id)).status === 'archived') throw new JourneyError('invalid_transition', 'the journey was archived meanwhile');
      await bumpRevision();
      return { version: stored, created };
    },

    async change(id: string, change: StatusChange, onPause?: 'hold' | 'exit'): Promise<JourneyDoc> {
      const { from, to } = transitions[change];
      const res = await journeys.updateOne(
        { _id: id, status: { $in: from } },
        { $set: { status: to, updatedAt: new Date(), ...(onPause && { onPause }) } },
      );
      if (res.matchedCount === 0) throw await refusal(id, change);
      await bumpRevision();
      return mustFind(id);
    },

    /** Deletes a journey that was never published; returns false (and deletes nothing) otherwise. */
    async deleteDraft(id: string): Promise<boolean> {
      const res = await journeys.deleteOne({ _id: id, status: 'draft', latestVersion: 0 });
      if (res.deletedCount === 0) return false;
      // Versions of a publish that stopped halfway: no customer can have entered them.
      await journeyVersions.deleteMany({ journeyId: id });
      return true;
    },

    /** The active or paused journeys whose live version is triggered by this segment (at most 20). */
    async usingSegment(segmentId: string): Promise<{ id: string; status: JourneyStatus }[]> {
      const versions = await journeyVersions.find({ 'definition.trigger.type': 'segment', 'definition.trigger.segment': segmentId }, { projection: { journeyId: 1 } }).toArray();
      if (versions.length === 0) return [];
      const triggered = new Set(versions.map((v) => v._id));
      const live = await journeys.find({ _id: { $in: [...new Set(versions.map((v) => v.journeyId))] }, status: { $in: ['active', 'paused'] } }, { projection: { status: 1, latestVersion: 1 } }).sort({ _id: 1 }).toArray();
      return live.filter((j) => triggered.has(`${j._id}@${j.latestVersion}`)).slice(0, 20).map((j) => ({ id: j._id, status: j.status }));
    },

    getVersion: async (id: string, version: number): Promise<JourneyVersionDoc | null> => versionOf(id, version),

    async status(id: string): Promise<JourneyStatus | null> {
      return (await journeys.findOne({ _id: id }, { projection: { status: 1 } }))?.status ?? null;
    },

    catalogRevision,

    /** The latest version of every active or paused journey, with what pausing means for it. */
    async catalog(): Promise<JourneyCatalog> {
      // The revision is read first: a change made meanwhile is seen now or announced by a newer revision.
      const revision = await catalogRevision();
      const live = await journeys.find({ status: { $in: ['active', 'paused'] }, latestVersion: { $gt: 0 } }, { projection: { status: 1, latestVersion: 1, onPause: 1 } }).toArray();
      const versions = await journeyVersions.find({ _id: { $in: live.map((j) => `${j._id}@${j.latestVersion}`) } }).toArray();
      const byId = new Map(versions.map((v) => [v.journeyId, v.definition]));
      const entries = live.flatMap((j) => {
        const definition = byId.get(j._id);
        return definition ? [{ definition: { ...definition, onPause: j.onPause }, status: j.status as 'active' | 'paused' }] : [];
      });
      const segmentIds = [...new Set(entries.flatMap((e) => (e.definition.trigger.type === 'segment' ? [e.definition.trigger.segment] : [])))];
      const segments = segmentIds.length ? await segmentsOf(segmentIds) : [];
      return { revision, journeys: entries.sort((a, b) => (a.definition.id < b.definition.id ? -1 : 1)), segments };
    },
  };
}

export type JourneyRepository = ReturnType<typeof journeyRepository>;
