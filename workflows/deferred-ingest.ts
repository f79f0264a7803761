// Events accepted while MongoDB was away: Temporal holds them here until identity resolution
// can run again, then they go to their customers' workflows like any others.
import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { Normalised } from '../activities/routing.js';

// Retries never stop: an accepted event is never dropped, however long the outage.
const delivery = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

export async function deferredIngestWorkflow(items: Normalised[]): Promise<{ customers: number }> {
  return delivery.deliverDeferred(items);
}
