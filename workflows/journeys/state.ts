import type { SendLogEntry } from '../messaging/arbiter.js';
import type { JourneyCatalog, JourneyDefinition } from './types.js';
import type { BehaviourLog, Condition, Segment } from '../segments/types.js';

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

/**
 * A customer who left a journey before its goal (no reaction, exit criteria, end of steps, a pause
 * or archive, a migration to another goal), watched until the conversion window from entering
 * closes: reaching the goal by then is the journey's conversion (see windows.ts).
 */
export interface ConversionWatch extends HoldoutWatch {
  /** The A/B/n arm the customer was in, if the split had assigned one. */
  variant?: string;
}

/**
 * One customer's journeys: where they are, what they entered before, their caps. Only this
 * customer's data and the definitions of the versions they are in: the brand's catalog is
 * matched where it lives (the save activity, see match.ts), never carried here.
 */
export interface JourneysState {
  /** The catalog revision last matched against. */
  catalogRevision: number;
  /** Definitions of the versions customers are in, by `${id}@${version}`. */
  pinned: Record<string, JourneyDefinition>;
  enrollments: Enrollment[];
  /** Per journey: for re-entry rules. */
  history: Record<string, { entries: number; lastEnteredAt: number; lastExitedAt?: number }>;
  seq: number;
  /** Marketing and transactional sends, for frequency caps. */
  sendLog: SendLogEntry[];
  /** Time-based triggers: this customer's next occurrence per journey, and what it was computed from. */
  timers: Record<string, { at: number; basis: string; fired?: boolean }>;
  /** Whether the customer was in each segment journeys trigger on, at the last look. */
  membership?: Record<string, boolean>;
  /** Daily counts of the events those segments' behaviour rules ask about. */
  behaviour?: BehaviourLog;
  /** Held-out customers awaiting the goal; absent when there are none. */
  holdouts?: HoldoutWatch[];
  /** Customers who left a journey before its goal, watched until its window closes; absent when none (at most one per journey). */
  windows?: ConversionWatch[];
  /** Journeys this customer is in that are paused with `hold`; absent when none. */
  paused?: string[];
}

/** The state of runs started before lean workflows: every customer carried the whole catalog. */
export interface LegacyJourneysState extends JourneysState {
  catalog: JourneyCatalog['journeys'];
  segments?: Segment[];
}

export function initialJourneys(): JourneysState {
  return { catalogRevision: 0, pinned: {}, enrollments: [], history: {}, seq: 0, sendLog: [], timers: {} };
}

export const pinKey = (journeyId: string, version: number): string => `${journeyId}@${version}`;
