import type { SendLogEntry } from '../messaging/arbiter.js';
import type { Condition, JourneyCatalog, JourneyDefinition } from './types.js';
import type { Segment } from '../segments/types.js';
import type { BehaviourLog } from '../segments/evaluate.js';

/** One customer's place in one journey. */
export interface Enrollment {
  /** `${journeyId}@${version}#${seq}`: unique within the customer. */
  id: string;
  journeyId: string;
  /** The version entered with: the customer finishes on it unless migrated. */
  version: number;
  stepId: string;
  /** Steps taken so far: makes each visit of a step distinct (idempotency keys). */
  steps: number;
  enteredAt: number;
  /** When the current step began. */
  stepSince: number;
  /** When the current wait (or a deferred send) ends. */
  wakeAt?: number;
  /** A deferred send is dropped after this. */
  expiresAt?: number;
  variant?: string;
  /** The trigger event's properties, for personalisation and branches. */
  context: Record<string, unknown>;
  /** Per send step: the message's key and whether the customer opened or clicked it. */
  sent: Record<string, { key: string; engaged: boolean }>;
}

/** A customer a split held out, watched for the journey's goal until `until`: the holdout's conversions. */
export interface HoldoutWatch {
  /** The held-out enrollment's id (a fresh one after a merge, so records stay unique). */
  enrollmentId: string;
  journeyId: string;
  version: number;
  /** Steps taken when held out. */
  steps: number;
  goal: { event: string; where?: Condition[] };
  until: number;
}

export interface JourneysState {
  catalogRevision: number;
  catalog: JourneyCatalog['journeys'];
  /** Definitions of the versions customers are in, by `${id}@${version}`. */
  pinned: Record<string, JourneyDefinition>;
  enrollments: Enrollment[];
  /** Per journey: for re-entry rules. */
  history: Record<string, { entries: number; lastEnteredAt: number; lastExitedAt?: number }>;
  seq: number;
  /** Marketing and transactional sends, for frequency caps. */
  sendLog: SendLogEntry[];
  /** Time-based triggers: the next occurrence per journey, and what it was computed from. */
  timers: Record<string, { at: number; basis: string; fired?: boolean }>;
  /** Segments journeys trigger on: their rules, and whether the customer was in each at the last look. */
  segments?: Segment[];
  membership?: Record<string, boolean>;
  /** Daily counts of the events those segments' behaviour rules ask about. */
  behaviour?: BehaviourLog;
  /** Held-out customers awaiting the goal; absent when there are none. */
  holdouts?: HoldoutWatch[];
}

export function initialJourneys(): JourneysState {
  return { catalogRevision: 0, catalog: [], pinned: {}, enrollments: [], history: {}, seq: 0, sendLog: [], timers: {} };
}

export const pinKey = (journeyId: string, version: number): string => `${journeyId}@${version}`;
