// Where sends run: each channel has its own task queue beside the workflows' one, so that a
// provider's throughput (CHANNEL_SEND_RATES) is one Temporal rate limit shared by every worker, and
// transactional sends go ahead of marketing ones waiting there (Temporal's task priority).
import type { ActivityOptions } from '@temporalio/workflow';
import type { Channel, Priority } from './types.js';

/** The task queue of a channel's sends, next to the workflows' queue `taskQueue`. */
export const sendTaskQueue = (taskQueue: string, channel: Channel): string => `${taskQueue}-send-${channel}`;

/** Lower goes first; marketing takes Temporal's default middle key. */
export const sendPriority = (priority: Priority): NonNullable<ActivityOptions['priority']> => ({ priorityKey: priority === 'transactional' ? 1 : 3 });
