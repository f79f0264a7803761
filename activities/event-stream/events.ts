// The events each producing write emits, built from what that write already holds. Keys repeat
// the natural ids of the documents they come from (a conversion's, a stage change's…).
import type { AnalyticsRecords } from '../../store/analytics.js';
import { conversionDoc } from '../../store/analytics.js';
import type { MessageDoc } from '../../store/messages.js';
import type { SendRequest } from '../../workflows/messaging/types.js';
import type { OutboundEvent } from './types.js';

type MessageFacts = Pick<MessageDoc, '_id' | 'customerId' | 'channel' | 'template'> & Partial<Pick<MessageDoc, 'priority' | 'journeyId' | 'journeyVersion' | 'stepId' | 'campaignId'>>;
export type MessageEventType = 'message.sent' | 'message.delivered' | 'message.opened' | 'message.clicked' | 'message.bounced';

const defined = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** A message reaching a status, once per message and status (the first open, the first click…). */
export function messageEvent(type: MessageEventType, m: MessageFacts, at: Date, extra: Record<string, unknown> = {}): OutboundEvent {
  return {
    type, key: `${type}:${m._id}`, customerId: m.customerId, at,
    data: defined({
      // A transactional send to someone who is not a customer belongs to no customer.
      customerId: m.customerId || null, messageId: m._id, channel: m.channel, template: m.template, priority: m.priority,
      journeyId: m.journeyId, journeyVersion: m.journeyVersion, stepId: m.stepId, campaignId: m.campaignId, ...extra,
    }),
  };
}

export const sentEvent = (req: SendRequest, providerId: string | undefined, at: Date): OutboundEvent =>
  messageEvent('message.sent', { ...req, _id: req.key }, at, { providerId });

/** What one profile write of a customer's workflow records: conversions, a stage move, journeys entered and left. */
export function recordEvents({ customerId, revision, conversions = [], stageChange, journeyProgress = [] }: AnalyticsRecords): OutboundEvent[] {
  const events: OutboundEvent[] = [];
  for (const c of conversions) {
    const doc = conversionDoc(customerId, c);
    events.push({
      type: 'conversion', key: `conversion:${doc._id}`, customerId, at: doc.at,
      data: { customerId, conversionId: c.messageId, event: doc.event, revenue: doc.revenue, touches: doc.touches.length, credits: doc.credits },
    });
  }
  if (stageChange) {
    events.push({ type: 'stage.changed', key: `stage.changed:${customerId}:${revision}`, customerId, at: new Date(stageChange.at), data: { customerId, from: stageChange.from, to: stageChange.to } });
  }
  for (const p of journeyProgress) {
    if (p.type !== 'entered' && p.type !== 'exited') continue;
    const type = p.type === 'entered' ? 'journey.entered' : 'journey.exited';
    events.push({
      type, key: `${type}:${customerId}:${p.enrollmentId}:${p.steps}`, customerId, at: new Date(p.at),
      data: defined({ customerId, journeyId: p.journeyId, version: p.version, enrollmentId: p.enrollmentId, stepId: p.stepId, variant: p.variant, reason: p.reason }),
    });
  }
  return events;
}

/** A customer folded into an older one: the last event of the merged-away customer. */
export const mergedEvent = (customerId: string, survivorId: string, at: Date): OutboundEvent => ({
  type: 'customer.merged', key: `customer.merged:${customerId}`, customerId, at, data: { customerId, mergedInto: survivorId },
});
