// The reference a customer's workflow is measured against (`npm run bench`, cost per event): one
// signal, one activity upserting one MongoDB document, nothing else.
import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createMinimalActivities } from './minimal-worker.js';

export const touchSignal = defineSignal<[string]>('touch');
const { upsertOne } = proxyActivities<ReturnType<typeof createMinimalActivities>>({ startToCloseTimeout: '30 seconds' });

export async function minimalWorkflow(id: string): Promise<void> {
  let received: string | undefined;
  setHandler(touchSignal, (value) => { received = value; });
  await condition(() => received !== undefined);
  await upsertOne(id, received!);
  // Stays open, like a customer waiting for their next event.
  await condition(() => false);
}
