// Journey activities: what a customer's workflow reads of the journeys marketers publish.
import type { JourneyCatalog, JourneyStatus } from '../workflows/journeys/types.js';
import { journeyRepository } from './db/journeys.js';
import type { Models } from './db/models.js';

export function createJourneyActivities({ models }: { models: Models }) {
  const journeys = journeyRepository(models);
  return {
    /** The latest version of every active or paused journey, and the catalog revision it reflects. */
    async loadJourneyCatalog(): Promise<JourneyCatalog> {
      return journeys.catalog();
    },

    /** null when no such journey exists (deleted while still a draft). */
    async journeyStatus(id: string): Promise<JourneyStatus | null> {
      return journeys.status(id);
    },
  };
}
