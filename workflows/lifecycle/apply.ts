// The customer's lifecycle rules as pure functions: (state, input, now) → { state, changes }.
import { jsonCopy } from '../json-copy.js';
import type { CustomerEvent } from './event.js';
import { setBounded, setConsent, type ProfileLimits } from './limits.js';
import type { LifecycleRules, Stage } from './rules.js';
import { recentMessageIdLimit, type CustomerState } from './state.js';
import { atRiskAt, deriveStage, deriveTier } from './stage.js';
import { scoresOf } from './scores.js';
import { makesMember } from './membership.js';
import { convert, recordTouch, touchOf } from '../attribution/credit.js';
import { defaultAttribution, type AttributionSettings, type Conversion, type Touch } from '../attribution/types.js';
import { changeSubscription, foldSubscriptions, subscriptionChangedEvent } from '../messaging/subscriptions.js';

/** Changes of the rules that running workflows adopt behind a patch: the shell passes the patch, asked only where it matters. */
export interface LifecycleFeatures {
  /** `Subscription Changed` joins or leaves a subscription group (before it, the event only counted). */
  subscriptionGroups?: () => boolean;
}

export interface Transition<T> { from: T; to: T }

export interface Outcome {
  state: CustomerState;
  /** Events applied now, in order; duplicates are left out. */
  applied: CustomerEvent[];
  duplicates: number;
  /** Conversions among the applied events, credited to the touches before them. */
  conversions: Conversion[];
  stage?: Transition<Stage>;
  tier?: Transition<string | undefined>;
}

const maxIso = (a: string | undefined, b: string): string => (a === undefined || b > a ? b : a);
const minIso = (a: string | undefined, b: string): string => (a === undefined || b < a ? b : a);
/** A number from an event's property as the lifecycle reads it (numeric text counts; anything else is 0). */
export const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : 0);

/** Receipts from providers: on the timeline, but not something the customer did. */
const providerEvents = new Set(['Message Delivered', 'Message Bounced', 'Message Failed']);

export function attributionOf(rules: LifecycleRules): AttributionSettings {
  const a = { ...defaultAttribution, ...rules.attribution };
  return a.conversionEvents.length > 0 ? a : { ...a, conversionEvents: [rules.orderEvent] };
}

/** Adds a touch (a message sent, or one from an event) to the customer's attribution window. */
export function withTouch(s: CustomerState, touch: Touch, rules: LifecycleRules): CustomerState {
  return { ...s, touches: recordTouch(s.touches ?? [], touch, attributionOf(rules)) };
}

