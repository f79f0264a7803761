import mongoose from 'mongoose';
import { createModels, type Models } from './models.js';

export interface Database {
  connection: mongoose.Connection;
  models: Models;
  /** true when MongoDB answers a ping within the timeout. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Connects, builds the models and makes sure their indexes exist. */
export async function connectDatabase(uri: string, options: { dbName?: string } = {}): Promise<Database> {
  const connection = mongoose.createConnection(uri, {
    dbName: options.dbName,
    serverSelectionTimeoutMS: 5000,
    autoIndex: false,
  });
  await connection.asPromise();
  const models = createModels(connection);
  await Promise.all([
    models.Customer, models.Event, models.Identity, models.Message, models.Journey, models.JourneyVersion,
    models.Conversion, models.StageChange, models.JourneyEvent, models.DeferredIngest, models.Audit, models.Import,
  ].map((m) => m.createIndexes()));
  return {
    connection,
    models,
    async ping(timeoutMs = 2000) {
      try {
        const db = connection.db;
        if (!db) return false;
        await Promise.race([
          db.command({ ping: 1 }),
          new Promise((_, reject) => setTimeout(() => reject(new Error('ping timed out')), timeoutMs).unref()),
        ]);
        return true;
      } catch {
        return false;
      }
    },
    close: () => connection.close(),
  };
}

/** Duplicate-key errors mean "already written": what idempotent writes expect on a retry. */
export function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: number; writeErrors?: { code?: number; err?: { code?: number } }[] } | undefined;
  if (e?.code === 11000) return e.writeErrors?.every((w) => (w.code ?? w.err?.code) === 11000) ?? true;
  return Boolean(e?.writeErrors?.length) && e!.writeErrors!.every((w) => (w.code ?? w.err?.code) === 11000);
}

// Failures that mean "MongoDB cannot be reached now" (not "this request is wrong"): the driver's
// network and server-selection errors, mongoose's buffering timeout, and the codes a server
// answers while it steps down or shuts down (the driver's retryable codes).
const unreachableErrors = new Set([
  'MongoServerSelectionError', 'MongooseServerSelectionError', 'MongoNetworkError', 'MongoNetworkTimeoutError', 'MongoPoolClearedError',
  'MongoNotConnectedError', 'MongoTopologyClosedError', 'MongoServerClosedError', 'MongoClientClosedError', 'MongoOperationTimeoutError',
]);
const unreachableCodes = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

/** true when an error (or its cause) says MongoDB is unreachable, so a retry later may succeed. */
export function isMongoUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { name, message, code } = e as { name?: unknown; message?: unknown; code?: unknown };
    if (typeof name !== 'string') continue;
    if (unreachableErrors.has(name)) return true;
    if (name === 'MongooseError' && typeof message === 'string' && message.includes('buffering timed out')) return true;
    if (name === 'MongoServerError' && typeof code === 'number' && unreachableCodes.has(code)) return true;
  }
  return false;
}

// Refusals that no retry can change: the document itself is what MongoDB (or the driver, before
// sending it) will not store — past 16 MB, nested too deep, a field name it forbids.
const refusedCodes = new Set([2, 9, 10334, 14, 15, 17419, 17420, 52, 55, 56, 57, 121]);

/** true when a write failed because of what it holds, so every retry would fail the same way. */
export function isRefusedForGood(err: unknown): boolean {
  if (isMongoUnavailable(err)) return false;
  const e = err as { name?: unknown; code?: unknown; writeErrors?: { code?: number; err?: { code?: number } }[] } | undefined;
  if (e?.name === 'BSONError' || e?.name === 'BSONVersionError') return true;
  // The serializer's buffer overflows on a document past the largest MongoDB takes.
  if (err instanceof RangeError) return true;
  if (typeof e?.code === 'number' && refusedCodes.has(e.code)) return true;
  return Boolean(e?.writeErrors?.length) && e!.writeErrors!.some((w) => refusedCodes.has(w.code ?? w.err?.code ?? -1));
}
