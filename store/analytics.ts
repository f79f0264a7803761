// What the customer workflows record for reports: conversions with their attribution credits,
// lifecycle stage moves and journey progress. Each document's _id is derived from the workflow's
// own data, so a retried write stores it once.
import { Schema, type Connection, type Model } from 'mongoose';
import type { Collection } from 'mongodb';
import type { AttributionModel, Conversion, Touch } from '../workflows/attribution/types.js';
import type { JourneyProgress } from '../workflows/journeys/step-context.js';
import { isDuplicateKey } from './errors.js';
import { dailyFigures, dayOf, type ReportDayDoc } from './report-days.js';
import { collectionOf } from './collection.js';

/** A touch as stored: the workflow's Touch with its time as a date. */
export type TouchDoc = Omit<Touch, 'at'> & { at: Date };

/** One touch's share of one conversion's revenue under one model. */
export interface CreditDoc {
  model: AttributionModel;
  /** Index into the conversion's `touches`. */
  touch: number;
  channel: string;
  journeyId?: string;
  campaignId?: string;
  amount: number;
}

export interface ConversionDoc {
  /** `${customerId}:${messageId of the conversion event}`. */
  _id: string;
  customerId: string;
  /** The conversion event's name, e.g. `Order Completed`. */
  event: string;
  revenue: number;
  at: Date;
  /** Touches inside the lookback window, oldest first. Empty: an unattributed conversion. */
  touches: TouchDoc[];
  /** Every model's credits: per model, the amounts sum to `revenue` exactly. */
  credits: CreditDoc[];
}

export interface StageChangeDoc {
  /** `${customerId}:${revision}`. */
  _id: string;
  customerId: string;
  from: string;
  to: string;
  at: Date;
}

/** `converted`: a held-out customer reached the journey's goal within its window. */
export type JourneyEventType = JourneyProgress['type'];

export interface JourneyEventDoc {
  /** `${customerId}:${enrollmentId}:${steps}:${type}`. */
  _id: string;
  customerId: string;
  journeyId: string;
  version: number;
  enrollmentId: string;
  type: JourneyEventType;
  /** The step entered (entered, step). */
  stepId?: string;
  /** The A/B/n variant, or `holdout`, once assigned. */
  variant?: string;
  /** Why the customer left (exited): completed, goal, exit_criteria, holdout, paused, archived… */
  reason?: string;
  at: Date;
}

const touchSchema = new Schema<TouchDoc>({
  at: Date, kind: String, channel: String, journeyId: String, campaignId: String, stepId: String, messageKey: String, source: String, medium: String, campaign: String,
}, { _id: false });

const conversionSchema = new Schema<ConversionDoc>({
  _id: String,
  customerId: { type: String, required: true },
  event: String,
  revenue: Number,
  at: Date,
  touches: [touchSchema],
  credits: [new Schema<CreditDoc>({ model: String, touch: Number, channel: String, journeyId: String, campaignId: String, amount: Number }, { _id: false })],
}, { versionKey: false, minimize: false });
// Reports over a date range; a customer's conversions.
conversionSchema.index({ at: 1 });
conversionSchema.index({ customerId: 1, at: -1 });

const stageChangeSchema = new Schema<StageChangeDoc>({
  _id: String, customerId: String, from: String, to: String, at: Date,
}, { versionKey: false });
stageChangeSchema.index({ at: 1 });
// A customer's records, for erasure.
stageChangeSchema.index({ customerId: 1 });

const journeyEventSchema = new Schema<JourneyEventDoc>({
  _id: String, customerId: String, journeyId: String, version: Number, enrollmentId: String, type: String, stepId: String, variant: String, reason: String, at: Date,
}, { versionKey: false });
journeyEventSchema.index({ journeyId: 1, at: 1 });
journeyEventSchema.index({ customerId: 1 });

const reportDaySchema = new Schema<ReportDayDoc>({ _id: String, writes: Number, seen: Number, figures: Schema.Types.Mixed }, { versionKey: false, minimize: false });

