// How much of a customer the profile keeps: bounded, so that a document never nears MongoDB's
// 16 MB and a workflow's state never nears Temporal's payload limit, however long a customer lives.
// Past a cap the oldest entries stay and new ones are not added (mergedFrom keeps the newest).

export interface ProfileLimits {
  /** Trait names (each value is at most 2 KB: api/ingest/limits.ts). */
  traits: number;
  tags: number;
  /** Channels opted in to (opt-outs are always kept: a limit never turns a "no" into silence). */
  consent: number;
  /** Customers merged into this one that the profile names (the erasure follows `mergedInto` instead). */
  mergedFrom: number;
}

export const profileLimits: ProfileLimits = { traits: 300, tags: 100, consent: 32, mergedFrom: 100 };

interface Bounded { traits: Record<string, unknown>; tags: string[]; consent: Record<string, boolean>; mergedFrom: string[] }

/** Whether a state holds more than the limits allow. */
export function pastLimits(s: Bounded, limits: ProfileLimits = profileLimits): boolean {
  return Object.keys(s.traits).length > limits.traits || s.tags.length > limits.tags
    || optIns(s.consent) > limits.consent || s.mergedFrom.length > limits.mergedFrom;
}

const optIns = (consent: Record<string, boolean>): number => Object.values(consent).filter(Boolean).length;

/** Records a channel's consent: an opt-out always, an opt-in unless past the cap. */
export function setConsent(consent: Record<string, boolean>, channel: string, given: boolean, max: number | undefined): void {
  if (!given || max === undefined || channel in consent || optIns(consent) < max) consent[channel] = given;
}

/** Sets `key` unless that would add a name past `max`. */
export function setBounded<T>(record: Record<string, T>, key: string, value: T, max: number | undefined): void {
  if (max === undefined || key in record || Object.keys(record).length < max) record[key] = value;
}

/** The failure type of a profile write MongoDB refuses for what it holds (never retried). */
export const writeRefused = 'WriteRefused';

/** Events set aside that a profile remembers, newest last. */
export const setAsideLimit = 20;
