// The customer workflow's messages, ids and queue: the API and the worker import these.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CustomerEvent } from './lifecycle/event.js';
import type { LifecycleRules } from './lifecycle/rules.js';
import type { CustomerState } from './lifecycle/state.js';

/** Events of one customer that arrived together travel in one signal. */
export const eventsSignal = defineSignal<[CustomerEvent[]]>('events');
/** Another customer turned out to be this person: fold their state in. */
export const absorbSignal = defineSignal<[AbsorbRequest]>('absorb');
/** This customer turned out to be another: hand everything over and end. */
export const mergeIntoSignal = defineSignal<[string]>('mergeInto');
export const stateQuery = defineQuery<CustomerState>('state');

export interface AbsorbRequest {
  from: CustomerState;
  /** Events the merged customer received but had not applied yet. */
  pending: CustomerEvent[];
}

export interface CustomerWorkflowInput {
  customerId: string;
  rules: LifecycleRules;
  /** Carried across continueAsNew; absent on a customer's first run. */
  state?: CustomerState;
  pending?: CustomerEvent[];
  absorbs?: AbsorbRequest[];
  mergeInto?: string;
}

export type CustomerWorkflowResult = { mergedInto: string } | { deleted: true };

export const customerWorkflowId = (customerId: string): string => `customer-${customerId}`;
