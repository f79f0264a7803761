// Broadcast activities: a run's start and end in the campaigns collection, the segment read page
// by page, and each page's customers signalled (started if need be) with the broadcast.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import pLimit from 'p-limit';
import type { CampaignProgress } from '../workflows/campaign-contract.js';
import { campaignSignal, type CampaignBroadcast } from '../workflows/customer-contract.js';
import type { SegmentRule } from '../workflows/segments/types.js';
import { campaignRepository } from '../store/campaigns.js';
import type { Models } from '../store/models.js';
import { segmentQueries } from '../store/segment-query.js';
import { segmentRepository } from '../store/segments.js';
import { signalCustomer, type CustomerSettings } from './temporal.js';

export interface CampaignActivityDeps {
  models: Models;
  temporal: Client;
  taskQueue: string;
  settings: CustomerSettings;
}

export function createCampaignActivities({ models, temporal, taskQueue, settings }: CampaignActivityDeps) {
  const campaigns = campaignRepository(models);
  const segments = segmentRepository(models);
  const queries = segmentQueries(models);
  // Signals in flight at once in this worker: the rate itself is kept by the workflow's sleeps.
  const limit = pLimit(16);

  return {
    /**
     * Marks the run started and takes the segment's rule as it is now, with its size. null when
     * the run must send nothing: the campaign was cancelled meanwhile, or its segment deleted.
     */
    async startCampaignRun(input: { campaignId: string; segmentId: string; workflowId: string; progress: CampaignProgress }): Promise<{ rule: SegmentRule; targeted: number } | null> {
      const { campaignId, segmentId, workflowId, progress } = input;
      if (!(await campaigns.startRun(campaignId, { workflowId, progress }))) return null;
      const segment = await segments.find(segmentId);
      if (!segment) {
        await campaigns.finishRun(campaignId, workflowId, { ...progress, done: true }, `segment "${segmentId}" no longer exists`);
        return null;
      }
      const targeted = await models.customers.countDocuments(await queries.filter(segment.rule, Date.now()));
      return { rule: segment.rule, targeted };
    },

    /** The next customers in the segment by id, after `after` (merged-away customers are never in a segment). */
    async campaignPage(input: { rule: SegmentRule; after?: string; limit: number }): Promise<string[]> {
      const filter = await queries.filter(input.rule, Date.now());
      const page = input.after === undefined ? filter : { $and: [filter, { _id: { $gt: input.after } }] };
      const docs = await models.customers.find(page, { projection: { _id: 1 } }).sort({ _id: 1 }).limit(input.limit).toArray();
      return docs.map((d) => d._id);
    },

    /**
     * Hands the broadcast to each customer's workflow; a retried page signals again, and each
     * customer enters once. Then stores the run's figures after this page (`run`; runs begun
     * before it was passed leave it out), so that the campaign shows them when the run is too
     * busy to answer a query.
     */
    async deliverCampaign(input: { customerIds: string[]; delivery: CampaignBroadcast; run?: { workflowId: string; progress: CampaignProgress } }): Promise<void> {
      const context = Context.current();
      await Promise.all(input.customerIds.map((customerId) => limit(async () => {
        // A cancelled broadcast stops here rather than finish the page.
        if (context.cancellationSignal.aborted) return;
        await signalCustomer(temporal, customerId, { settings, taskQueue }, campaignSignal, input.delivery);
        context.heartbeat();
      })));
      if (input.run && !context.cancellationSignal.aborted) await campaigns.recordProgress(input.delivery.campaignId, input.run.workflowId, input.run.progress);
    },

    async finishCampaignRun(input: { campaignId: string; workflowId: string; progress: CampaignProgress }): Promise<void> {
      await campaigns.finishRun(input.campaignId, input.workflowId, input.progress);
    },
  };
}
