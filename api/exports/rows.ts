// The columns of each export, and a stored document as one or more rows of them.
import { scoreFields } from '../../workflows/segments/conditions.js';
import type { ConversionDoc } from '../../store/analytics.js';
import type { ExportedMessage, MemberRecord } from '../../store/exports.js';

export type Cell = string | number | boolean | Date | null | undefined | Record<string, unknown> | unknown[];

export const memberColumns = (traits: string[]): string[] =>
  ['customerId', 'identities', 'stage', 'tier', ...scoreFields.map((s) => `scores.${s}`), ...traits.map((t) => `traits.${t}`)];

export const memberRow = ({ customer, identities }: MemberRecord, traits: string[]): Cell[] => [
  customer._id, identities.join(';'), customer.stage, customer.tier,
  ...scoreFields.map((s) => customer.scores?.[s]),
  ...traits.map((t) => customer.traits?.[t] as Cell),
];

const messageFields = [
  'customerId', 'channel', 'template', 'priority', 'status', 'reason', 'journeyId', 'journeyVersion', 'stepId', 'campaignId', 'providerId', 'locale', 'attempts',
  'createdAt', 'requestedAt', 'decidedAt', 'sentAt', 'deliveredAt', 'openedAt', 'clickedAt', 'failedAt',
] as const satisfies readonly (keyof ExportedMessage)[];
export const messageColumns = ['messageId', ...messageFields];
export const messageRow = (m: ExportedMessage): Cell[] => [m._id, ...messageFields.map((f) => m[f])];

export const conversionColumns = [
  'conversionId', 'customerId', 'event', 'revenue', 'at',
  'model', 'touch', 'touchKind', 'touchAt', 'channel', 'journeyId', 'campaignId', 'stepId', 'source', 'medium', 'campaign', 'amount',
];

/** One row per credit (of `model`, or of every model); a conversion with none, one row with the touch columns empty. */
export function conversionRows(c: ConversionDoc, model?: string): Cell[][] {
  const head: Cell[] = [c._id, c.customerId, c.event, c.revenue, c.at];
  const credits = c.credits.filter((k) => model === undefined || k.model === model);
  if (credits.length === 0) return [[...head, model, ...Array<Cell>(11).fill(undefined)]];
  return credits.map((k) => {
    const t = c.touches[k.touch];
    return [...head, k.model, k.touch, t?.kind, t?.at, k.channel, k.journeyId ?? t?.journeyId, k.campaignId ?? t?.campaignId, t?.stepId, t?.source, t?.medium, t?.campaign, k.amount];
  });
}
