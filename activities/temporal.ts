// How a customer's workflow is started: one place, used by the API and by activities.
import { TypedSearchAttributes } from '@temporalio/common';
import type { LifecycleRules } from '../workflows/lifecycle/rules.js';
import { customerWorkflowId, type CustomerWorkflowInput } from '../workflows/messages.js';
import { CustomerIdAttribute } from '../workflows/search-attributes.js';

export function startCustomerOptions(customerId: string, rules: LifecycleRules, taskQueue: string) {
  const input: CustomerWorkflowInput = { customerId, rules };
  return {
    workflowId: customerWorkflowId(customerId),
    taskQueue,
    args: [input] as [CustomerWorkflowInput],
    typedSearchAttributes: new TypedSearchAttributes([{ key: CustomerIdAttribute, value: customerId }]),
  };
}
