// How a customer's workflow is started: one place, used by the API and by activities.
import { TypedSearchAttributes } from '@temporalio/common';
import type { LifecycleRules } from '../workflows/lifecycle/rules.js';
import type { MessagingPolicy } from '../workflows/messaging/arbiter.js';
import { customerWorkflowId, type CustomerWorkflowInput } from '../workflows/messages.js';
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
