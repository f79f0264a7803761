import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { toMs } from '../workflows/duration.js';
import type { Config } from '../config.js';
import { createActivities } from '../activities/index.js';
import type { Channels } from '../activities/channels/index.js';
import type { Models } from '../store/models.js';
import { sendTaskQueue } from '../workflows/messaging/queues.js';
import { channels, type Channel } from '../workflows/messaging/types.js';
import { eventsTaskQueue } from '../workflows/event-lane.js';
import { startWorkflowThreadsPlain } from './workflow-threads.js';

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

/** The workers of one process, started and stopped together. */
export interface WorkerGroup {
  run(): Promise<void>;
  shutdown(): void;
  getState(): ReturnType<Worker['getState']>;
}

function group(workers: Worker[]): WorkerGroup {
  return {
    run: async () => { await Promise.all(workers.map((w) => w.run())); },
    shutdown: () => { for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown(); },
    getState: () => workers[0]!.getState(),
  };
}

type Activities = ReturnType<typeof createActivities>;

/**
 * One activity-only worker per channel on its send queue (workflows/messaging/queues.ts), with
 * the channel's rate: Temporal holds sends past it in the queue (none is dropped), shared by
 * every worker, and hands out transactional ones first.
 */
export function createSendWorkers(options: {
  connection: NativeConnection; namespace?: string; taskQueue: string; activities: Activities;
  rates: Partial<Record<Channel, number>>; shutdownGraceTime?: Duration; shutdownForceTime?: Duration;
}): Promise<Worker[]> {
  const { sendMessage, sendAgain } = options.activities;
  return Promise.all(channels.map((channel) => Worker.create({
    connection: options.connection,
    ...(options.namespace !== undefined && { namespace: options.namespace }),
    taskQueue: sendTaskQueue(options.taskQueue, channel),
    activities: { sendMessage, sendAgain },
    ...(options.rates[channel] !== undefined && { maxTaskQueueActivitiesPerSecond: options.rates[channel] }),
    ...(options.shutdownGraceTime !== undefined && { shutdownGraceTime: options.shutdownGraceTime }),
    ...(options.shutdownForceTime !== undefined && { shutdownForceTime: options.shutdownForceTime }),
  })));
}

/**
 * The workers of this process's role (WORKER_ROLE): the workflows' worker (with every activity,
 * for runs whose sends predate the send queues) and the event stream's, the channels' send
 * workers, or both. A `sends` process loads no workflow code: no activation delays its sends.
 */
export async function createWorker(deps: WorkerDeps): Promise<WorkerGroup> {
  const role = deps.config.workerRole;
  const activities = createActivities({ models: deps.models, temporal: deps.temporal, config: deps.config, channels: deps.channels });
  // SIGTERM drains: no new tasks, the sends in flight finish (or are cancelled before their
  // point of no return once the grace is over), then the worker exits.
  const shutdownGraceTime = deps.config.workerShutdownGrace as Duration;
  const shutdownForceTime = toMs(deps.config.workerShutdownGrace) + 15_000;
  const workers: Worker[] = [];
  if (role !== 'sends') {
    startWorkflowThreadsPlain();
    workers.push(await Worker.create({
      connection: deps.connection,
      namespace: deps.config.temporal.namespace,
      taskQueue: deps.config.temporal.taskQueue,
      ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath }),
      activities,
      // Worker memory is bounded by this, not by the number of customers (BENCHMARKS.md, live customers).
      maxCachedWorkflows: deps.maxCachedWorkflows ?? deps.config.workerMaxCachedWorkflows,
      stickyQueueScheduleToStartTimeout: deps.config.workerStickyQueueTimeout as Duration,
      shutdownGraceTime,
      shutdownForceTime,
    }));
    // The event stream's deliveries on their own queue: each lane holds a slot while it waits for events or its endpoint.
    workers.push(await Worker.create({
      connection: deps.connection, namespace: deps.config.temporal.namespace, taskQueue: eventsTaskQueue(deps.config.temporal.taskQueue),
      activities: { deliverEventLane: activities.deliverEventLane }, maxConcurrentActivityTaskExecutions: 1000, shutdownGraceTime, shutdownForceTime,
    }));
  }
  if (role !== 'workflows') {
    workers.push(...await createSendWorkers({
      connection: deps.connection, namespace: deps.config.temporal.namespace, taskQueue: deps.config.temporal.taskQueue,
      activities, rates: deps.config.channelSendRates, shutdownGraceTime, shutdownForceTime,
    }));
  }
  return group(workers);
}
