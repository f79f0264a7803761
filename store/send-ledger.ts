// The send ledger: each logical send's `messages` document, written before and after the
// provider call so that a retried or concurrent send never reaches the provider twice.
// The state machine it implements is described in activities/messaging.ts.
import type { SendOutcome, SendRequest, SuppressedSend } from '../workflows/messaging/types.js';
import type { AnalyticsModels } from './analytics.js';
import { isDuplicateKey } from './errors.js';
import type { MessageDoc, MessageModels } from './messages.js';
import { dailyFigures, dayOf } from './report-days.js';

/** The outcome already stored for a send, or undefined while it is still queued. */
export function outcomeOf(doc: MessageDoc): SendOutcome | undefined {
  switch (doc.status) {
    case 'queued': return undefined;
    case 'failed': case 'suppressed': return { status: 'failed', messageId: doc._id, reason: doc.reason ?? doc.status };
    case 'unknown': return { status: 'unknown', messageId: doc._id, reason: 'outcome_unknown' };
    default: return { status: 'sent', messageId: doc._id, ...(doc.providerId !== undefined && { providerId: doc.providerId }) };
  }
}

const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

function describe(req: Omit<SendRequest, 'variables'>) {
  return defined({
    customerId: req.customerId, channel: req.channel, template: req.template, priority: req.priority, locale: req.locale,
    journeyId: req.journeyId, journeyVersion: req.journeyVersion, stepId: req.stepId, campaignId: req.campaignId,
    requestedAt: req.requestedAt === undefined ? undefined : new Date(req.requestedAt),
    to: req.to,
    decidedAt: req.decidedAt === undefined ? undefined : new Date(req.decidedAt),
  });
}

/**
 * A message is dated in the clock of whoever decided it (the journey's workflow time, which a
 * time-skipping test or a backlog may set apart from the worker's), so that the timeline shows a
 * send held by quiet hours at the hour they ended; the wall clock when none is given.
 */
const createdAt = (req: Pick<SendRequest, 'requestedAt'>, now: Date): Date => {
  const at = req.requestedAt === undefined ? Number.NaN : Date.parse(req.requestedAt);
  return Number.isFinite(at) ? new Date(at) : now;
};

export interface Claim {
  /** This attempt's number (1 for the first). */
  attempt: number;
  /** An earlier attempt may have reached the customer: a provider that cannot dedupe must not send. */
  mayHaveDelivered: boolean;
}

