import type { Stage } from './rules.js';
import type { JourneysState } from '../journeys/state.js';
import type { Touch } from '../attribution/types.js';
import type { Counters, Scores } from './scores.js';

/** Everything a customer's workflow knows; compact, so it crosses continueAsNew whole. */
export interface CustomerState {
  customerId: string;
  stage: Stage;
  tier?: string;
  points: number;
  counters: Counters;
  followed: boolean;
  registered: boolean;
  tags: string[];
  /** Per channel: true = opted in, false = opted out; absent = never said. */
  consent: Record<string, boolean>;
  /** Per subscription group the customer chose: true = joined, false = left; absent = the group's default. */
  subscriptions?: Record<string, boolean>;
  traits: Record<string, unknown>;
  /** Recently applied messageIds, newest last, for dedupe of client retries. */
  recentMessageIds: string[];
  /** Customers folded into this one. */
  mergedFrom: string[];
  /** Set when this customer was folded into another. */
  mergedInto?: string;
  /** Bumped on every change; the profile write keeps the highest. */
  revision: number;
  /** Messages sent, opened, clicked and campaign arrivals inside the attribution window, oldest first. */
  touches?: Touch[];
  /** RFM and value scores as of the last change. */
  scores?: Scores;
  /** Where the customer is in journeys, their send log for caps; absent before journeys existed. */
  journeys?: JourneysState;
  /** The last events MongoDB refused to store (never applied; kept in the timeline), newest last. */
  setAside?: SetAsideEvent[];
}

export interface SetAsideEvent { messageId: string; name?: string; reason: string; at: number }

export const recentMessageIdLimit = 2000;

export function initialState(customerId: string): CustomerState {
  return {
    customerId,
    stage: 'stranger',
    points: 0,
    counters: { events: 0, orders: 0, spend: 0 },
    followed: false,
    registered: false,
    tags: [],
    consent: {},
    traits: {},
    recentMessageIds: [],
    mergedFrom: [],
    revision: 0,
  };
}
