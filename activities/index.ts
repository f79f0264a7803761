// Activities: all I/O of the customer workflow, built from injected connections.
import type { Client } from '@temporalio/client';
import type { CustomerEvent } from '../workflows/lifecycle/event.js';
import type { LifecycleRules } from '../workflows/lifecycle/rules.js';
import type { CustomerState } from '../workflows/lifecycle/state.js';
import { absorbSignal } from '../workflows/messages.js';
import { customerRepository } from './db/customers.js';
import type { Models } from './db/models.js';
import { startCustomerOptions } from './temporal.js';

export interface ActivityDeps {
  models: Models;
  temporal: Client;
  taskQueue: string;
}

export function createActivities({ models, temporal, taskQueue }: ActivityDeps) {
  const customers = customerRepository(models);
  return {
    async restoreCustomer(customerId: string): Promise<CustomerState | null> {
      return customers.restore(customerId);
    },

    /** `adopt`: customers just folded into this one, whose timelines move here. */
    async saveCustomer(input: { state: CustomerState; events: CustomerEvent[]; adopt?: string[] }): Promise<void> {
      await customers.save(input.state, input.events);
      if (input.adopt?.length) await customers.adoptTimelines(input.state.customerId, input.adopt);
    },

    /** The merged customer's last act: store where it went and pass its state to the survivor. */
    async handOver(input: { state: CustomerState; pending: CustomerEvent[]; survivorId: string; rules: LifecycleRules }): Promise<void> {
      await customers.save(input.state, []);
      await models.identities.updateMany({ customerId: input.state.customerId }, { $set: { customerId: input.survivorId } });
      await temporal.workflow.signalWithStart('customerWorkflow', {
        ...startCustomerOptions(input.survivorId, input.rules, taskQueue),
        signal: absorbSignal,
        signalArgs: [{ from: input.state, pending: input.pending }],
      });
    },
  };
}