export function sendLedger({ messages, reportDays }: MessageModels & Pick<AnalyticsModels, 'reportDays'>) {
  const daily = dailyFigures(reportDays);
  /** The channel report counts messages by the day they were sent. */
  const markSentDayStale = (doc: Pick<MessageDoc, 'sentAt'> | null): Promise<void> => (doc?.sentAt ? daily.markStale([daily.key('messages', dayOf(doc.sentAt))]) : Promise.resolve());

  /** Inserts the document if missing; a concurrent insert of the same key wins and is kept. */
  async function insertOnce(key: string, fields: Partial<MessageDoc>): Promise<MessageDoc> {
    for (let attempt = 0; ; attempt++) {
      try {
        const doc = await messages.findOneAndUpdate({ _id: key }, { $setOnInsert: fields }, { upsert: true, returnDocument: 'after' });
        return doc!;
      } catch (err) {
        if (!isDuplicateKey(err) || attempt >= 2) throw err;
      }
    }
  }

  const find = (key: string): Promise<MessageDoc | null> => messages.findOne({ _id: key });

  return {
    find,

    /** The send's document, created `queued` with no attempt the first time the key is seen. */
    async open(req: SendRequest): Promise<MessageDoc> {
      const now = new Date();
      const doc = await insertOnce(req.key, { ...describe(req), status: 'queued', links: [], attempts: 0, attemptsEnded: 0, recordsNoReturn: true, createdAt: createdAt(req, now), updatedAt: now });
      // A retried send found already sent: the attempt that sent it may have stopped before counting it.
      await markSentDayStale(doc);
      return doc;
    },

    /**
     * Claims one provider attempt: its number, and whether an earlier one may have delivered (it
     * passed its point of no return, or, on documents from before the mark, it never ended).
     * Null when the send is no longer queued.
     */
    async claim(key: string, links: string[]): Promise<Claim | null> {
      const before = await messages.findOneAndUpdate(
        { _id: key, status: 'queued' },
        { $inc: { attempts: 1 }, $set: { links, updatedAt: new Date() } },
        { returnDocument: 'before' },
      );
      if (!before) return null;
      const earlierOpen = before.recordsNoReturn ? before.pastNoReturn !== undefined : before.attempts > (before.attemptsEnded ?? 0);
      return { attempt: before.attempts + 1, mayHaveDelivered: earlierOpen };
    },

    /**
     * Records that the attempt is at its point of no return, naming the provider's id for the
     * message (so that a receipt finds it whatever happens next). Refused, and the attempt must
     * abort, when a later attempt has claimed the send meanwhile.
     */
    async passNoReturn(key: string, attempt: number, providerId: string): Promise<void> {
      const res = await messages.updateOne(
        { _id: key, status: 'queued', attempts: attempt, pastNoReturn: { $exists: false } },
        { $set: { pastNoReturn: attempt, providerId, noReturnAt: new Date(), updatedAt: new Date() } },
      );
      if (res.matchedCount === 0) throw new Error(`send ${key}: attempt ${attempt} was superseded by a later one`);
    },

    /** The attempt ended without reaching the customer (a retryable error): the next may go. */
    async release(key: string, attempt: number, detail: string): Promise<void> {
      await messages.updateOne({ _id: key, status: 'queued' }, { $inc: { attemptsEnded: 1 }, $set: { detail, updatedAt: new Date() } });
      await messages.updateOne({ _id: key, status: 'queued', pastNoReturn: attempt }, { $unset: { pastNoReturn: '' } });
    },

    /**
     * The provider took it. Also corrects an `unknown` made by a concurrent attempt meanwhile.
     * `noReturnAt`: when the point of no return was recorded (acknowledged), kept so that the
     * window in which a crash leaves a send unknown (to `sentAt`) can be measured.
     */
    async sent(key: string, providerId: string, noReturnAt?: Date): Promise<SendOutcome> {
      const now = new Date();
      const res = await messages.updateOne(
        { _id: key, $or: [{ status: { $in: ['queued', 'unknown'] } }, { status: 'failed', reason: 'outcome_unknown' }] },
        { $set: { status: 'sent', providerId, sentAt: now, updatedAt: now, ...(noReturnAt && { noReturnAt }) }, $unset: { reason: '', failedAt: '', pastNoReturn: '', variables: '' } },
      );
      // A receipt may already have moved it on (delivered, opened…): keep that, add the facts.
      const stored = res.matchedCount === 0
        ? await messages.findOneAndUpdate({ _id: key }, { $set: { providerId }, $min: { sentAt: now } }, { returnDocument: 'after', projection: { sentAt: 1 } })
        : { sentAt: now };
      await markSentDayStale(stored);
      return { status: 'sent', messageId: key, providerId };
    },

    /**
     * An earlier attempt may have delivered and the provider cannot dedupe: the send becomes
     * `unknown`, keeping what an operator needs to send it again. A send settled meanwhile keeps its outcome.
     */
    async unknown(key: string, variables: Record<string, unknown>, detail: string): Promise<SendOutcome> {
      const now = new Date();
      const res = await messages.updateOne(
        { _id: key, status: 'queued' },
        { $set: { status: 'unknown', reason: 'outcome_unknown', unknownAt: now, variables, detail, updatedAt: now } },
      );
      const settled = res.matchedCount === 0 ? await find(key) : null;
      return (settled && outcomeOf(settled)) ?? { status: 'unknown', messageId: key, reason: 'outcome_unknown' };
    },

    /**
     * An operator's deliberate "send again" of an unknown send: queued afresh with no attempt
     * open. The document as it now is; unchanged unless it was unknown.
     */
    async reopen(key: string): Promise<MessageDoc | null> {
      const doc = await find(key);
      if (doc?.status !== 'unknown') return doc;
      const now = new Date();
      await messages.updateOne(
        { _id: key, status: 'unknown', attempts: doc.attempts },
        { $set: { status: 'queued', attemptsEnded: doc.attempts, recordsNoReturn: true, sentAgainAt: now, updatedAt: now }, $unset: { pastNoReturn: '', reason: '' } },
      );
      return find(key);
    },

    /** A permanent failure: recorded once; a send settled meanwhile keeps its outcome. */
    async failed(key: string, reason: string, detail?: string): Promise<SendOutcome> {
      const now = new Date();
      const res = await messages.updateOne(
        { _id: key, status: 'queued' },
        { $set: { status: 'failed', reason, failedAt: now, updatedAt: now, ...(detail !== undefined && { detail }) }, $unset: { pastNoReturn: '' } },
      );
      const settled = res.matchedCount === 0 ? await find(key) : null;
      return (settled && outcomeOf(settled)) ?? { status: 'failed', messageId: key, reason };
    },

    /** A send the workflow decided not to make; recording it twice keeps the first. */
    async suppressed(s: SuppressedSend): Promise<void> {
      const now = new Date();
      await insertOnce(s.key, { ...describe(s), status: 'suppressed', reason: s.reason, links: [], attempts: 0, attemptsEnded: 0, createdAt: createdAt(s, now), updatedAt: now });
    },
  };
}

