// The Temporal side of campaigns: a send-now broadcast starts its workflow at once; a timed or
// recurring one is a Temporal Schedule whose action starts the campaign workflow. Every call is
// safe to repeat: what already exists is left as it is.
import {
  isGrpcServiceError, MONTHS, ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError, type CalendarSpec, type Client,
} from '@temporalio/client';
import type { campaignWorkflow } from '../../workflows/campaign.js';
import {
  campaignProgressQuery, campaignScheduleId, campaignWorkflowId, type CampaignProgress, type CampaignWorkflowInput,
} from '../../workflows/campaign-contract.js';
import type { CampaignDoc } from '../../store/campaigns.js';

export interface BroadcastDeps {
  temporal: Client;
  taskQueue: string;
}

/** Temporal refused the schedule's spec (a cron expression it reads differently from our check). */
export class ScheduleRefused extends Error {}

const invalidArgument = 3;

/** One moment, in UTC, as a schedule's calendar. */
function calendarAt(at: Date): CalendarSpec {
  return {
    year: at.getUTCFullYear(), month: MONTHS[at.getUTCMonth()]!, dayOfMonth: at.getUTCDate(),
    hour: at.getUTCHours(), minute: at.getUTCMinutes(), second: at.getUTCSeconds(),
  };
}

function inputOf(c: CampaignDoc): CampaignWorkflowInput {
  // A page a second: the workflow sleeps out the rest of each second.
  return { campaignId: c._id, segmentId: c.segmentId, message: c.message, ...(c.groups && { groups: c.groups }), ratePerSecond: c.ratePerSecond, pageSize: c.ratePerSecond };
}

export function broadcasts({ temporal, taskQueue }: BroadcastDeps) {
  return {
    async begin(c: CampaignDoc): Promise<void> {
      const workflowId = campaignWorkflowId(c._id);
      if (!c.schedule) {
        try {
          // Its occurrence is its creation: a retried create finds it started, or done, and starts nothing.
          await temporal.workflow.start<typeof campaignWorkflow>('campaignWorkflow', {
            workflowId, taskQueue, args: [{ ...inputOf(c), occurrence: c.createdAt.toISOString() }], workflowIdReusePolicy: 'REJECT_DUPLICATE',
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
        return;
      }
      const once = 'at' in c.schedule;
      try {
        await temporal.schedule.create({
          scheduleId: campaignScheduleId(c._id),
          spec: 'at' in c.schedule ? { calendars: [calendarAt(c.schedule.at)] } : { cronExpressions: [c.schedule.cron], timezone: c.schedule.timeZone },
          // Each run's workflow id is this one plus its scheduled time.
          action: { type: 'startWorkflow', workflowType: 'campaignWorkflow', workflowId, taskQueue, args: [inputOf(c)] },
          // A run still going when the next is due makes that one skip; a moment missed by over an hour is not sent late.
          policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
          ...(once && { state: { remainingActions: 1 } }),
        });
      } catch (err) {
        if (err instanceof ScheduleAlreadyRunning) return;
        const cause = (err as { cause?: unknown }).cause;
        if (isGrpcServiceError(cause) && cause.code === invalidArgument) throw new ScheduleRefused(cause.details);
        throw err;
      }
    },

    /** Stops future runs (the schedule is deleted) and cancels any run under way. */
    async stop(c: CampaignDoc): Promise<void> {
      const running = new Set<string>();
      if (c.lastRun && !c.lastRun.finishedAt) running.add(c.lastRun.workflowId);
      if (!c.schedule) running.add(campaignWorkflowId(c._id));
      else {
        const handle = temporal.schedule.getHandle(campaignScheduleId(c._id));
        try {
          for (const action of (await handle.describe()).info.runningActions) running.add(action.workflow.workflowId);
          await handle.delete();
        } catch (err) {
          if (!(err instanceof ScheduleNotFoundError)) throw err;
        }
      }
      await Promise.all([...running].map(async (workflowId) => {
        try {
          await temporal.workflow.getHandle(workflowId).cancel();
        } catch (err) {
          // Ended already (or never started): nothing to stop.
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }));
    },

    /** The run's live figures; undefined when no worker answers in time (the stored figures stand). */
    async progress(workflowId: string): Promise<CampaignProgress | undefined> {
      try {
        return await temporal.withDeadline(Date.now() + 2000, () => temporal.workflow.getHandle(workflowId).query(campaignProgressQuery));
      } catch {
        return undefined;
      }
    },
  };
}

export type Broadcasts = ReturnType<typeof broadcasts>;
