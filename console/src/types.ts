// The parts of the API's answers the console reads (their full schemas: GET /openapi.json).
export type JourneyStatus = 'draft' | 'active' | 'paused' | 'archived';

export interface JourneySummary {
  id: string; name: string; status: JourneyStatus; latestVersion: number; onPause: 'hold' | 'exit';
  createdAt: string; updatedAt: string; publishedAt?: string;
}

export interface Condition { field: string; op: string; value?: unknown }

export type Step =
  | { type: 'wait'; duration: string; next: string }
  | { type: 'wait_until'; time: string; date?: string; next: string }
  | { type: 'wait_for_event'; event: string; timeout: string; onEvent: string; onTimeout: string }
  | { type: 'branch'; branches: { when: Condition[]; next: string }[]; otherwise: string }
  | { type: 'split'; variants: { name: string; weight: number; next: string }[]; holdout?: number }
  | { type: 'send'; channel: string; template: string; next: string; onlyIfEngagedWith?: string }
  | { type: 'update_profile'; addTags?: string[]; removeTags?: string[]; points?: number; next: string }
  | { type: 'exit' };

export interface JourneyDefinition {
  name: string; entry: string; steps: Record<string, Step>;
  trigger: { type: string; [k: string]: unknown };
  goal?: { event: string; within?: string };
}

export interface JourneyDetail extends JourneySummary {
  draft: JourneyDefinition;
  versions: { version: number; publishedAt: string }[];
}

export interface PublishedVersion { version: number; publishedAt: string; definition: JourneyDefinition }

export interface Comparison { converted: number; conversionRate: number | null; uplift: number | null; pValue: number | null; significant: boolean | null }

export interface JourneyReport {
  journeyId: string; from: string; to: string; goal: string | null; conversionWindow: string | null;
  entered: number; goalRate: number | null; exitedOnGoal: number; convertedWithinWindow: number; windowConversionRate: number | null;
  steps: { stepId: string; customers: number }[];
  exited: { reason: string; customers: number }[];
  variants: (Comparison & { variant: string; customers: number; exitedOnGoal: number; withinWindow: Comparison })[];
  /** Who is in the journey now, whatever the range, by version and step. */
  now: { customers: number; steps: { version: number; stepId: string; customers: number }[] };
}

export interface ChannelRow {
  channel: string; reached: number; sent: number; transactional: number; delivered: number; opened: number; clicked: number;
  converted: number; conversionRate: number | null; revenue: number; cost: number | null; costPerConversion: number | null;
}
export const attributionModels = ['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based'] as const;
export type AttributionModel = (typeof attributionModels)[number];
export interface ChannelReport { from: string; to: string; model: AttributionModel; channels: ChannelRow[]; unattributed: { conversions: number; revenue: number } }

export const stages = ['stranger', 'fan', 'member', 'customer', 'loyal', 'at_risk'] as const;
export interface LifecycleReport { from: string; to: string; stages: { stage: string; customers: number }[]; moves: { from: string; to: string; moves: number }[] }

export interface Profile {
  stage: string; tier?: string; points: number;
  counters: { events: number; orders: number; spend: number; firstSeenAt?: string; lastSeenAt?: string; lastOrderAt?: string };
  followed: boolean; registered: boolean; tags: string[]; consent: Record<string, boolean>;
  traits: Record<string, unknown>;
  scores?: { r: number; f: number; m: number; rfm: string; value: number; attrition: number; potential: number };
  mergedFrom: string[]; mergedInto?: string; updatedAt?: string;
}

export interface JourneyPlace { journeyId: string; version: number; stepId: string; enteredAt: string; since: string; nextWakeAt: string | null; variant?: string; paused: boolean }

export interface Subscription { group: string; name: string; channel: string; type: 'opt_in' | 'opt_out'; transactional: boolean; subscribed: boolean; chosen: boolean }

export interface CustomerView {
  customerId: string; profile: Profile | null; identities: { type: string; value: string }[];
  journeys: JourneyPlace[]; subscriptions: Subscription[];
  workflow: { status: string; workflowId: string; live?: Profile };
}

export type TimelineItem =
  | { type: 'event'; id: string; messageId: string; timestamp: string; kind: string; name?: string; channel?: string; properties: Record<string, unknown>; setAside?: { reason: string } }
  | { type: 'message'; id: string; timestamp: string; channel: string; template: string; priority: string; status: string; reason?: string; journeyId?: string; stepId?: string; campaignId?: string };

export interface Timeline { items: TimelineItem[]; nextCursor: string | null }

// Segments (SegmentRule, Segment, SegmentPreview in /openapi.json).
export const conditionOps = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'exists'] as const;
export type ConditionOp = (typeof conditionOps)[number];
export type RuleValue = string | number | boolean | (string | number)[];
export interface RuleCondition { field: string; op: ConditionOp; value?: RuleValue }
export type SegmentRule =
  | { type: 'and' | 'or'; rules: SegmentRule[] }
  | { type: 'not'; rule: SegmentRule }
  | ({ type: 'profile' } & RuleCondition)
  | { type: 'behaviour'; event: string; where?: RuleCondition[]; within: string; count: { gte?: number; lte?: number } };
export interface Segment { id: string; name: string; rule: SegmentRule; createdAt: string; updatedAt: string }
export interface SegmentPreview { count: number; sample: { id: string; stage: string; tier?: string }[] }

// Campaigns (Campaign, CampaignDetail in /openapi.json).
export type CampaignStatus = 'scheduled' | 'running' | 'completed' | 'cancelled';
export interface CampaignProgress { occurrence: string; targeted: number; signalled: number; cursor?: string; done: boolean; startedAt: string }
export interface Campaign {
  id: string; name: string; segmentId: string; message: { channel: string; template: string; group?: string }; ratePerSecond: number;
  schedule?: { at: string } | { cron: string; timeZone: string }; status: CampaignStatus;
  lastRun?: { workflowId: string; progress: CampaignProgress; finishedAt?: string; error?: string };
  createdAt: string; updatedAt: string;
}
export const messageStatuses = ['queued', 'sent', 'delivered', 'opened', 'clicked', 'failed', 'bounced', 'suppressed', 'unknown'] as const;
export interface CampaignDetail extends Campaign { messages: Record<(typeof messageStatuses)[number], number> }

// Journey migration and backtests (MigrationRequest, Migration, Backtest in /openapi.json).
export interface MigrationRequest { fromVersion: number; toVersion: number; steps: Record<string, string> }
export interface Migration { customers: number }
export interface BacktestResult {
  customers: { sampled: number; entered: number };
  funnel: { stepId: string; reached: number }[];
  sends: { total: number; byChannel: Record<string, number>; byTemplate: Record<string, number>; byDay: Record<string, number> };
  suppressions: Record<string, number>;
  deferrals: { count: number; totalMinutes: number; maxMinutes: number };
  exits: Record<string, number>;
  variants: { name: string; entered: number; converted: number; revenue: number; conversionRate: number; uplift?: number }[];
  conversions: { count: number; revenue: number };
  engagement: { assumedRate: number; note: string };
}
export interface Backtest {
  id: string; journeyId: string; status: 'running' | 'completed' | 'cancelled' | 'failed';
  request: { version: number | 'draft'; from: string; to: string; sample?: { size: number } | { segmentId: string }; withLiveJourneys: boolean; engagementRate: number };
  progress: { simulated: number; total?: number };
  result?: BacktestResult;
  error?: string;
}
