// The MongoDB stand-in's benchmark (`npm run bench:mongo`): what each query shape the live path
// writes costs on mongo-java-server (memory) with BENCH_CUSTOMERS customers stored, so that a
// shape it answers by scanning shows up as a cost growing with the collection (MongoDB 7 answers
// all of these from the `_id` index; a broadcast's page walks it in order and stops at the page's end). Prints one JSON summary on stdout; stops the server on exit.
//   BENCH_CUSTOMERS   documents in the collection (default 100000)
//   BENCH_RUNS        operations timed per shape (default 200)
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { MongoClient } from 'mongodb';
import { startMongo } from './servers.js';

const customers = Number(process.env.BENCH_CUSTOMERS ?? 100_000);
const runs = Number(process.env.BENCH_RUNS ?? 200);
const guard = { $or: [{ revision: { $lt: 5 } }, { revision: { $exists: false } }] };

const mongo = await startMongo({ storage: 'memory', heap: '4g' });
const client = await new MongoClient(mongo.address).connect();
try {
  const coll = client.db('bench').collection<{ _id: string; revision: number; x?: number; traits: { email: string; cohort: string } }>('customers');
  for (let i = 0; i < customers; i += 1000) {
    await coll.insertMany(Array.from({ length: Math.min(1000, customers - i) }, (_, k) => ({ _id: `c${i + k}`, revision: 1, traits: { email: `c${i + k}@example.com`, cohort: 'all' } })));
  }
  const shapes: Record<string, (i: number) => Promise<unknown>> = {
    'updateOne {_id}': (i) => coll.updateOne({ _id: `c${i}` }, { $set: { x: i } }),
    'updateOne {_id, $or revision guard} upsert (customers.save)': (i) => coll.updateOne({ _id: `c${i}`, ...guard }, { $set: { x: i } }, { upsert: true }),
    'updateOne {_id, revision $lt}': (i) => coll.updateOne({ _id: `c${i}`, revision: { $lt: 5 } }, { $set: { x: i } }),
    'findOne {_id}': (i) => coll.findOne({ _id: `c${i}` }),
    'findOne {_id $in}': (i) => coll.findOne({ _id: { $in: [`c${i}`] } }),
    // A broadcast's page (activities/campaigns.ts campaignPage): the segment's filter after the cursor, by _id.
    'find {rule, _id $gt} sort _id limit 50 (campaignPage)': (i) => coll.find({ $and: [{ 'traits.cohort': 'all' }, { _id: { $gt: `c${i * 50}` } }] }, { projection: { _id: 1 } }).sort({ _id: 1 }).limit(50).toArray(),
  };
  const msPerOperation: Record<string, number> = {};
  for (const [name, op] of Object.entries(shapes)) {
    const started = performance.now();
    for (let i = 0; i < runs; i++) await op(i);
    msPerOperation[name] = Math.round(((performance.now() - started) / runs) * 100) / 100;
  }
  console.log(JSON.stringify({ customers, runs, msPerOperation, loadAverage: loadavg().map((l) => Math.round(l * 100) / 100) }, null, 2));
} finally {
  await client.close();
  await mongo.stop();
}
