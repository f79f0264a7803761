// The customer workflow's messages, ids and queue: the API and the worker import these.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CustomerEvent } from './lifecycle/event.js';
import type { LifecycleRules } from './lifecycle/rules.js';
import type { CustomerState } from './lifecycle/state.js';
import type { JourneyDefinition } from './journeys/types.js';
import type { MessagingPolicy } from './messaging/arbiter.js';

/**
 * Events of one customer that arrived together travel in one signal, with the revision of the
 * journey catalog the API saw, so the workflow reloads journeys only when they changed.
 */
export const eventsSignal = defineSignal<[CustomerEvent[], EventsContext?]>('events');
/** A marketer moves customers from one version of a journey to another, step by step. */
export const migrateJourneySignal = defineSignal<[JourneyMigration]>('migrateJourney');
/** Another customer turned out to be this person: fold their state in. */
export const absorbSignal = defineSignal<[AbsorbRequest]>('absorb');
/** This customer turned out to be another: hand everything over and end. */
export const mergeIntoSignal = defineSignal<[string]>('mergeInto');
/** A broadcast reached this customer: its one send goes through the same arbiter as journeys'. */
export const campaignSignal = defineSignal<[CampaignBroadcast]>('campaign');
export const stateQuery = defineQuery<CustomerState>('state');

export interface EventsContext {
  catalogRevision?: number;
}

export interface JourneyMigration {
  journeyId: string;
  fromVersion: number;
  to: JourneyDefinition;
  /** Old step id → new step id; customers on a step missing here stay on the old version. */
  steps: Record<string, string>;
}

/** What the customers collection keeps of a customer's place in journeys (for migration and reports). */
export interface EnrollmentSummary {
  journeyId: string;
  version: number;
  stepId: string;
  enteredAt: string;
}

/**
 * One occurrence of a campaign for one customer. A resumed broadcast may deliver it twice: the
 * customer enters once per occurrence (`definition.version` is unique per occurrence).
 */
export interface CampaignBroadcast {
  campaignId: string;
  /** The occurrence's instant (ISO 8601): the schedule's time, or when a send-now broadcast began. */
  occurrence: string;
  /** A one-send journey carrying `campaignId`; never in the catalog. */
  definition: JourneyDefinition;
}

export interface AbsorbRequest {
  from: CustomerState;
  /** Events the merged customer received but had not applied yet. */
  pending: CustomerEvent[];
}

export interface CustomerWorkflowInput {
  /**
   * 2: a lean run (the journey catalog is matched outside the workflow). Absent in runs started
   * before, which replay on workflows/legacy/ and continue as new as version 2.
   */
  version?: 2;
  customerId: string;
  /** A customer the API has just created: nothing stored to restore (ignored once the run has state). */
  fresh?: boolean;
  rules: LifecycleRules;
  /** Caps, quiet hours, time zone: absent in runs started before journeys existed. */
  policy?: MessagingPolicy;
  /** Carried across continueAsNew; absent on a customer's first run. */
  state?: CustomerState;
  pending?: CustomerEvent[];
  absorbs?: AbsorbRequest[];
  mergeInto?: string;
  migrations?: JourneyMigration[];
  /** The newest journey catalog revision announced but not loaded yet. */
  catalogRevision?: number;
  /** Broadcasts received by a run that could not send (started before journeys). */
  campaigns?: CampaignBroadcast[];
}

export type CustomerWorkflowResult = { mergedInto: string } | { deleted: true };

export const customerWorkflowId = (customerId: string): string => `customer-${customerId}`;
