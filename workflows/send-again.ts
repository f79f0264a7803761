// An operator's deliberate "send again" of a message whose outcome is unknown (POST
// /v1/messages/:id/send-again): one send through the same ledger, retried as sends are.
import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { messagingOptions } from './customer-options.js';

const messaging = proxyActivities<ReturnType<typeof createActivities>>(messagingOptions);

export const sendAgainWorkflowId = (messageId: string): string => `send-again:${messageId}`;

export async function sendAgainWorkflow(messageId: string): ReturnType<ReturnType<typeof createActivities>['sendAgain']> {
  return messaging.sendAgain(messageId);
}
