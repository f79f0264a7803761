// How workflows are started, used by the API and by activities: each by the name the worker
// registers it under, with its arguments checked against its function (a misspelt name or a wrong
// input fails the type check), and a customer's workflow always with the options below.
import type { Client, WorkflowStartOptions } from '@temporalio/client';
import { TypedSearchAttributes, type SignalDefinition } from '@temporalio/common';
import type * as workflows from '../workflows/index.js';
import type { LifecycleRules } from '../workflows/lifecycle/rules.js';
import type { MessagingPolicy } from '../workflows/messaging/arbiter.js';
import { customerWorkflowId, type CustomerWorkflowInput } from '../workflows/customer-contract.js';
import { CustomerIdAttribute, LifecycleStageAttribute, TierAttribute } from '../workflows/search-attributes.js';

/** The brand's rules every customer workflow starts with. */
export interface CustomerSettings {
  rules: LifecycleRules;
  policy: MessagingPolicy;
}

/** `fresh`: the customer was just created (identity resolution made the id), so there is no profile to restore. */
export function startCustomerOptions(customerId: string, settings: CustomerSettings, taskQueue: string, fresh = false) {
  const input: CustomerWorkflowInput = { version: 2, customerId, rules: settings.rules, policy: settings.policy, ...(fresh && { fresh }) };
  return {
    workflowId: customerWorkflowId(customerId),
    taskQueue,
    args: [input] as [CustomerWorkflowInput],
    // A new customer is a stranger without a tier: set here, the workflow upserts only changes.
    typedSearchAttributes: new TypedSearchAttributes([
      { key: CustomerIdAttribute, value: customerId }, { key: LifecycleStageAttribute, value: 'stranger' }, { key: TierAttribute, value: 'none' },
    ]),
  };
}

type Workflows = typeof workflows;
/** The workflow types the worker registers (workflows/index.ts). */
export type WorkflowType = keyof Workflows;

/** Starts a workflow of this type. */
export function startWorkflow<T extends WorkflowType>(temporal: Client, type: T, options: WorkflowStartOptions<Workflows[T]>) {
  return temporal.workflow.start<Workflows[T]>(type, options);
}

/**
 * Signals a customer's workflow, starting it first if it is not running (a new customer, or one
 * whose workflow ended): the one way events, merges, hand-overs and broadcasts reach a customer.
 */
export function signalCustomer<A extends unknown[]>(
  temporal: Client, customerId: string, start: { settings: CustomerSettings; taskQueue: string; fresh?: boolean },
  signal: SignalDefinition<A>, ...signalArgs: A
) {
  // The signal's arguments are checked above, against its definition; the client's own options
  // type cannot check them for a generic signal, so they reach it as a list.
  const definition: SignalDefinition<unknown[]> = signal;
  return temporal.workflow.signalWithStart<Workflows['customerWorkflow'], unknown[]>('customerWorkflow', {
    ...startCustomerOptions(customerId, start.settings, start.taskQueue, start.fresh), signal: definition, signalArgs,
  });
}
