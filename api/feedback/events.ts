// A customer's reaction to a message, as the event their workflow receives. Each event's
// messageId is derived from the message, so the same reaction reported twice is applied once.
import type { CustomerEvent } from '../../workflows/lifecycle/event.js';
import type { MessageDoc } from '../../store/messages.js';

export type MessageRef = Pick<MessageDoc, '_id' | 'channel' | 'journeyId' | 'stepId' | 'campaignId'>;

export const reactionIds = {
  opened: (m: string) => `open:${m}`,
  clicked: (m: string, link: number) => `click:${m}:${link}`,
  unsubscribed: (m: string) => `unsubscribe:${m}`,
  delivered: (m: string) => `delivered:${m}`,
  bounced: (m: string) => `bounced:${m}`,
  failed: (m: string) => `failed:${m}`,
  replied: (m: string, receiptId: string) => `reply:${m}:${receiptId}`,
};

export function reactionEvent(
  name: string,
  messageId: string,
  message: MessageRef,
  at: Date,
  extra: Record<string, unknown> = {},
): CustomerEvent {
  const { _id, channel, journeyId, stepId, campaignId } = message;
  return {
    messageId,
    kind: 'track',
    name,
    properties: {
      messageId: _id,
      channel,
      ...(journeyId !== undefined && journeyId !== null && { journeyId }),
      ...(stepId !== undefined && stepId !== null && { stepId }),
      ...(campaignId !== undefined && campaignId !== null && { campaignId }),
      ...extra,
    },
    traits: {},
    timestamp: at.toISOString(),
    channel,
  };
}