function applyOne(s: CustomerState, e: CustomerEvent, rules: LifecycleRules, conversions: Conversion[], limits?: ProfileLimits, features: LifecycleFeatures = {}): void {
  s.counters.events += 1;
  const attribution = attributionOf(rules);
  const touch = touchOf(e);
  if (touch) s.touches = recordTouch(s.touches ?? [], touch, attribution);
  if (e.kind === 'track' && e.name && attribution.conversionEvents.includes(e.name)) {
    const revenue = Math.max(0, num(e.properties[rules.revenueProperty] ?? e.properties.revenue));
    conversions.push(convert(s.touches ?? [], { messageId: e.messageId, event: e.name, revenue, at: Date.parse(e.timestamp) }, attribution));
  }
  if (!(e.name && providerEvents.has(e.name))) {
    s.counters.lastSeenAt = maxIso(s.counters.lastSeenAt, e.timestamp);
    s.counters.firstSeenAt = minIso(s.counters.firstSeenAt, e.timestamp);
  }

  if (e.kind === 'identify' || Object.keys(e.traits).length > 0) {
    const { tags, consent, ...traits } = e.traits;
    for (const [name, value] of Object.entries(traits)) setBounded(s.traits, name, value, limits?.traits);
    if (Array.isArray(tags)) for (const t of tags) if (typeof t === 'string') addTag(s, t, limits);
    if (consent && typeof consent === 'object') {
      for (const [channel, given] of Object.entries(consent)) if (typeof given === 'boolean') setConsent(s.consent, channel, given, limits?.consent);
    }
  }
  if (makesMember(rules, e)) s.registered = true;
  if (e.kind !== 'track' || !e.name) return;

  const channel = typeof e.properties.channel === 'string' ? e.properties.channel : undefined;
  if (rules.fanEvents.includes(e.name)) s.followed = true;
  if (e.name === rules.orderEvent) {
    const revenue = Math.max(0, num(e.properties[rules.revenueProperty]));
    s.counters.orders += 1;
    s.counters.spend = round2(s.counters.spend + revenue);
    s.counters.lastOrderAt = maxIso(s.counters.lastOrderAt, e.timestamp);
    s.points += Math.floor(revenue * rules.pointsPerUnit);
  }
  switch (e.name) {
    case 'Subscribed':
      if (channel) setConsent(s.consent, channel, true, limits?.consent);
      break;
    case 'Unsubscribed':
      // Without a channel the customer has opted out of everything (an opt-out is never dropped).
      if (channel) s.consent[channel] = false; else s.consent['*'] = false;
      break;
    case subscriptionChangedEvent:
      if (features.subscriptionGroups?.()) changeSubscription(s.subscriptions ??= {}, e.properties);
      if (s.subscriptions && Object.keys(s.subscriptions).length === 0) delete s.subscriptions;
      break;
    case 'Points Redeemed':
      s.points -= Math.min(s.points, Math.max(0, Math.floor(num(e.properties.points))));
      break;
    case 'Tag Added':
      if (typeof e.properties.tag === 'string') addTag(s, e.properties.tag, limits);
      break;
    case 'Tag Removed':
      s.tags = s.tags.filter((t) => t !== e.properties.tag);
      break;
  }
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

function addTag(s: CustomerState, tag: string, limits: ProfileLimits | undefined): void {
  if (!s.tags.includes(tag) && (limits === undefined || s.tags.length < limits.tags)) s.tags.push(tag);
}

function finish(before: CustomerState, s: CustomerState, rules: LifecycleRules, now: number, applied: CustomerEvent[], duplicates: number, conversions: Conversion[] = []): Outcome {
  s.stage = deriveStage(s, rules, now);
  s.tier = deriveTier(s, rules);
  if (s.tier === undefined) delete s.tier;
  // Scores alone never count as a change: a wake-up that changes nothing else writes nothing.
  const changed = applied.length > 0 || s.stage !== before.stage || s.tier !== before.tier;
  if (changed) {
    s.revision = before.revision + 1;
    s.scores = scoresOf(s.counters, now, rules.scoreThresholds);
  }
  return {
    state: changed ? s : before,
    applied,
    duplicates,
    conversions,
    stage: s.stage !== before.stage ? { from: before.stage, to: s.stage } : undefined,
    tier: s.tier !== before.tier ? { from: before.tier, to: s.tier } : undefined,
  };
}

/**
 * Applies a batch of events in order, dropping any whose messageId was already applied. With
 * `limits`, the profile keeps no more traits, tags and consent entries than they allow.
 */
export function applyEvents(state: CustomerState, events: CustomerEvent[], rules: LifecycleRules, now: number, limits?: ProfileLimits, features?: LifecycleFeatures): Outcome {
  const s = clone(state);
  const seen = new Set(s.recentMessageIds);
  const applied: CustomerEvent[] = [];
  const conversions: Conversion[] = [];
  let duplicates = 0;
  for (const e of events) {
    if (seen.has(e.messageId)) { duplicates += 1; continue; }
    seen.add(e.messageId);
    s.recentMessageIds.push(e.messageId);
    applyOne(s, e, rules, conversions, limits, features);
    applied.push(e);
  }
  if (s.recentMessageIds.length > recentMessageIdLimit) s.recentMessageIds.splice(0, s.recentMessageIds.length - recentMessageIdLimit);
  return finish(state, s, rules, now, applied, duplicates, conversions);
}

/** Time passed with no event: stage may slip (e.g. to at risk). */
export function tick(state: CustomerState, rules: LifecycleRules, now: number): Outcome {
  return finish(state, clone(state), rules, now, [], 0);
}

/** The next moment the lifecycle changes by itself, if any (epoch ms). */
export function nextWakeAt(state: CustomerState, rules: LifecycleRules): number | undefined {
  return state.stage === 'at_risk' ? undefined : atRiskAt(state, rules);
}

/** Folds another customer (found to be the same person) into this one, within `limits` when given. */
export function absorb(state: CustomerState, other: CustomerState, rules: LifecycleRules, now: number, limits?: ProfileLimits): Outcome {
  if (other.customerId === state.customerId || state.mergedFrom.includes(other.customerId)) {
    return { state, applied: [], duplicates: 0, conversions: [] };
  }
  const s = clone(state);
  const a = s.counters;
  const b = other.counters;
  s.counters = {
    events: a.events + b.events,
    orders: a.orders + b.orders,
    spend: round2(a.spend + b.spend),
    ...optional('firstSeenAt', [a.firstSeenAt, b.firstSeenAt], minIso),
    ...optional('lastSeenAt', [a.lastSeenAt, b.lastSeenAt], maxIso),
    ...optional('lastOrderAt', [a.lastOrderAt, b.lastOrderAt], maxIso),
  };
  s.points += other.points;
  s.followed ||= other.followed;
  s.registered ||= other.registered;
  for (const t of other.tags) if (!s.tags.includes(t)) s.tags.push(t);
  // An opt-out on either side wins: never message someone who said no.
  for (const [channel, given] of Object.entries(other.consent)) s.consent[channel] = (s.consent[channel] ?? given) && given;
  const subscriptions = foldSubscriptions(s.subscriptions, other.subscriptions);
  if (subscriptions) s.subscriptions = subscriptions;
  const own = s.traits;
  s.traits = { ...other.traits, ...own };
  const ids = new Set(s.recentMessageIds);
  for (const id of other.recentMessageIds) if (!ids.has(id)) s.recentMessageIds.push(id);
  if (s.recentMessageIds.length > recentMessageIdLimit) s.recentMessageIds.splice(0, s.recentMessageIds.length - recentMessageIdLimit);
  if (other.touches?.length) {
    for (const t of other.touches) s.touches = recordTouch(s.touches ?? [], t, attributionOf(rules));
  }
  s.mergedFrom.push(other.customerId, ...other.mergedFrom.filter((id) => !s.mergedFrom.includes(id)));
  if (limits) {
    if (s.mergedFrom.length > limits.mergedFrom) s.mergedFrom.splice(0, s.mergedFrom.length - limits.mergedFrom);
    s.tags.splice(limits.tags);
    s.traits = Object.fromEntries(Object.entries(own).slice(0, limits.traits));
    for (const [name, value] of Object.entries(other.traits)) setBounded(s.traits, name, value, limits.traits);
    const consent = Object.entries(s.consent);
    s.consent = Object.fromEntries(consent.filter(([, v]) => !v));
    for (const [channel] of consent.filter(([, v]) => v)) setConsent(s.consent, channel, true, limits.consent);
  }
  const out = finish(state, s, rules, now, [], 0);
  // A merge always changes the state, even when stage and tier stay.
  if (out.state === state) { s.revision = state.revision + 1; out.state = s; }
  return out;
}

function optional<K extends string>(key: K, values: (string | undefined)[], pick: (a: string | undefined, b: string) => string): Partial<Record<K, string>> {
  let out: string | undefined;
  for (const v of values) if (v !== undefined) out = pick(out, v);
  return out === undefined ? {} : ({ [key]: out } as Record<K, string>);
}

/**
 * A copy to change. State is plain JSON (it travels in Temporal payloads); the journeys' part is
 * kept as it is, never changed here (the journey engine copies it before it changes it).
 */
function clone(state: CustomerState): CustomerState {
  if (state.journeys === undefined) return jsonCopy(state);
  const { journeys, ...profile } = state;
  return { ...jsonCopy(profile), journeys };
}
