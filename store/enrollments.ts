// Who is where in a journey, as the customers collection records it (`journeys`: EnrollmentSummary[]).
import type { Models } from './models.js';

export function enrollmentRepository({ customers }: Pick<Models, 'customers'>) {
  return {
    /** Ids of the customers recorded on this version of the journey, a batch at a time. */
    async *customersOn(journeyId: string, version: number, batchSize = 500): AsyncGenerator<string[]> {
      // $elemMatch: journey and version of the same enrollment, not of any two.
      const cursor = customers.find({ journeys: { $elemMatch: { journeyId, version } } }, { projection: { _id: 1 } }).batchSize(batchSize);
      let batch: string[] = [];
      for await (const doc of cursor) {
        batch.push(doc._id);
        if (batch.length === batchSize) { yield batch; batch = []; }
      }
      if (batch.length > 0) yield batch;
    },
  };
}

export type EnrollmentRepository = ReturnType<typeof enrollmentRepository>;
