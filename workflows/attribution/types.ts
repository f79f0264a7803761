// Attribution: which touches earned a conversion. Types only: shared by the workflow (which
// records touches and credits conversions) and the activities that store them.

export const attributionModels = ['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based'] as const;
export type AttributionModel = (typeof attributionModels)[number];

/** A message sent, opened or clicked, or an inbound event that came with campaign context (UTM). */
export type TouchKind = 'sent' | 'opened' | 'clicked' | 'inbound';

export interface Touch {
  /** Epoch ms. */
  at: number;
  kind: TouchKind;
  channel: string;
  journeyId?: string;
  campaignId?: string;
  stepId?: string;
  /** The message's send key (sent, opened, clicked). */
  messageKey?: string;
  /** UTM source / medium / campaign of an inbound event. */
  source?: string;
  medium?: string;
  campaign?: string;
}

export interface Credit {
  model: AttributionModel;
  /** Index into the conversion's touches. */
  touch: number;
  amount: number;
}

export interface Conversion {
  /** The conversion event's messageId. */
  messageId: string;
  event: string;
  revenue: number;
  /** Epoch ms. */
  at: number;
  /** The touches inside the lookback window, oldest first. */
  touches: Touch[];
  /** Every model's credits; per model they sum to `revenue` exactly (to the cent). */
  credits: Credit[];
}

export interface AttributionSettings {
  /** Events that count as conversions; empty means the lifecycle's order event. */
  conversionEvents: string[];
  /** Touches older than this before a conversion earn nothing. */
  lookbackDays: number;
  /** Time decay: a touch this long before the conversion weighs half as much as one at it. */
  halfLifeDays: number;
}

export const defaultAttribution: AttributionSettings = { conversionEvents: [], lookbackDays: 30, halfLifeDays: 7 };
