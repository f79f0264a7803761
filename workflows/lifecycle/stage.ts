import type { LifecycleRules, Stage } from './rules.js';
import type { CustomerState } from './state.js';

const dayMs = 86_400_000;

export function deriveStage(s: CustomerState, rules: LifecycleRules, now: number): Stage {
  if (s.counters.orders > 0) {
    if (atRiskAt(s, rules) !== undefined && now >= atRiskAt(s, rules)!) return 'at_risk';
    return s.counters.orders >= rules.loyalOrders ? 'loyal' : 'customer';
  }
  if (s.registered) return 'member';
  if (s.followed) return 'fan';
  return 'stranger';
}

/** Members and buyers hold the highest tier their lifetime spend reaches. */
export function deriveTier(s: CustomerState, rules: LifecycleRules): string | undefined {
  if (!s.registered && s.counters.orders === 0) return undefined;
  let tier: string | undefined;
  for (const t of rules.tiers) if (s.counters.spend >= t.minSpend) tier = t.name;
  return tier;
}

/** When, with no new order, this customer slips to at risk (epoch ms). */
export function atRiskAt(s: CustomerState, rules: LifecycleRules): number | undefined {
  if (!s.counters.lastOrderAt) return undefined;
  return Date.parse(s.counters.lastOrderAt) + rules.atRiskAfterDays * dayMs;
}
