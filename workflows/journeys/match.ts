// Which journeys a customer enters, matched against the brand's catalog where the catalog lives
// (the save activity, from the worker's cache of it), so that a customer's workflow never carries
// the catalog: its cost per event is the same at 5 journeys or 500. Pure: the same trigger rules
// (triggers.ts) whoever calls them, the activity, a test or a backtest.
import { jsonCopy } from '../json-copy.js';
import type { CustomerEvent } from '../lifecycle/event.js';
import type { CustomerState } from '../lifecycle/state.js';
import { isCampaignJourney } from '../campaigns/journey.js';
import type { BehaviourLog } from '../segments/types.js';
import { initialJourneys, type Enrollment, type JourneysState } from './state.js';
import { baselineSegments, enrollOnChange, enrollOnEvent, runSegments, runTimers, type EnrollContext } from './triggers.js';
import type { JourneyCatalog, JourneyDefinition } from './types.js';

/** What matching needs to know of one customer: their profile and the journey facts entry rules read. */
export interface MatchRequest {
  /** The profile (without its journeys), as the batch left it. */
  customer: Omit<CustomerState, 'journeys'>;
  /** The journeys the customer is in now (ids; a customer is in a journey at most once). */
  enrolled: string[];
  history: JourneysState['history'];
  timers: JourneysState['timers'];
  membership?: JourneysState['membership'];
  behaviour?: BehaviourLog;
  /** The catalog revision the customer last matched against, and the newest one announced to it. */
  revision: number;
  wanted: number;
  /** The batch's events; left out where they travel beside the request anyway (the save activity's input). */
  events?: CustomerEvent[];
  changed: { stage?: string; tier?: string };
  timeZone: string;
  maxConcurrent: number;
  now: number;
}

/** A request without the profile and events: what rides beside the save activity's input, which has both. */
export type MatchFacts = Omit<MatchRequest, 'customer' | 'events'>;
export const factsOf = ({ customer: _customer, events: _events, ...facts }: MatchRequest): MatchFacts => facts;

/** What pausing or archiving means now for a journey the customer is in. */
export type EnrolledStatus = 'active' | 'hold' | 'exit' | 'archived';

export interface MatchResult {
  revision: number;
  /** The journeys to enter, in order, with the definitions of their latest versions. */
  entries: { definition: JourneyDefinition; context: Record<string, unknown> }[];
  timers: JourneysState['timers'];
  /** Present when journeys trigger on segments. */
  membership?: Record<string, boolean>;
  behaviour?: BehaviourLog;
  /** Per journey the customer is in (broadcasts aside). */
  statuses: Record<string, EnrolledStatus>;
}

const clone = <T>(value: T): T => (value === undefined ? value : jsonCopy(value));

/** Stands in for an enrollment: entry rules only ask which journeys the customer is in, and how many. */
const placeholder = (journeyId: string): Enrollment => ({
  id: `${journeyId}@0#0`, journeyId, version: 0, stepId: '', steps: 0, enteredAt: 0, stepSince: 0, context: {}, sent: {},
});

export function matchRequest(customer: CustomerState, journeys: JourneysState, input: Pick<MatchRequest, 'events' | 'changed' | 'timeZone' | 'maxConcurrent' | 'now' | 'wanted'>): MatchRequest {
  const { journeys: _journeys, ...profile } = customer;
  return {
    customer: profile,
    enrolled: journeys.enrollments.map((e) => e.journeyId),
    history: journeys.history,
    timers: journeys.timers,
    ...(journeys.membership && { membership: journeys.membership }),
    ...(journeys.behaviour && { behaviour: journeys.behaviour }),
    revision: journeys.catalogRevision,
    ...input,
  };
}

/** Runs the entry rules (events, stage and tier moves, segments, dates and inactivity) over the catalog. */
export function matchCatalog(catalog: JourneyCatalog, request: MatchRequest): MatchResult {
  const scratch: JourneysState = {
    ...initialJourneys(),
    enrollments: request.enrolled.map(placeholder),
    history: clone(request.history),
    timers: clone(request.timers),
    ...(request.membership && { membership: clone(request.membership) }),
    ...(request.behaviour && { behaviour: clone(request.behaviour) }),
  };
  const segments = catalog.segments ?? [];
  const ctx: EnrollContext = {
    customer: { ...request.customer, journeys: scratch }, journeys: scratch, catalog: catalog.journeys, segments,
    maxConcurrent: request.maxConcurrent, now: request.now, commands: [],
  };
  if (segments.length > 0) baselineSegments(ctx);
  const events = request.events ?? [];
  for (const event of events) enrollOnEvent(ctx, event);
  if (request.changed.stage || request.changed.tier) enrollOnChange(ctx, request.changed.stage, request.changed.tier);
  runSegments(ctx, events);
  runTimers(ctx, request.timeZone);

  const statuses: Record<string, EnrolledStatus> = {};
  for (const id of request.enrolled) {
    if (isCampaignJourney(id)) continue;
    const entry = catalog.journeys.find((c) => c.definition.id === id);
    statuses[id] = !entry ? 'archived' : entry.status === 'active' ? 'active' : entry.definition.onPause === 'exit' ? 'exit' : 'hold';
  }
  return {
    // Never below what was announced: a revision that does not exist must not make the customer ask again and again.
    revision: Math.max(catalog.revision, request.revision, request.wanted),
    entries: scratch.enrollments.slice(request.enrolled.length).map((e) => ({ definition: scratch.pinned[`${e.journeyId}@${e.version}`]!, context: e.context })),
    timers: scratch.timers,
    ...(segments.length > 0 && { membership: scratch.membership ?? {}, ...(scratch.behaviour && { behaviour: scratch.behaviour }) }),
    statuses,
  };
}
