// The minimal workflow's worker, run by the bench as a child process beside Closedloop's own:
// MINIMAL_TASK_QUEUE, TEMPORAL_ADDRESS and MONGODB_URI from the environment.
import { fileURLToPath } from 'node:url';
import { MongoClient, type Collection } from 'mongodb';
import { NativeConnection, Worker } from '@temporalio/worker';
import { startWorkflowThreadsPlain } from '../../worker/workflow-threads.js';

export function createMinimalActivities(docs: Collection<{ _id: string; value: string; at: Date }>) {
  return {
    async upsertOne(id: string, value: string): Promise<void> {
      await docs.updateOne({ _id: id }, { $set: { value, at: new Date() } }, { upsert: true });
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { TEMPORAL_ADDRESS, MONGODB_URI, MINIMAL_TASK_QUEUE } = process.env;
  if (!TEMPORAL_ADDRESS || !MONGODB_URI || !MINIMAL_TASK_QUEUE) throw new Error('TEMPORAL_ADDRESS, MONGODB_URI and MINIMAL_TASK_QUEUE are required');
  const mongo = await MongoClient.connect(MONGODB_URI);
  const connection = await NativeConnection.connect({ address: TEMPORAL_ADDRESS });
  // Its workflow thread is started as Closedloop's is (worker/workflow-threads.ts): the reference pays what the measured worker pays.
  startWorkflowThreadsPlain();
  const worker = await Worker.create({
    connection, taskQueue: MINIMAL_TASK_QUEUE,
    workflowsPath: fileURLToPath(new URL('./minimal-workflow.ts', import.meta.url)),
    activities: createMinimalActivities(mongo.db().collection('minimal')),
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => worker.shutdown());
  console.log('minimal worker polling');
  await worker.run();
  await connection.close();
  await mongo.close();
}
