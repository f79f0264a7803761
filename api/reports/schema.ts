// Reports as the API takes and answers them: a date range [from, to) and, for channels, the
// attribution model whose credits are counted.
import { z } from 'zod';
import { attributionModels } from '../../workflows/attribution/types.js';

// The answer repeats the range's edges as ISO instants, whose years have four digits: an offset
// must not move an edge out of them.
export const Instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()])
  .refine((v) => Date.parse(v) >= 0 && Date.parse(v) < Date.UTC(9999, 11, 31), 'a date from 1970-01-01 to 9999-12-30')
  .meta({ description: 'an ISO 8601 date (midnight UTC) or instant', examples: ['2026-03-01'] });

const range = { from: Instant.meta({ description: 'the first instant counted' }), to: Instant.meta({ description: 'the end of the range, not counted', examples: ['2026-04-01'] }) };
export const inOrder = (q: { from: string; to: string }): boolean => Date.parse(q.from) < Date.parse(q.to);
export const afterFrom = { path: ['to'], message: 'must be after from' };
/** Figures are kept per day (store/report-days.ts): a report reads at most three years of them. */
export const maxRangeDays = 1096;
const notTooLong = (q: { from: string; to: string }): boolean => Date.parse(q.to) - Date.parse(q.from) <= maxRangeDays * 86_400_000;
const withinMax = { path: ['to'], message: `at most ${maxRangeDays} days after from` };

export const RangeQuery = z.object(range).refine(inOrder, afterFrom).refine(notTooLong, withinMax);
export const ChannelQuery = z.object({
  ...range,
  model: z.enum(attributionModels).default('last_touch').meta({ description: 'whose credits count as conversions and revenue' }),
}).refine(inOrder, afterFrom).refine(notTooLong, withinMax);

const count = z.number().int().min(0);
const money = z.number().meta({ description: 'rounded to cents' });
const cost = z.number().min(0).nullable();
/** null where the denominator is zero: nothing to divide by. */
const ratio = z.number().min(0).nullable();
const period = { from: z.iso.datetime(), to: z.iso.datetime() };

export const ChannelReport = z.object({
  ...period,
  model: z.enum(attributionModels),
  channels: z.array(z.object({
    channel: z.string(),
    reached: count.meta({ description: 'distinct customers sent a message (sentAt in the range)' }),
    sent: count.meta({ description: 'messages with sentAt in the range' }),
    transactional: count.meta({ description: 'of `sent`, the transactional ones (a journey step or POST /v1/messages with priority transactional)' }),
    delivered: count, opened: count, clicked: count,
    converted: count.meta({ description: 'conversions in the range with a credit for this channel under the model' }),
    conversionRate: ratio.meta({ description: 'converted / reached; can pass 1, as a customer may convert more than once' }),
    revenue: money.meta({ description: "the model's credits for this channel" }),
    cost: cost.meta({ description: 'sent × CHANNEL_COSTS for the channel (to a hundredth of a cent); null when none is configured' }),
    costPerConversion: cost.meta({ description: 'cost / converted (to a hundredth of a cent); null without a cost or a conversion' }),
  })).meta({ description: 'by channel name' }),
  unattributed: z.object({ conversions: count, revenue: money }).meta({ description: 'conversions in the range without a touch to credit' }),
}).meta({ id: 'ChannelReport' });

const pValue = z.number().min(0).max(1).nullable().meta({ description: 'two-proportion z-test against the holdout, two-sided' });
const significant = z.boolean().nullable().meta({ description: 'pValue < 0.05' });

const WindowComparison = z.object({
  converted: count.meta({ description: "reached the goal within the conversion window (the goal's `within`, default 30 days, from entering), inside the journey or after leaving it" }),
  conversionRate: ratio.meta({ description: 'converted / customers' }),
  uplift: z.number().nullable().meta({ description: "(rate − holdout's rate) / holdout's rate; null for the holdout or without one" }),
  pValue,
  significant,
}).meta({ id: 'WindowComparison', description: 'conversions within the window, as Braze and Customer.io count a funnel: the same window for each arm and the holdout' });

export const JourneyReport = z.object({
  journeyId: z.string(),
  ...period,
  goal: z.string().nullable().meta({ description: "the latest version's goal event" }),
  conversionWindow: z.string().nullable().meta({ description: "the latest version's conversion window (its goal's `within`, default \"30 days\"); null without a goal", examples: ['30 days'] }),
  entered: count.meta({ description: 'distinct customers who entered in the range' }),
  goalRate: ratio.meta({ description: 'customers who left on reaching the goal / entered' }),
  exitedOnGoal: count.meta({ description: 'distinct customers who left the journey on reaching the goal in the range' }),
  convertedWithinWindow: count.meta({ description: 'distinct customers who reached the goal in the range within the window from entering, inside the journey or after leaving it (no reaction, exit criteria, end of steps, a migration); the holdout included' }),
  windowConversionRate: ratio.meta({ description: 'convertedWithinWindow / entered' }),
  steps: z.array(z.object({ stepId: z.string(), customers: count })).meta({ description: 'distinct customers at each step, in the order of the journey' }),
  exited: z.array(z.object({ reason: z.string(), customers: count })).meta({ description: 'distinct customers who left, by reason' }),
  variants: z.array(z.object({
    variant: z.string(),
    customers: count,
    converted: count.meta({ description: "left on reaching the goal; for the holdout, reached it within the goal's window (the first reading, kept as it was: `withinWindow` compares like with like)" }),
    conversionRate: ratio,
    uplift: z.number().nullable().meta({ description: "(rate − holdout's rate) / holdout's rate; null for the holdout or without one" }),
    pValue,
    significant,
    exitedOnGoal: count.meta({ description: 'left the journey on reaching the goal; 0 for the holdout, who left at the split' }),
    withinWindow: WindowComparison,
  })).meta({ description: 'A/B/n variants by name, then the holdout' }),
  now: z.object({
    customers: count.meta({ description: 'customers in the journey now, on any version' }),
    steps: z.array(z.object({ version: z.number().int().min(1), stepId: z.string(), customers: count }))
      .meta({ description: 'customers at each step now, by version (newest first), then in the order of that version\'s journey; steps nobody is at are left out' }),
  }).meta({ description: "who is in the journey now, whatever the range: each customer's place as their workflow last stored it with the profile (a wait's customers stay at the wait until it ends)" }),
}).meta({ id: 'JourneyReport' });

export const LifecycleReport = z.object({
  ...period,
  stages: z.array(z.object({ stage: z.string(), customers: count })).meta({ description: 'customers at each stage now (merged-away ones left out), up the ladder' }),
  moves: z.array(z.object({ from: z.string(), to: z.string(), moves: count })).meta({ description: 'stage changes in the range, most first' }),
}).meta({ id: 'LifecycleReport' });

export type ChannelReport = z.input<typeof ChannelReport>;
export type JourneyReport = z.input<typeof JourneyReport>;
export type LifecycleReport = z.input<typeof LifecycleReport>;
