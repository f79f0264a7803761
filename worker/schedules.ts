// The schedules the worker keeps, made (or brought up to date) when it starts.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { toMs } from '../workflows/duration.js';
import type { reportDaysWorkflow } from '../workflows/report-days.js';

export const reportDaysScheduleId = 'report-days';

/** The report-days refresh every `every`; a run still going when the next is due makes that one skip. */
export async function ensureReportDaysSchedule(temporal: Client, taskQueue: string, every: string): Promise<void> {
  const spec = { intervals: [{ every: toMs(every) }] };
  const action = { type: 'startWorkflow' as const, workflowType: 'reportDaysWorkflow' as const, workflowId: reportDaysScheduleId, taskQueue, args: [] as Parameters<typeof reportDaysWorkflow> };
  try {
    await temporal.schedule.create({ scheduleId: reportDaysScheduleId, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' } });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    // Made by an earlier start (or another worker): this start's settings apply.
    await temporal.schedule.getHandle(reportDaysScheduleId).update((previous) => ({ ...previous, spec, action }));
  }
}
