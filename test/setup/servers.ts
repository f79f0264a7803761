// Starts each real server once per test run: MongoDB (mongo-java-server, memory) unless
// MONGODB_URI is given, and the Temporal dev server. Test files get their addresses by inject().
import type { TestProject } from 'vitest/node';
import { startMongo, startTemporal, type RunningServer } from '../../scripts/servers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
    temporalAddress: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: RunningServer[] = [];
  const [mongo, temporal] = await Promise.all([
    process.env.MONGODB_URI ? Promise.resolve(undefined) : startMongo({ storage: 'memory', heap: '3g' }),
    startTemporal({}),
  ]);
  if (mongo) started.push(mongo);
  started.push(temporal);
  project.provide('mongoUri', process.env.MONGODB_URI ?? mongo!.address);
  project.provide('temporalAddress', temporal.address);
  return async () => { await Promise.all(started.map((s) => s.stop())); };
}
