// What every customer run shares, the lean one (customer.ts) and the frozen one (legacy/): how
// its activities are called and when a run is full.
import { proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { sendPriority, sendTaskQueue } from './messaging/queues.js';
import type { Channel, Priority } from './messaging/types.js';

type Activities = ReturnType<typeof createActivities>;

// Profile writes wait out a MongoDB outage (retries never stop) rather than lose an event.
export const profileOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
} satisfies ActivityOptions;
export const profile = proxyActivities<Activities>(profileOptions);

// Sends retry provider hiccups for about a day; permanent failures come back as outcomes.
export const messagingOptions = {
  startToCloseTimeout: '1 minute',
  // sendMessage heartbeats every 3 s: a dead worker's send is retried after 10 s, not a minute.
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 150, nonRetryableErrorTypes: ['PermanentDeliveryError'] },
} satisfies ActivityOptions;
export const messaging = proxyActivities<Activities>(messagingOptions);

/** The send activities on a channel's send queue (messaging/queues.ts), with the send's priority there. */
export const channelMessaging = (channel: Channel, priority: Priority) =>
  proxyActivities<Activities>({ ...messagingOptions, taskQueue: sendTaskQueue(workflowInfo().taskQueue, channel), priority: sendPriority(priority) });

/**
 * A run continues as new past these bounds (or when the server suggests it): well under the
 * server's 10,000 signals and 51,200 events, and short enough that a replay after cache eviction
 * stays cheap.
 */
const maxSignalsPerRun = 500;
const maxHistoryPerRun = 2000;

export function runIsFull(signals: number): boolean {
  const info = workflowInfo();
  return signals >= maxSignalsPerRun || info.historyLength >= maxHistoryPerRun || info.continueAsNewSuggested;
}
