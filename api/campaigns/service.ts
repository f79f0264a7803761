// Campaigns for marketers: checked against the segments and templates, stored, then handed to
// Temporal (a run now, or a schedule); read back with the run's live progress and message counts.
import { randomUUID } from 'node:crypto';
import type { CampaignDoc, CampaignRepository, CampaignSchedule } from '../../store/campaigns.js';
import type { SegmentRepository } from '../../store/segments.js';
import type { TemplateRepository } from '../../store/templates.js';
import { ApiError, invalid, type ErrorDetail } from '../errors.js';
import { templateChecks } from '../journeys/templates.js';
import { ScheduleRefused, type Broadcasts } from './broadcasts.js';
import { messageStatuses, type CampaignInput } from './schema.js';
import type { GroupChecks } from '../subscriptions/service.js';
import type { GroupRule } from '../../workflows/messaging/types.js';

export interface CampaignServiceDeps {
  campaigns: CampaignRepository;
  segments: Pick<SegmentRepository, 'find'>;
  templates: Pick<TemplateRepository, 'find'>;
  broadcasts: Broadcasts;
  /** Cron expressions are read in this (the brand's default) time zone. */
  timeZone: string;
  clock?: () => number;
  /** Subscription groups the message may name. */
  groups?: GroupChecks;
}

const notFound = (id: string): ApiError => new ApiError(404, 'not_found', `no campaign "${id}"`);
/** Far enough ahead that the schedule exists before its moment. */
const minLeadMs = 5000;
const maxLeadMs = 366 * 86_400_000;

const iso = (d: Date): string => d.toISOString();

export function view(c: CampaignDoc) {
  const { lastRun, schedule } = c;
  return {
    id: c._id, name: c.name, segmentId: c.segmentId, message: c.message, ratePerSecond: c.ratePerSecond, status: c.status,
    ...(schedule && { schedule: 'at' in schedule ? { at: iso(schedule.at) } : schedule }),
    ...(lastRun && {
      lastRun: {
        workflowId: lastRun.workflowId, progress: lastRun.progress,
        ...(lastRun.finishedAt && { finishedAt: iso(lastRun.finishedAt) }), ...(lastRun.error !== undefined && { error: lastRun.error }),
      },
    }),
    createdAt: iso(c.createdAt), updatedAt: iso(c.updatedAt),
  };
}

export function campaignService({ campaigns, segments, templates, broadcasts, timeZone, clock = Date.now, groups }: CampaignServiceDeps) {
  /** The rule of the message's group, or why it cannot be named. */
  const groupRule = async (message: CampaignInput['message']): Promise<GroupRule | string | undefined> =>
    (message.group === undefined ? undefined : (groups?.ruleFor(message.group, message.channel) ?? `no subscription group "${message.group}"`));

  /** Temporal failures as API errors: a refused spec is the request's fault, anything else is retryable. */
  async function onTemporal(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      if (err instanceof ScheduleRefused) throw err;
      throw new ApiError(503, 'temporal_unavailable', `Temporal unavailable, retry later (${(err as Error).name})`);
    }
  }

  /** Everything wrong with a new campaign that needs the database or the clock. */
  async function problems(input: CampaignInput): Promise<ErrorDetail[]> {
    const { channel, template } = input.message;
    const checks = templateChecks(templates);
    const [segment, templateFound] = await Promise.all([segments.find(input.segmentId), checks.templateExists(template, channel)]);
    const details: ErrorDetail[] = [];
    if (!segment) details.push({ field: 'segmentId', message: `no segment "${input.segmentId}"` });
    if (!templateFound) details.push({ field: 'message.template', message: `no ${channel} template "${template}"` });
    else for (const e of (await checks.templateErrors?.(template, channel)) ?? []) details.push({ field: 'message.template', message: `template "${template}" ${e.field}: ${e.message}` });
    const rule = await groupRule(input.message);
    if (typeof rule === 'string') details.push({ field: 'message.group', message: rule });
    if (input.at !== undefined) {
      const lead = Date.parse(input.at) - clock();
      if (lead < minLeadMs || lead > maxLeadMs) details.push({ field: 'at', message: 'must be at least 5 seconds and at most a year ahead; leave it out to send now' });
    }
    return details;
  }

  return {
    /** `created: false` when this exact campaign was already stored (a retried request). */
    async create(input: CampaignInput) {
      const { id = `c${randomUUID().replaceAll('-', '').slice(0, 16)}`, at, cron, name, segmentId, message, ratePerSecond } = input;
      // A retry is answered from what is stored, whatever has changed since (the clock, the segment).
      if (!(await campaigns.find(id))) {
        const details = await problems(input);
        if (details.length > 0) throw invalid(details);
      }
      // Whole seconds, rounded up: a schedule's calendar has no finer grain.
      const schedule: CampaignSchedule | undefined = at !== undefined ? { at: new Date(Math.ceil(Date.parse(at) / 1000) * 1000) } : cron !== undefined ? { cron, timeZone } : undefined;
      const rule = await groupRule(message);
      const carried = message.group !== undefined && rule !== undefined && typeof rule !== 'string' ? { groups: { [message.group]: rule } } : {};
      const out = await campaigns.create(id, { name, segmentId, message, ratePerSecond, ...(schedule && { schedule }), ...carried }, schedule ? 'scheduled' : 'running');
      if ('conflict' in out) throw new ApiError(409, 'conflict', `a different campaign "${id}" already exists`);
      if (out.campaign.status === 'scheduled' || out.campaign.status === 'running') {
        try {
          await onTemporal(() => broadcasts.begin(out.campaign));
        } catch (err) {
          if (!(err instanceof ScheduleRefused)) throw err;
          await campaigns.remove(id);
          throw invalid([{ field: 'cron', message: `Temporal refused it: ${err.message}` }]);
        }
      }
      return { campaign: view(out.campaign), created: out.created };
    },

    list: async () => ({ items: (await campaigns.list()).map(view) }),

    async get(id: string) {
      const campaign = await campaigns.find(id);
      if (!campaign) throw notFound(id);
      const [counts, live] = await Promise.all([
        campaigns.messageCounts(id),
        campaign.status === 'running' && campaign.lastRun && !campaign.lastRun.finishedAt ? broadcasts.progress(campaign.lastRun.workflowId) : undefined,
      ]);
      const shown = view(live && campaign.lastRun ? { ...campaign, lastRun: { ...campaign.lastRun, progress: live } } : campaign);
      return { ...shown, messages: Object.fromEntries(messageStatuses.map((s) => [s, counts[s] ?? 0])) as Record<(typeof messageStatuses)[number], number> };
    },

    /** No further runs, and the one under way stops after its current page. A completed campaign cannot be cancelled. */
    async cancel(id: string) {
      const campaign = await campaigns.cancel(id);
      if (!campaign) throw notFound(id);
      if (campaign.status === 'completed') throw new ApiError(409, 'invalid_transition', `campaign "${id}" has completed`);
      await onTemporal(() => broadcasts.stop(campaign));
      return view(campaign);
    },
  };
}

export type CampaignService = ReturnType<typeof campaignService>;