export interface AnalyticsModels {
  Conversion: Model<ConversionDoc>;
  StageChange: Model<StageChangeDoc>;
  JourneyEvent: Model<JourneyEventDoc>;
  conversions: Collection<ConversionDoc>;
  stageChanges: Collection<StageChangeDoc>;
  journeyEvents: Collection<JourneyEventDoc>;
  /** Report figures per day (see report-days.ts). */
  reportDays: Collection<ReportDayDoc>;
}

export function createAnalyticsModels(connection: Connection): AnalyticsModels {
  const Conversion = connection.model<ConversionDoc>('Conversion', conversionSchema, 'conversions');
  const StageChange = connection.model<StageChangeDoc>('StageChange', stageChangeSchema, 'stage_changes');
  const JourneyEvent = connection.model<JourneyEventDoc>('JourneyEvent', journeyEventSchema, 'journey_events');
  const ReportDay = connection.model<ReportDayDoc>('ReportDay', reportDaySchema, 'report_days');
  return {
    Conversion, StageChange, JourneyEvent,
    conversions: collectionOf(Conversion),
    stageChanges: collectionOf(StageChange),
    journeyEvents: collectionOf(JourneyEvent),
    reportDays: collectionOf(ReportDay),
  };
}

/** What one profile write of a customer's workflow adds to the report collections. */
export interface AnalyticsRecords {
  customerId: string;
  revision: number;
  conversions?: Conversion[];
  stageChange?: { from: string; to: string; at: number };
  journeyProgress?: JourneyProgress[];
}

export function analyticsRepository({ conversions, stageChanges, journeyEvents, reportDays }: AnalyticsModels) {
  const daily = dailyFigures(reportDays);
  /** Inserts each document once: a retried activity finds its earlier writes as duplicate keys. */
  async function insertOnce<T extends { _id: string }>(collection: Collection<T>, docs: T[]): Promise<void> {
    if (docs.length === 0) return;
    try {
      await collection.insertMany(docs as never, { ordered: false });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }
  return {
    async record({ customerId, revision, conversions: converted = [], stageChange, journeyProgress = [] }: AnalyticsRecords): Promise<void> {
      await insertOnce(conversions, converted.map((c) => conversionDoc(customerId, c)));
      if (stageChange) {
        await insertOnce(stageChanges, [{ _id: `${customerId}:${revision}`, customerId, from: stageChange.from, to: stageChange.to, at: new Date(stageChange.at) }]);
      }
      await insertOnce(journeyEvents, journeyProgress.map((p) => ({
        _id: `${customerId}:${p.enrollmentId}:${p.steps}:${p.type}`, customerId, journeyId: p.journeyId, version: p.version, enrollmentId: p.enrollmentId,
        type: p.type, ...(p.stepId !== undefined && { stepId: p.stepId }), ...(p.variant !== undefined && { variant: p.variant }),
        ...(p.reason !== undefined && { reason: p.reason }), at: new Date(p.at),
      })));
      // Also on a retry that found them stored: the first attempt may have stopped before this.
      await daily.markStale([
        ...converted.map((c) => daily.key('conversions', dayOf(c.at))),
        ...(stageChange ? [daily.key('stages', dayOf(stageChange.at))] : []),
        ...journeyProgress.map((p) => daily.key(`journey|${p.journeyId}`, dayOf(p.at))),
      ]);
    },

  };
}

export function conversionDoc(customerId: string, c: Conversion): ConversionDoc {
  const touches = c.touches.map(({ at, ...t }) => ({ ...t, at: new Date(at) }));
  return {
    _id: `${customerId}:${c.messageId}`, customerId, event: c.event, revenue: c.revenue, at: new Date(c.at), touches,
    credits: c.credits.map(({ model, touch, amount }) => {
      const t = c.touches[touch]!;
      return { model, touch, channel: t.channel, ...(t.journeyId !== undefined && { journeyId: t.journeyId }), ...(t.campaignId !== undefined && { campaignId: t.campaignId }), amount };
    }),
  };
}
