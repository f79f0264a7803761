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
