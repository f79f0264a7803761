// The campaign workflow's input, query and ids: the API, the schedules and the worker import these.
import { defineQuery } from '@temporalio/workflow';
import type { CampaignMessage } from './campaigns/journey.js';
import type { SegmentRule } from './segments/types.js';
import type { GroupRule } from './messaging/types.js';

export interface CampaignWorkflowInput {
  campaignId: string;
  segmentId: string;
  message: CampaignMessage;
  /** The rule of the message's subscription group, as the campaign was created. */
  groups?: Record<string, GroupRule>;
  /** Customers signalled per second, at most. */
  ratePerSecond: number;
  /** Customers read and signalled per activity. */
  pageSize: number;
  /** A send-now broadcast's moment; a scheduled run takes its scheduled time. Carried across continueAsNew. */
  occurrence?: string;
  /** Where the previous run stopped; absent on an occurrence's first run. */
  progress?: CampaignProgress;
  /** The segment's rule as the occurrence began (later edits do not change a broadcast under way). */
  audience?: SegmentRule;
}

export interface CampaignProgress {
  occurrence: string;
  /** Customers in the segment when the broadcast began. */
  targeted: number;
  /** Customers whose workflow has the broadcast (each decides for itself whether to send). */
  signalled: number;
  /** The last customer id signalled: the next page starts after it. */
  cursor?: string;
  done: boolean;
  startedAt: string;
}

export const campaignProgressQuery = defineQuery<CampaignProgress>('campaignProgress');

/** Send-now broadcasts run under this id; a schedule's runs under it plus their scheduled time. */
export const campaignWorkflowId = (campaignId: string): string => `campaign-${campaignId}`;
export const campaignScheduleId = (campaignId: string): string => `campaign-${campaignId}`;
