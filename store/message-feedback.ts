// What customers and providers tell us about a sent message: reads by send key or provider id,
// and idempotent writes of its reactions (a timestamp set once, a status that only moves forward).
import type { AnalyticsModels } from './analytics.js';
import type { MessageDoc, MessageModels, MessageStatus } from './messages.js';
import { dailyFigures, dayOf } from './report-days.js';

export type Reaction = 'delivered' | 'opened' | 'clicked' | 'bounced' | 'failed';

interface Step {
  status: MessageStatus;
  /** Statuses this reaction may move the message from: anything later, or terminal, stays. */
  from: MessageStatus[];
  stamp: 'deliveredAt' | 'openedAt' | 'clickedAt' | 'failedAt';
}

// `unknown` (a crash just as the message went out) is settled by the first receipt for it.
const steps: Record<Reaction, Step> = {
  delivered: { status: 'delivered', from: ['queued', 'unknown', 'sent'], stamp: 'deliveredAt' },
  opened: { status: 'opened', from: ['queued', 'unknown', 'sent', 'delivered'], stamp: 'openedAt' },
  clicked: { status: 'clicked', from: ['queued', 'unknown', 'sent', 'delivered', 'opened'], stamp: 'clickedAt' },
  // A bounce may follow an accepted hand-over ("delivered" to a relay); never a reaction.
  bounced: { status: 'bounced', from: ['queued', 'unknown', 'sent', 'delivered'], stamp: 'failedAt' },
  failed: { status: 'failed', from: ['queued', 'unknown', 'sent'], stamp: 'failedAt' },
};

const negative = (r: Reaction): boolean => r === 'bounced' || r === 'failed';

export function messageFeedbackRepository({ messages, reportDays }: MessageModels & Pick<AnalyticsModels, 'reportDays'>) {
  const daily = dailyFigures(reportDays);
  return {
    async find(messageId: string): Promise<MessageDoc | null> {
      return messages.findOne({ _id: messageId });
    },

    /** A provider names the message by our send key (its idempotency key) or by its own id. */
    async findForProvider(channel: string, ref: { messageId?: string; providerId?: string }): Promise<MessageDoc | null> {
      if (ref.messageId !== undefined) return messages.findOne({ _id: ref.messageId, channel });
      if (ref.providerId !== undefined) return messages.findOne({ providerId: ref.providerId, channel });
      return null;
    },

    /**
     * Records a reaction; repeating it changes nothing. A positive reaction keeps its earliest
     * time even when the status has moved past it; a bounce or failure is recorded (with its
     * reason) only while the message has not been reacted to.
     */
    async record(messageId: string, reaction: Reaction, at: Date, reason?: string): Promise<void> {
      const step = steps[reaction];
      const now = new Date();
      if (negative(reaction)) {
        await messages.updateOne(
          { _id: messageId, status: { $in: step.from } },
          { $set: { status: step.status, updatedAt: now, ...(reason !== undefined && { reason }) }, $min: { [step.stamp]: at } },
        );
        return;
      }
      const stamped = await messages.findOneAndUpdate({ _id: messageId }, { $min: { [step.stamp]: at }, $set: { updatedAt: now } }, { projection: { sentAt: 1 } });
      await messages.updateOne({ _id: messageId, status: { $in: step.from } }, { $set: { status: step.status } });
      // The channel report counts reactions on the day the message was sent (also when repeated: see report-days.ts).
      if (stamped?.sentAt) await daily.markStale([daily.key('messages', dayOf(stamped.sentAt))]);
    },
  };
}

export type MessageFeedbackRepository = ReturnType<typeof messageFeedbackRepository>;
