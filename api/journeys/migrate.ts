// Moving customers from one version of a journey to another: check the step map against both
// versions, then signal each customer recorded on the old version. The workflow applies the move
// only if the customer is still on `fromVersion`, so a repeated migration changes nothing twice.
import pLimit from 'p-limit';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { customerWorkflowId, migrateJourneySignal, type JourneyMigration } from '../../workflows/customer-contract.js';
import type { EnrollmentRepository } from '../../store/enrollments.js';
import type { JourneyRepository } from '../../store/journeys.js';
import { ApiError, invalid, type ErrorDetail } from '../errors.js';
import type { MigrationRequest } from './schema.js';

export interface MigrationDeps {
  journeys: JourneyRepository;
  enrollments: EnrollmentRepository;
  temporal: Client;
}

export async function migrateCustomers(deps: MigrationDeps, journeyId: string, request: MigrationRequest): Promise<{ customers: number }> {
  if ((await deps.journeys.status(journeyId)) === null) throw new ApiError(404, 'not_found', `no journey "${journeyId}"`);
  const [from, to] = await Promise.all([deps.journeys.getVersion(journeyId, request.fromVersion), deps.journeys.getVersion(journeyId, request.toVersion)]);
  const details: ErrorDetail[] = [];
  if (!from) details.push({ field: 'fromVersion', message: `no version ${request.fromVersion} of this journey` });
  if (!to) details.push({ field: 'toVersion', message: `no version ${request.toVersion} of this journey` });
  if (!from || !to) throw invalid(details);
  for (const [oldStep, newStep] of Object.entries(request.steps)) {
    if (!(oldStep in from.definition.steps)) details.push({ field: `steps.${oldStep}`, message: `no step "${oldStep}" in version ${from.version}` });
    if (!(newStep in to.definition.steps)) details.push({ field: `steps.${oldStep}`, message: `unknown step "${newStep}" in version ${to.version}` });
  }
  if (details.length > 0) throw invalid(details);

  const migration: JourneyMigration = { journeyId, fromVersion: from.version, to: to.definition, steps: request.steps };
  const limit = pLimit(16);
  const signal = async (customerId: string): Promise<boolean> => {
    try {
      await deps.temporal.workflow.getHandle(customerWorkflowId(customerId)).signal(migrateJourneySignal, migration);
      return true;
    } catch (err) {
      // A customer erased or merged away since: nobody to move.
      if (err instanceof WorkflowNotFoundError) return false;
      throw new ApiError(503, 'temporal_unavailable', `workflows unavailable, retry later (${(err as Error).name})`);
    }
  };
  let customers = 0;
  for await (const batch of deps.enrollments.customersOn(journeyId, from.version)) {
    const signalled = await Promise.all(batch.map((id) => limit(() => signal(id))));
    customers += signalled.filter(Boolean).length;
  }
  return { customers };
}
