// One transactional message sent now (POST /v1/messages): through the same send ledger as every
// send, on its channel's send queue ahead of marketing ones, retried as sends are, outside any
// customer's workflow (no caps, no quiet hours).
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { SendOutcome, SendRequest } from './messaging/types.js';
import { sendPriority, sendTaskQueue } from './messaging/queues.js';
import { messagingOptions } from './customer-options.js';

export const transactionalWorkflowId = (key: string): string => `message:${key}`;

export async function transactionalSendWorkflow(request: SendRequest): Promise<SendOutcome> {
  const messaging = proxyActivities<ReturnType<typeof createActivities>>({
    ...messagingOptions, taskQueue: sendTaskQueue(workflowInfo().taskQueue, request.channel), priority: sendPriority(request.priority),
  });
  return messaging.sendMessage(request);
}
