// The worker process: runs customer workflows and their activities until SIGINT/SIGTERM; with
// WORKER_ROLE, only the channels' sends (`sends`) or all but those (`workflows`).
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfigOrExit } from '../config.js';
import { createLogger } from '../logging.js';
import { connectDatabase } from '../store/connection.js';
import { createWorker } from './worker.js';
import { ensureReportDaysSchedule } from './schedules.js';

const config = loadConfigOrExit(process.env);
const logger = createLogger(config.logLevel);
// The SDK's own lines (activity failures quote their errors) go through the same redacting logger.
Runtime.install({
  // The SDK's metrics (e.g. temporal_activity_schedule_to_start_latency by task_queue: how long
  // sends wait on each channel's send queue under its rate) for Prometheus, when asked for.
  ...(config.workerMetricsAddress && { telemetryOptions: { metrics: { prometheus: { bindAddress: config.workerMetricsAddress } } } }),
  logger: new DefaultLogger(config.logLevel === 'debug' ? 'DEBUG' : config.logLevel === 'info' ? 'INFO' : config.logLevel === 'warn' ? 'WARN' : 'ERROR',
    ({ level, message, meta }) => logger[level === 'TRACE' ? 'trace' : level === 'DEBUG' ? 'debug' : level === 'INFO' ? 'info' : level === 'WARN' ? 'warn' : 'error'](meta ?? {}, message)),
});
const db = await connectDatabase(config.mongodbUri);
const connection = await NativeConnection.connect({ address: config.temporal.address });
// Activities signal other workflows through this client: cap gRPC's reconnect backoff (see api/main.ts).
const clientConnection = await Connection.connect({ address: config.temporal.address, channelArgs: { 'grpc.max_reconnect_backoff_ms': 2000 } });
const temporal = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
const worker = await createWorker({ connection, config, models: db.models, temporal });
if (config.workerRole !== 'sends' && config.reportsRefreshEvery !== 'off') await ensureReportDaysSchedule(temporal, config.temporal.taskQueue, config.reportsRefreshEvery);
// A plain line: start scripts and tests wait for it.
const role = config.workerRole === 'all' ? '' : ` (role ${config.workerRole}: ${config.workerRole === 'sends' ? 'only the channels\' send queues' : 'all but the channels\' send queues'})`;
console.log(`worker polling task queue '${config.temporal.taskQueue}' on ${config.temporal.address}${role}`);
// worker.run() resolves after the SDK's own SIGINT/SIGTERM handling drains in-flight tasks (every worker of the group).
await worker.run();
await Promise.all([connection.close(), clientConnection.close(), db.close()]);
