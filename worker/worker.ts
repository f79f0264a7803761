import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import ms, { type StringValue } from 'ms';
import type { Config } from '../config.js';
import { createActivities } from '../activities/index.js';
import type { Channels } from '../activities/channels/index.js';
import type { Models } from '../activities/db/models.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerDeps {
  connection: NativeConnection;
  config: Config;
  models: Models;
  temporal: Client;
  /** Defaults to the providers the configuration names. */
  channels?: Channels;
  /** Tests pass a bundle built once per file. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  maxCachedWorkflows?: number;
}

export function createWorker(deps: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.config.temporal.namespace,
    taskQueue: deps.config.temporal.taskQueue,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath }),
    activities: createActivities({ models: deps.models, temporal: deps.temporal, config: deps.config, channels: deps.channels }),
    // Worker memory is bounded by this, not by the number of customers (BENCHMARKS.md, live customers).
    maxCachedWorkflows: deps.maxCachedWorkflows ?? deps.config.workerMaxCachedWorkflows,
    // SIGTERM drains: no new tasks, the sends in flight finish (or are cancelled before their
    // point of no return once the grace is over), then the worker exits.
    shutdownGraceTime: deps.config.workerShutdownGrace as Duration,
    shutdownForceTime: ms(deps.config.workerShutdownGrace as StringValue) + 15_000,
  });
}
