// Subscription groups as the customer's workflow sees them: only the customer's own choices
// (`state.subscriptions`, group id → in or out), never the brand's catalog of groups. A send
// brings its group's rule with it (GroupRule, in the journey or campaign definition), so the cost
// of an event or a send does not grow with the groups a brand defines. Pure.
import type { GroupRule } from './types.js';

/** The event that joins or leaves a group: `properties: { group, subscribed }`. */
export const subscriptionChangedEvent = 'Subscription Changed';

/** Group ids as the API makes them: they become MongoDB keys, so no dots or `$`. */
export const isGroupId = (id: unknown): id is string => typeof id === 'string' && /^[a-z0-9][a-z0-9_-]{0,63}$/.test(id);

/** Groups a customer may have joined (leaving is always kept: a limit never turns a "no" into a "yes"). */
export const maxJoinedGroups = 100;

/** Whether the customer is in the group: their choice, else the group's default; always in a transactional group. */
export function inGroup(subscriptions: Record<string, boolean> | undefined, groupId: string, rule: GroupRule | undefined): boolean {
  if (rule?.transactional) return true;
  const chosen = subscriptions?.[groupId];
  if (chosen !== undefined) return chosen;
  // A rule unknown here (a definition from before groups were copied into it) counts as opt-in: never send unasked.
  return rule?.type === 'opt_out';
}

/** Records a choice from a `Subscription Changed` event's properties; anything malformed changes nothing. */
export function changeSubscription(subscriptions: Record<string, boolean>, properties: Record<string, unknown>): void {
  const { group, subscribed } = properties;
  if (!isGroupId(group) || typeof subscribed !== 'boolean') return;
  const joined = Object.values(subscriptions).filter(Boolean).length;
  if (subscribed && subscriptions[group] !== true && joined >= maxJoinedGroups) return;
  subscriptions[group] = subscribed;
}

/** Folds a merged customer's choices in: leaving on either side wins. */
export function foldSubscriptions(into: Record<string, boolean> | undefined, from: Record<string, boolean> | undefined): Record<string, boolean> | undefined {
  if (!from || Object.keys(from).length === 0) return into;
  const out = { ...into };
  for (const [group, subscribed] of Object.entries(from)) out[group] = (out[group] ?? subscribed) && subscribed;
  return out;
}
