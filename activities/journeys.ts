// Journey activities: what a customer's workflow asks of the journeys marketers publish. The
// catalog is matched here, from one copy per worker kept by revision, so that no customer's
// workflow carries it.
import { matchCatalog, type MatchRequest, type MatchResult } from '../workflows/journeys/match.js';
import type { JourneyCatalog } from '../workflows/journeys/types.js';
import { journeyRepository, type JourneyRepository } from '../store/journeys.js';
import type { Models } from '../store/models.js';

/** How long a worker trusts its copy of the catalog before asking whether the revision moved. */
const revisionCheckMs = 5_000;

/**
 * The worker's copy of the catalog. A customer announces the newest revision the API saw
 * (`wanted`): an older copy is reloaded at once; otherwise the revision is checked at most every
 * few seconds (a point read), and the catalog is loaded only when it moved. Concurrent callers
 * share one load.
 */
export function catalogCache(journeys: Pick<JourneyRepository, 'catalog' | 'catalogRevision'>, now = () => Date.now()) {
  let copy: { catalog: JourneyCatalog; checkedAt: number; wanted: number } | undefined;
  let loading: Promise<JourneyCatalog> | undefined;
  const load = (wanted: number): Promise<JourneyCatalog> => {
    loading ??= journeys.catalog().then((catalog) => {
      copy = { catalog, checkedAt: now(), wanted };
      return catalog;
    }).finally(() => { loading = undefined; });
    return loading;
  };
  return {
    async get(wanted = 0): Promise<JourneyCatalog> {
      if (!copy) return load(wanted);
      // Announced but not in the copy: load once for it (a revision that never comes is not reloaded for again and again).
      if (copy.catalog.revision < wanted && copy.wanted < wanted) return load(wanted);
      if (now() - copy.checkedAt < revisionCheckMs) return copy.catalog;
      const revision = await journeys.catalogRevision();
      if (revision === copy.catalog.revision) {
        copy.checkedAt = now();
        return copy.catalog;
      }
      return load(copy.wanted);
    },
  };
}

export type CatalogCache = ReturnType<typeof catalogCache>;

export function createJourneyActivities({ models, catalog }: { models: Models; catalog?: CatalogCache }) {
  const journeys = journeyRepository(models);
  const cache = catalog ?? catalogCache(journeys);
  return {
    /** The latest version of every active or paused journey, and the catalog revision it reflects. */
    async loadJourneyCatalog(): Promise<JourneyCatalog> {
      return journeys.catalog();
    },

    /** The journeys a customer enters now, and their next time-trigger wake-ups (see match.ts). */
    async matchJourneys(request: MatchRequest): Promise<MatchResult> {
      return matchCatalog(await cache.get(request.wanted), request);
    },
  };
}
