// Campaigns as the API accepts and answers them: one zod schema per concept. What needs the
// database (the segment, the template) or the clock (`at` ahead) is checked by the service.
import { z } from 'zod';
import type { MessageStatus } from '../../store/messages.js';
import { channels } from '../../workflows/messaging/types.js';
import { SegmentId } from '../segments/schema.js';
import { GroupId } from '../subscriptions/schema.js';

export const CampaignId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a campaign id: lower-case letters, digits, _ or -, at most 64')
  .meta({ examples: ['spring-sale'] });
const Name = z.string().trim().min(1).max(200);

/** minute, hour, day of month, month, day of week: `*`, `n`, `a-b`, each optionally `/step`, in lists. */
const cronFields: [number, number][] = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 6]];
const cronShorthands = ['@hourly', '@daily', '@weekly', '@monthly', '@yearly'];

function isCronPart(part: string, [min, max]: [number, number]): boolean {
  const m = /^(?:\*|(\d{1,2})(?:-(\d{1,2}))?)(?:\/(\d{1,2}))?$/.exec(part);
  if (!m) return false;
  const [, from, to, step] = m.map((v) => (v === undefined ? undefined : Number(v)));
  const within = (n: number) => n >= min && n <= max;
  if (from !== undefined && (!within(from) || (to !== undefined && (!within(to) || to < from)))) return false;
  return step === undefined || step >= 1;
}

export const isCron = (text: string): boolean => cronShorthands.includes(text)
  || (/^\S+( \S+){4}$/.test(text) && text.split(' ').every((field, i) => field.split(',').every((part) => isCronPart(part, cronFields[i]!))));

/** A broadcast runs at most once an hour: its minute field names one minute. */
export const minCronInterval = '1 hour';
const atMostHourly = (text: string): boolean => cronShorthands.includes(text) || /^\d{1,2}$/.test(text.split(' ')[0]!);

const Cron = z.string().max(100)
  .refine(isCron, 'a cron expression of five fields (minute hour day-of-month month day-of-week, e.g. "0 10 * * 1"), or @hourly, @daily, @weekly, @monthly, @yearly')
  .refine((text) => !isCron(text) || atMostHourly(text), { message: 'a campaign runs at most once an hour: the minute field must be one minute, e.g. "0 * * * *"'});

export const CampaignMessage = z.strictObject({
  channel: z.enum(channels, { error: `unknown channel; one of ${channels.join(', ')}` }),
  template: z.string().min(1).max(200),
  group: GroupId.optional().meta({ description: 'a subscription group of the channel: customers out of it are not sent to (suppressed `unsubscribed_group`)' }),
}).meta({ id: 'CampaignMessage', description: 'Always a marketing message: caps, quiet hours and consent apply to every customer.' });

/** POST /v1/campaigns: sent now, or once `at` a time, or on every `cron` time. */
export const CampaignInput = z.strictObject({
  id: CampaignId.optional().meta({ description: 'chosen by the server when absent' }),
  name: Name,
  segmentId: SegmentId,
  message: CampaignMessage,
  ratePerSecond: z.number().int().min(1).max(500).default(50).meta({ description: 'customers signalled per second, at most' }),
  at: z.iso.datetime({ offset: true }).optional().meta({ description: 'send once at this time (at least 5 seconds and at most a year ahead)' }),
  cron: Cron.optional().meta({ description: 'send on every time of this cron expression, in the brand\'s default time zone' }),
}).refine((c) => c.at === undefined || c.cron === undefined, { path: ['cron'], message: 'give `at` or `cron`, not both' })
  .meta({ id: 'CampaignInput', examples: [{ id: 'spring-sale', name: 'Spring sale', segmentId: 'lapsed', message: { channel: 'sms', template: 'spring-sale' }, cron: '0 10 * * 1' }] });
export type CampaignInput = z.output<typeof CampaignInput>;

// What the API answers.
const CampaignStatus = z.enum(['scheduled', 'running', 'completed', 'cancelled']);
const Progress = z.object({
  occurrence: z.iso.datetime().meta({ description: 'the scheduled time of this run, or when a send-now broadcast began' }),
  targeted: z.number().int().meta({ description: 'customers in the segment when the run began' }),
  signalled: z.number().int().meta({ description: 'customers handed the broadcast; each one\'s caps, quiet hours and consent decide the send' }),
  cursor: z.string().optional().meta({ description: 'the last customer signalled (by id)' }),
  done: z.boolean(),
  startedAt: z.iso.datetime(),
}).meta({ id: 'CampaignProgress' });
export const Campaign = z.object({
  id: CampaignId,
  name: z.string(),
  segmentId: z.string(),
  message: CampaignMessage,
  ratePerSecond: z.number().int(),
  schedule: z.union([z.object({ at: z.iso.datetime() }), z.object({ cron: z.string(), timeZone: z.string() })]).optional()
    .meta({ description: 'absent: sent once, when created' }),
  status: CampaignStatus,
  lastRun: z.object({
    workflowId: z.string(),
    progress: Progress.meta({ description: 'live while the run goes on (the figures stored after its latest page when the run does not answer within 2 s); its last figures afterwards' }),
    finishedAt: z.iso.datetime().optional(),
    error: z.string().optional(),
  }).optional().meta({ description: 'the latest broadcast run; a recurring campaign has one per occurrence' }),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
}).meta({ id: 'Campaign' });

export const messageStatuses = ['queued', 'sent', 'delivered', 'opened', 'clicked', 'failed', 'bounced', 'suppressed', 'unknown'] as const satisfies readonly MessageStatus[];
// Every MessageStatus is listed above.
const _allStatuses: Exclude<MessageStatus, (typeof messageStatuses)[number]> extends never ? true : never = true;
export const MessageCounts = z.object(Object.fromEntries(messageStatuses.map((s) => [s, z.number().int()])) as Record<MessageStatus, z.ZodNumber>)
  .meta({ id: 'CampaignMessageCounts', description: 'the campaign\'s messages (all runs) by status' });
export const CampaignDetail = Campaign.extend({ messages: MessageCounts }).meta({ id: 'CampaignDetail' });
export const CampaignList = z.object({ items: z.array(Campaign) }).meta({ id: 'CampaignList' });
