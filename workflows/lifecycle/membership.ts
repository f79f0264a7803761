// What makes a member, as the brand configures it (LIFECYCLE_RULES.memberTriggers): an event, an
// identify carrying a userId, or a call carrying a named (identity) trait such as `member_id`.
import type { CustomerEvent } from './event.js';
import type { LifecycleRules, MemberTrigger } from './rules.js';

/** The rules' triggers; a run started before triggers existed has only `memberEvents`. */
export const memberTriggersOf = (rules: LifecycleRules): MemberTrigger[] => rules.memberTriggers ?? rules.memberEvents.map((event) => ({ event }));

/** A trait value that says something: a non-blank text or a number. */
const present = (v: unknown): boolean => (typeof v === 'string' ? v.trim() !== '' : typeof v === 'number' && Number.isFinite(v));

function fires(t: MemberTrigger, e: CustomerEvent): boolean {
  if ('event' in t) return e.kind === 'track' && e.name === t.event;
  if ('identify' in t) return e.kind === 'identify' && (e.identities?.includes(t.identify) ?? false);
  return present(e.traits[t.trait]) || (e.identities?.includes(t.trait) ?? false);
}

/** Does this event make the customer a member? */
export function makesMember(rules: LifecycleRules, e: CustomerEvent): boolean {
  return memberTriggersOf(rules).some((t) => fires(t, e));
}
