// Keeps the reports' stored day figures current: started by the `report-days` Schedule (every
// 5 minutes unless REPORTS_REFRESH_EVERY says otherwise), it counts again the days written since
// their figures were stored, so a marketer's report rarely has to (store/report-days.ts);
// a report never depends on it: it counts any day still out of date itself.
import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';

// A refresh that fails is simply the next one's work: a few quick retries, no more.
const { refreshReportDays } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '10 minutes', retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
});

export async function reportDaysWorkflow(): Promise<{ days: number }> {
  return refreshReportDays();
}
