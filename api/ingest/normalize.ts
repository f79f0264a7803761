// Turns a validated Segment event into the workflow's CustomerEvent and the identities it carries.
import { randomUUID } from 'node:crypto';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { CustomerEvent } from '../../workflows/lifecycle/event.js';
import type { Identity } from '../../store/identities.js';
import type { ErrorDetail } from '../errors.js';
import type { SegmentEvent } from './segment.js';
import { shapeDetails, traitDetails } from './limits.js';

export interface IdentityOptions {
  defaultPhoneCountry: string;
  /** Extra trait names that identify a person (member ids, loyalty cards…). */
  extraTraits: string[];
}

import type { Normalised } from '../../activities/routing.js';
import type { Channel } from '../../workflows/messaging/types.js';

export type { Normalised };

// Trait names people use for the identities we know, in Segment's and Chinese platforms' styles.
export const traitAliases: Record<string, string[]> = {
  email: ['email'],
  phone: ['phone', 'mobile'],
  wechat_openid: ['wechat_openid', 'wechatOpenId', 'openid'],
  wechat_unionid: ['wechat_unionid', 'wechatUnionId', 'unionid'],
};

export function normalisePhone(raw: string, country: string): string | undefined {
  const phone = parsePhoneNumberFromString(raw, country as CountryCode);
  return phone?.isValid() ? phone.number : undefined;
}

/** RFC 5321's limit on an address: anything longer is refused before it is looked at. */
export const maxEmailLength = 254;

/** One `@`, no spaces, a dot inside the domain: checked in one pass (no backtracking regex). */
export function normaliseEmail(raw: string): string | undefined {
  if (raw.length > maxEmailLength + 64) return undefined;
  const email = raw.trim().toLowerCase();
  if (email.length > maxEmailLength || /\s/.test(email)) return undefined;
  const at = email.indexOf('@');
  if (at < 1 || at !== email.lastIndexOf('@')) return undefined;
  const domain = email.slice(at + 1);
  const dot = domain.indexOf('.', 1);
  return dot > 0 && dot < domain.length - 1 ? email : undefined;
}

/** A field's name in an error: `batch.3.traits.phone` in a batch, `traits.phone` in a single event. */
const field = (at: string, path: string): string => (at ? `${at}.${path}` : path);

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/**
 * Segment's clock-skew correction: a device's clock may be wrong, so shift `timestamp` by the
 * difference between when we received the event and when the device says it sent it.
 */
function occurredAt(e: SegmentEvent, batchSentAt: string | undefined, receivedAt: Date): string {
  const sentAt = e.sentAt ?? batchSentAt;
  if (!e.timestamp) return receivedAt.toISOString();
  const ts = Date.parse(e.timestamp);
  if (!sentAt) return new Date(ts).toISOString();
  return new Date(ts + (receivedAt.getTime() - Date.parse(sentAt))).toISOString();
}

export function normalise(
  e: SegmentEvent, at: string, options: IdentityOptions, receivedAt: Date, batchSentAt?: string,
): { ok: true; value: Normalised } | { ok: false; details: ErrorDetail[] } {
  const details: ErrorDetail[] = [];
  const identities: Identity[] = [];
  const context = obj(e.context);
  const ownTraits = e.type === 'identify' ? e.traits : {};
  const idTraits = { ...obj(context.traits), ...ownTraits };

  if (e.userId) identities.push({ type: 'userId', value: e.userId });
  if (e.anonymousId) identities.push({ type: 'anonymousId', value: e.anonymousId });
  if (e.type === 'alias') identities.push({ type: 'anonymousId', value: e.previousId });

  for (const [type, names] of Object.entries(traitAliases)) {
    const name = names.find((n) => typeof idTraits[n] === 'string' && idTraits[n] !== '');
    if (!name) continue;
    const raw = idTraits[name] as string;
    const value = type === 'phone' ? normalisePhone(raw, options.defaultPhoneCountry) : type === 'email' ? normaliseEmail(raw) : raw.trim();
    const where = name in ownTraits ? field(at, `traits.${name}`) : field(at, `context.traits.${name}`);
    if (!value) details.push({ field: where, message: type === 'phone' ? `not a valid phone number (default country ${options.defaultPhoneCountry})` : `not a valid ${type}` });
    else identities.push({ type, value });
  }
  for (const type of options.extraTraits) {
    const raw = idTraits[type];
    if (typeof raw === 'string' && raw.trim()) identities.push({ type, value: raw.trim() });
  }
  if (details.length > 0) return { ok: false, details };
  // What would be stored: refused here, naming the field, rather than by MongoDB in the workflow.
  if (e.type === 'track' || e.type === 'page' || e.type === 'screen') shapeDetails(e.properties, field(at, 'properties'), details);
  if (e.type === 'identify' || e.type === 'group') {
    shapeDetails(e.traits, field(at, 'traits'), details);
    if (e.type === 'identify') details.push(...traitDetails(e.traits, field(at, 'traits')));
  }
  if (details.length > 0) return { ok: false, details };

  const properties: Record<string, unknown> =
    e.type === 'track' || e.type === 'page' || e.type === 'screen' ? { ...e.properties }
      : e.type === 'group' ? { groupId: e.groupId, groupTraits: e.traits }
        : e.type === 'alias' ? { previousId: e.previousId } : {};
  if (e.type === 'page' && e.category) properties.category = e.category;
  const name = e.type === 'track' ? e.event : e.type === 'page' || e.type === 'screen' ? e.name : undefined;
  const channel = typeof properties.channel === 'string' ? properties.channel : typeof context.channel === 'string' ? context.channel : undefined;
  const timestamp = occurredAt(e, batchSentAt, receivedAt);
  const campaign = utmOf(obj(context.campaign));
  const carried = dedupe(identities);
  const event: CustomerEvent = {
    // As Segment's libraries do: a call without an id is a new event, never a retry of another.
    messageId: e.messageId ?? `api-${randomUUID()}`,
    kind: e.type,
    ...(name !== undefined && { name }),
    properties,
    traits: ownTraits,
    timestamp,
    ...(channel !== undefined && { channel }),
    ...(campaign && { campaign }),
    ...(carried.length > 0 && { identities: [...new Set(carried.map((i) => i.type))] }),
  };
  return { ok: true, value: { event, identities: carried } };
}

/** Segment's `context.campaign` (utm_source, utm_medium, utm_campaign), when it names any of them. */
function utmOf(c: Record<string, unknown>): CustomerEvent['campaign'] {
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, 200) : undefined);
  const utm = { source: text(c.source), medium: text(c.medium), name: text(c.name) };
  if (!utm.source && !utm.medium && !utm.name) return undefined;
  return Object.fromEntries(Object.entries(utm).filter(([, v]) => v !== undefined));
}

function dedupe(identities: Identity[]): Identity[] {
  const seen = new Set<string>();
  return identities.filter((i) => { const k = `${i.type}:${i.value}`; if (seen.has(k)) return false; seen.add(k); return true; });
}

/** An address as the channel stores it (E.164 phone, lower-case e-mail, others trimmed), or undefined when it is not one. */
export function normaliseAddress(channel: Channel, raw: string, defaultPhoneCountry: string): string | undefined {
  if (channel === 'email') return normaliseEmail(raw);
  if (channel === 'sms') return normalisePhone(raw, defaultPhoneCountry);
  return raw.trim() || undefined;
}
