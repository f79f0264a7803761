// Profiles and timelines: every read and write of `customers` and `events`, and the timeline's
// view of `messages`.
import type { CustomerEvent } from '../workflows/lifecycle/event.js';
import type { Stage } from '../workflows/lifecycle/rules.js';
import type { CustomerState } from '../workflows/lifecycle/state.js';
import { enrollmentSummary, leanJourneys, withoutPublishedPins } from '../workflows/journeys/engine.js';
import { isDuplicateKey } from './errors.js';
import type { CustomerDoc, EventDoc, Models } from './models.js';
import { dailyFigures, dayOf } from './report-days.js';

/** One line of a customer's timeline: something they did, or a message sent (or not) to them. */
export type TimelineEntry =
  | ({ type: 'event'; id: string; messageId: string; timestamp: Date } & Omit<EventDoc, '_id' | 'messageId' | 'customerId' | 'timestamp'>)
  | { type: 'message'; id: string; timestamp: Date; channel: string; template: string; priority: string; status: string; reason?: string; journeyId?: string; stepId?: string; campaignId?: string };

export function customerRepository({ customers, events, identities, messages, outbox, conversions, stageChanges, journeyEvents, reportDays, webhookReceipts, deferredIngests, outboundEvents }: Models) {
  const daily = dailyFigures(reportDays);
  return {
    /** Stores events once each (the customer and the messageId are the key), then the profile if it is newer. */
    /**
     * `writtenAt`: the workflow's time of this write. A workflow task that timed out and ran again
     * (with more signals by then) writes the same revision later in workflow time: that write wins,
     * and the abandoned attempt's, even arriving last, does not.
     */
    async save(state: CustomerState, applied: CustomerEvent[], writtenAt?: number): Promise<void> {
      if (applied.length > 0) {
        try {
          await events.insertMany(applied.map((e) => toEventDoc(state.customerId, e)), { ordered: false });
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
        }
      }
      // The customer's journey state rides along for restore (never the catalog, nor the published
      // versions' definitions: restore reads those back); `journeys` is the queryable summary.
      const { customerId, journeys, ...profile } = state;
      const journeyFields = journeys ? { journeys: enrollmentSummary(journeys), journeyState: withoutPublishedPins(leanJourneys(journeys)) } : {};
      try {
        // Only a newer revision replaces the stored one (or the same revision written later by a
        // rerun workflow task): a retried older write changes nothing.
        const rerun = writtenAt === undefined ? [] : [{ revision: state.revision, $or: [{ writtenAt: { $lt: writtenAt } }, { writtenAt: { $exists: false } }] }];
        await customers.updateOne(
          { _id: customerId, $or: [{ revision: { $lt: state.revision } }, { revision: { $exists: false } }, ...rerun] },
          { $set: { ...profile, ...journeyFields, ...(writtenAt !== undefined && { writtenAt }), updatedAt: new Date() } },
          { upsert: true },
        );
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    },

    /**
     * An event MongoDB refused to store as it was (the API's limits came after it, or it came by
     * another path): kept in the timeline by name and time, its content as (at most 64 KB of) text.
     */
    async setAside(customerId: string, e: CustomerEvent, reason: string): Promise<void> {
      let content: string;
      try { content = JSON.stringify({ properties: e.properties, traits: e.traits }).slice(0, 64 * 1024); } catch { content = '(not serialisable)'; }
      const { _id, ...doc }: EventDoc = {
        _id: `${customerId}:${e.messageId}`, messageId: e.messageId, customerId, kind: e.kind, ...(e.name !== undefined && { name: e.name.slice(0, 200) }),
        properties: {}, traits: {}, timestamp: new Date(Number.isFinite(Date.parse(e.timestamp)) ? e.timestamp : Date.now()), setAside: { reason: reason.slice(0, 500), content },
      };
      await events.updateOne({ _id }, { $set: doc }, { upsert: true });
    },

    /** Moves merged customers' timelines onto the survivor. */
    async adoptTimelines(customerId: string, fromIds: string[]): Promise<void> {
      if (fromIds.length === 0) return;
      await events.updateMany({ customerId: { $in: fromIds } }, { $set: { customerId } });
      await messages.updateMany({ customerId: { $in: fromIds } }, { $set: { customerId } });
      // Whom the channel report counts as reached changed on the days those messages were sent. Read
      // after the move, from the survivor's messages: a retry after a stop here finds them too.
      const sent = await messages.find({ customerId, sentAt: { $exists: true } }, { projection: { sentAt: 1 } }).toArray();
      await daily.markStale(sent.map((m) => daily.key('messages', dayOf(m.sentAt!))));
    },

    async find(customerId: string): Promise<CustomerDoc | null> {
      return customers.findOne({ _id: customerId });
    },

    async restore(customerId: string): Promise<CustomerState | null> {
      const doc = await customers.findOne({ _id: customerId });
      if (!doc) return null;
      const { _id, updatedAt: _updatedAt, writtenAt: _writtenAt, journeys: _summary, journeyState, ...rest } = doc;
      return { customerId: _id, ...rest, stage: rest.stage as Stage, ...(journeyState && { journeys: journeyState }) } as CustomerState;
    },

    /** The last messages sent (or not) to the customer, newest first. */
    async recentMessages(customerId: string, limit: number) {
      const docs = await messages.find({ customerId }).sort({ createdAt: -1, _id: -1 }).limit(limit).toArray();
      return docs.map((m) => ({
        id: m._id, channel: m.channel, template: m.template, status: m.status, ...(m.reason !== undefined && { reason: m.reason }),
        ...(m.journeyId !== undefined && { journeyId: m.journeyId, stepId: m.stepId }), ...(m.campaignId !== undefined && { campaignId: m.campaignId }), at: m.createdAt,
      }));
    },

    /** Events and messages, newest first; `before` is the cursor from the previous page. */
    async timeline(customerId: string, limit: number, before?: { timestamp: Date; id: string }): Promise<TimelineEntry[]> {
      const page = (field: string) => ({
        customerId,
        ...(before && { $or: [{ [field]: { $lt: before.timestamp } }, { [field]: before.timestamp, _id: { $lt: before.id } }] }),
      });
      const [evs, msgs] = await Promise.all([
        events.find(page('timestamp')).sort({ timestamp: -1, _id: -1 }).limit(limit).toArray(),
        messages.find(page('createdAt')).sort({ createdAt: -1, _id: -1 }).limit(limit).toArray(),
      ]);
      const entries: TimelineEntry[] = [
        ...evs.map(({ _id, customerId: _c, messageId, ...e }) => ({ type: 'event' as const, id: _id, messageId: messageId ?? _id, ...e })),
        ...msgs.map((m) => ({
          type: 'message' as const, id: m._id, timestamp: m.createdAt, channel: m.channel, template: m.template, priority: m.priority, status: m.status,
          ...(m.reason !== undefined && { reason: m.reason }), ...(m.journeyId !== undefined && { journeyId: m.journeyId, stepId: m.stepId }),
          ...(m.campaignId !== undefined && { campaignId: m.campaignId }),
        })),
      ];
      return entries.sort((x, y) => y.timestamp.getTime() - x.timestamp.getTime() || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0)).slice(0, limit);
    },

    /** The customer and every customer merged into it, at any depth (A into B into C: all three). */
    async mergedChain(customerId: string): Promise<string[]> {
      return (await mergedLevels(customerId)).flat();
    },

    /**
     * Erases the profile, the timeline, every identity, the report records, the outbox rows, the
     * webhook receipts, the deferred-ingest records and the outbound events not yet pruned, also those kept under the ids of customers
     * merged into this one at any depth, and the stored report figures that count them: nothing
     * of the person is kept. The profiles go last, deepest merge first, so a retry after a stop
     * part-way still finds every merged-away id; the report days are held until forgotten for the
     * same reason.
     */
    async erase(customerId: string): Promise<{ customers: number; events: number; identities: number; messages: number }> {
      const levels = await mergedLevels(customerId);
      const theirs = { customerId: { $in: levels.flat() } };
      const [sent, converted, moved, progressed] = await Promise.all([
        messages.find(theirs, { projection: { sentAt: 1 } }).toArray(),
        conversions.find(theirs, { projection: { at: 1 } }).toArray(),
        stageChanges.find(theirs, { projection: { at: 1 } }).toArray(),
        journeyEvents.find(theirs, { projection: { journeyId: 1, at: 1 } }).toArray(),
      ]);
      const days = await daily.hold(customerId, [
        ...sent.filter((m) => m.sentAt).map((m) => daily.key('messages', dayOf(m.sentAt!))),
        ...converted.map((c) => daily.key('conversions', dayOf(c.at))),
        ...moved.map((m) => daily.key('stages', dayOf(m.at))),
        ...progressed.map((p) => daily.key(`journey|${p.journeyId}`, dayOf(p.at))),
      ]);
      // Receipts by message too: a merged-away customer's messages now carry the survivor's id.
      const receipts = { $or: [theirs, { messageId: { $in: sent.map((m) => m._id) } }] };
      const [e, i, m] = await Promise.all([
        events.deleteMany(theirs),
        identities.deleteMany(theirs),
        messages.deleteMany(theirs),
        outbox.deleteMany(theirs),
        conversions.deleteMany(theirs),
        stageChanges.deleteMany(theirs),
        journeyEvents.deleteMany(theirs),
        webhookReceipts.deleteMany(receipts),
        deferredIngests.deleteMany(theirs),
        outboundEvents.deleteMany(theirs),
      ]);
      await daily.forget(customerId, days);
      let c = 0;
      for (const level of [...levels].reverse()) c += (await customers.deleteMany({ _id: { $in: level } })).deletedCount;
      return { customers: c, events: e.deletedCount, identities: i.deletedCount, messages: m.deletedCount };
    },
  };

  /**
   * The customer, then the customers merged into it, then those merged into them…: a profile
   * names its survivor (`mergedInto`) and the survivor names what it absorbed (`mergedFrom`), so
   * either half of a merge that was stopped part-way is enough. Each id once, whatever the cycles.
   */
  async function mergedLevels(customerId: string): Promise<string[][]> {
    const seen = new Set([customerId]);
    const levels = [[customerId]];
    for (let frontier = [customerId]; frontier.length > 0;) {
      const [into, own] = await Promise.all([
        customers.find({ mergedInto: { $in: frontier } }, { projection: { _id: 1 } }).toArray(),
        customers.find({ _id: { $in: frontier } }, { projection: { mergedFrom: 1 } }).toArray(),
      ]);
      const next = [...new Set([...into.map((c) => c._id), ...own.flatMap((c) => c.mergedFrom ?? [])])].filter((id) => !seen.has(id));
      for (const id of next) seen.add(id);
      if (next.length > 0) levels.push(next);
      frontier = next;
    }
    return levels;
  }
}

export type CustomerRepository = ReturnType<typeof customerRepository>;

function toEventDoc(customerId: string, e: CustomerEvent): EventDoc {
  return {
    _id: `${customerId}:${e.messageId}`,
    messageId: e.messageId,
    customerId,
    kind: e.kind,
    ...(e.name !== undefined && { name: e.name }),
    properties: e.properties,
    traits: e.traits,
    ...(e.channel !== undefined && { channel: e.channel }),
    timestamp: new Date(e.timestamp),
    ...(e.identities !== undefined && { identities: e.identities }),
  };
}
