// How a broadcast reaches a customer: as a one-send journey entered by signal, once per
// occurrence, so that the customer's own arbiter (consent, caps, quiet hours) decides the send.
import type { CampaignBroadcast } from '../customer-contract.js';
import type { Channel, GroupRule } from '../messaging/types.js';
import { pinKey, type JourneysState } from '../journeys/state.js';

/** Always marketing: a broadcast never skips caps, quiet hours or consent as a transactional message would. */
export interface CampaignMessage {
  channel: Channel;
  template: string;
  /** A subscription group of the channel: customers out of it are not sent to. */
  group?: string;
}

/** Journey ids cannot contain `:`, so a broadcast's never collides with a published journey's. */
const prefix = 'campaign:';
/** A broadcast's one-send journey, not a marketer's: left out of journey reports and the ActiveJourneys attribute. */
export const isCampaignJourney = (journeyId: string): boolean => journeyId.startsWith(prefix);
/** Far longer than a broadcast runs (a resumed one re-signals within it); keeps a recurring campaign from growing the state forever. */
const rememberOccurrencesMs = 30 * 86_400_000;

export function campaignBroadcast(c: { campaignId: string; occurrence: string; segmentId: string; message: CampaignMessage; groups?: Record<string, GroupRule> }): CampaignBroadcast {
  const { channel, template, group } = c.message;
  return {
    campaignId: c.campaignId,
    occurrence: c.occurrence,
    definition: {
      id: `${prefix}${c.campaignId}`,
      // Unique per occurrence: each one is pinned, entered and remembered on its own.
      version: Date.parse(c.occurrence),
      name: `Campaign ${c.campaignId}`,
      // Never evaluated (a broadcast is entered by its signal, and is not in the catalog): names the audience.
      trigger: { type: 'segment', segment: c.segmentId },
      entry: 'send',
      steps: { send: { type: 'send', channel, template, priority: 'marketing', next: 'done', ...(group !== undefined && { group }) }, done: { type: 'exit' } },
      reentry: { mode: 'always' },
      onPause: 'exit',
      campaignId: c.campaignId,
      ...(c.groups && { groups: c.groups }),
    },
  };
}

/**
 * Enters the occurrence's journey unless this customer already entered it (the marker lives in
 * `history` under the enrollment id, which is also the send key's middle: one key per occurrence).
 */
export function enterCampaign(j: JourneysState, delivery: CampaignBroadcast, now: number): void {
  const def = delivery.definition;
  const id = pinKey(def.id, def.version);
  for (const [key, past] of Object.entries(j.history)) {
    if (key.startsWith(prefix) && past.lastEnteredAt < now - rememberOccurrencesMs) delete j.history[key];
  }
  if (j.history[id]) return;
  j.pinned[id] = def;
  j.enrollments.push({
    id, journeyId: def.id, version: def.version, stepId: def.entry, steps: 0, enteredAt: now, stepSince: now,
    context: { campaignId: delivery.campaignId, occurrence: delivery.occurrence }, sent: {},
  });
  j.history[id] = { entries: 1, lastEnteredAt: now };
}
