// An operator's deliberate "send again" of a message whose outcome is unknown (POST
// /v1/messages/:id/send-again): one send through the same ledger, on its channel's send queue,
// retried as sends are.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { Channel, Priority } from './messaging/types.js';
import { sendPriority, sendTaskQueue } from './messaging/queues.js';
import { messagingOptions } from './customer-options.js';

type Activities = ReturnType<typeof createActivities>;

export const sendAgainWorkflowId = (messageId: string): string => `send-again:${messageId}`;

export async function sendAgainWorkflow(messageId: string, channel: Channel, priority: Priority): ReturnType<Activities['sendAgain']> {
  const messaging = proxyActivities<Activities>({ ...messagingOptions, taskQueue: sendTaskQueue(workflowInfo().taskQueue, channel), priority: sendPriority(priority) });
  return messaging.sendAgain(messageId);
}
