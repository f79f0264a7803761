// Journeys as stored: `journeys` (the editable draft and status), `journey_versions` (each publish,
// immutable) and the catalog revision in `counters`.
import { Schema, type Connection, type Model } from 'mongoose';
import type { Collection } from 'mongodb';
import type { JourneyDefinition, JourneyStatus } from '../workflows/journeys/types.js';
import { collectionOf } from './collection.js';

/** A journey as the marketer edits it: the definition without id and version (publish adds them). */
export type JourneyDraft = Omit<JourneyDefinition, 'id' | 'version'>;

export interface JourneyDoc {
  _id: string;
  name: string;
  status: JourneyStatus;
  draft: JourneyDraft;
  /** 0 until the first publish. */
  latestVersion: number;
  /** What pausing means for customers inside: the latest version's choice, or the one given at pause. */
  onPause: 'hold' | 'exit';
  createdAt: Date;
  updatedAt: Date;
  publishedAt?: Date;
}

export interface JourneyVersionDoc {
  /** `${journeyId}@${version}`: a second publish of the same number cannot be stored. */
  _id: string;
  journeyId: string;
  version: number;
  definition: JourneyDefinition;
  publishedAt: Date;
}

export interface CounterDoc {
  _id: string;
  value: number;
}

const journeySchema = new Schema<JourneyDoc>({
  _id: String,
  name: String,
  status: { type: String, index: true },
  draft: { type: Schema.Types.Mixed },
  latestVersion: Number,
  onPause: String,
  createdAt: Date,
  updatedAt: Date,
  publishedAt: Date,
}, { versionKey: false, minimize: false });

const journeyVersionSchema = new Schema<JourneyVersionDoc>({
  _id: String,
  journeyId: String,
  version: Number,
  definition: { type: Schema.Types.Mixed },
  publishedAt: Date,
}, { versionKey: false, minimize: false });
// A journey's versions in order (version lists, the next version number).
journeyVersionSchema.index({ journeyId: 1, version: -1 });

const counterSchema = new Schema<CounterDoc>({ _id: String, value: Number }, { versionKey: false });

export interface JourneyModels {
  Journey: Model<JourneyDoc>;
  JourneyVersion: Model<JourneyVersionDoc>;
  Counter: Model<CounterDoc>;
  journeys: Collection<JourneyDoc>;
  journeyVersions: Collection<JourneyVersionDoc>;
  counters: Collection<CounterDoc>;
}

export function createJourneyModels(connection: Connection): JourneyModels {
  const Journey = connection.model<JourneyDoc>('Journey', journeySchema, 'journeys');
  const JourneyVersion = connection.model<JourneyVersionDoc>('JourneyVersion', journeyVersionSchema, 'journey_versions');
  const Counter = connection.model<CounterDoc>('Counter', counterSchema, 'counters');
  return {
    Journey, JourneyVersion, Counter,
    journeys: collectionOf(Journey),
    journeyVersions: collectionOf(JourneyVersion),
    counters: collectionOf(Counter),
  };
}
