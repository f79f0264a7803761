// One lane of one event endpoint (api/event-endpoints): delivers the lane's outbound events in
// order, run after run, until the endpoint is deleted or disabled. A failed delivery is retried
// by Temporal with exponential backoff (the worker's EVENT_STREAM_RETRY_* settings), so a lane
// that waits for its endpoint writes nothing to its history until the endpoint answers again;
// other endpoints and lanes are other workflows, never held by it.
import { continueAsNew, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { LaneInput } from '../activities/event-stream/deliver.js';

type Activities = ReturnType<typeof createActivities>;

export const eventLaneWorkflowId = (endpointId: string, lane: number): string => `event-endpoint-${endpointId}-lane-${lane}`;
/** The delivery activities' own task queue: long-polling lanes never take the customers' activity slots. */
export const eventsTaskQueue = (taskQueue: string): string => `${taskQueue}-events`;

const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds' });
/** Each run is about one activity a minute (ten seconds when idle): continue as new well before the history grows. */
const maxHistoryPerRun = 1000;

export async function eventLaneWorkflow(input: LaneInput): Promise<{ stopped: 'deleted' | 'disabled' }> {
  // The worker's settings, read once a run: a change applies from the next run on.
  const settings = await local.eventLaneSettings();
  const lane = proxyActivities<Activities>({
    taskQueue: eventsTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: settings.startToCloseMs,
    heartbeatTimeout: settings.heartbeatMs,
    retry: { initialInterval: settings.retry.initialMs, maximumInterval: settings.retry.maxMs, backoffCoefficient: settings.retry.coefficient },
  });
  for (;;) {
    const result = await lane.deliverEventLane(input);
    if (result.stopped) return { stopped: result.stopped };
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= maxHistoryPerRun) await continueAsNew<typeof eventLaneWorkflow>(input);
  }
}
