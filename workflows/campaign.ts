// A broadcast: pages through a segment by customer id and signals each customer's workflow at a
// bounded rate; each customer's own arbiter then decides the send (consent, caps, quiet hours).
// Resumable without double sends: the cursor moves on only after a page was delivered, and a
// customer enters an occurrence once, so a page delivered again after a crash sends nothing twice.
import {
  CancellationScope, continueAsNew, isCancellation, proxyActivities, setCurrentDetails, setHandler, sleep, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { createActivities } from '../activities/index.js';
import { campaignBroadcast } from './campaigns/journey.js';
import { campaignProgressQuery, type CampaignProgress, type CampaignWorkflowInput } from './campaign-contract.js';
import { CampaignIdAttribute } from './search-attributes.js';

type Activities = ReturnType<typeof createActivities>;

// Waits out a MongoDB or Temporal outage rather than abandon a broadcast half way.
const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' } as const;
const records = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry });
// A dead worker's page is delivered again after 10 s, not at the start-to-close timeout.
const pages = proxyActivities<Activities>({ startToCloseTimeout: '2 minutes', heartbeatTimeout: '10 seconds', retry });

/** A page is about 17 history events (two activities, a timer, their workflow tasks): a run stays under 2,000. */
const maxPagesPerRun = 100;
/** Set by Temporal on every run a schedule starts. */
const scheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', 'DATETIME');

export async function campaignWorkflow(input: CampaignWorkflowInput): Promise<CampaignProgress> {
  const { campaignId, pageSize } = input;
  const info = workflowInfo();
  // Each scheduled occurrence is distinct; one occurrence keeps its value across worker crashes and continueAsNew.
  const occurrence = input.occurrence ?? (info.typedSearchAttributes.get(scheduledStartTime) ?? info.startTime).toISOString();
  const progress: CampaignProgress = input.progress ?? { occurrence, targeted: 0, signalled: 0, done: false, startedAt: new Date().toISOString() };
  setHandler(campaignProgressQuery, () => progress);
  upsertSearchAttributes([{ key: CampaignIdAttribute, value: campaignId }]);
  const show = () => setCurrentDetails(`${progress.signalled} of ${progress.targeted} customers signalled${progress.done ? ' (done)' : ''}`);
  show();

  let rule = input.audience;
  const run = { campaignId, workflowId: info.workflowId };
  try {
    if (!rule) {
      const started = await records.startCampaignRun({ ...run, segmentId: input.segmentId, progress });
      if (!started) {
        progress.done = true;
        return progress;
      }
      rule = started.rule;
      progress.targeted = started.targeted;
      show();
    }
    const delivery = campaignBroadcast({ campaignId, occurrence, segmentId: input.segmentId, message: input.message, ...(input.groups && { groups: input.groups }) });
    for (let page = 0; ; page++) {
      if (page >= maxPagesPerRun || workflowInfo().continueAsNewSuggested) {
        await continueAsNew<typeof campaignWorkflow>({ ...input, occurrence, audience: rule, progress });
      }
      const began = Date.now();
      const customerIds = await pages.campaignPage({ rule, limit: pageSize, ...(progress.cursor !== undefined && { after: progress.cursor }) });
      if (customerIds.length > 0) {
        const signalled = progress.signalled + customerIds.length;
        const cursor = customerIds[customerIds.length - 1]!;
        // The activity stores the figures after this page, for when the run cannot be asked.
        await pages.deliverCampaign({ customerIds, delivery, run: { workflowId: info.workflowId, progress: { ...progress, signalled, cursor } } });
        progress.signalled = signalled;
        progress.cursor = cursor;
        show();
      }
      if (customerIds.length < pageSize) break;
      // A page of n customers takes at least n / rate seconds.
      const wait = began + (customerIds.length * 1000) / input.ratePerSecond - Date.now();
      if (wait > 0) await sleep(wait);
    }
    progress.done = true;
    show();
    await records.finishCampaignRun({ ...run, progress });
    return progress;
  } catch (err) {
    // Cancelled by the API: keep how far it got.
    if (isCancellation(err)) await CancellationScope.nonCancellable(() => records.finishCampaignRun({ ...run, progress }));
    throw err;
  }
}
