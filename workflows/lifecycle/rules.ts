// Stage and tier rules are data: a brand configures them (config.ts validates them).
import type { AttributionSettings } from '../attribution/types.js';
import type { ScoreThresholds } from './scores.js';

export const stages = ['stranger', 'fan', 'member', 'customer', 'loyal', 'at_risk'] as const;
export type Stage = (typeof stages)[number];

export interface TierRule {
  name: string;
  /** Lifetime spend needed to hold this tier. */
  minSpend: number;
}

export interface LifecycleRules {
  /** Events that make a stranger a fan (follows, subscribes). */
  fanEvents: string[];
  /** Events that make someone a registered member. */
  memberEvents: string[];
  /** The purchase event and the property holding its revenue. */
  orderEvent: string;
  revenueProperty: string;
  /** Orders needed to count as loyal. */
  loyalOrders: number;
  /** A buyer with no order for this many days is at risk. */
  atRiskAfterDays: number;
  /** Points earned per unit of revenue; `Points Redeemed` (property `points`) spends them. */
  pointsPerUnit: number;
  /** Ascending by minSpend; the tier is the highest reached. Only members and buyers hold one. */
  tiers: TierRule[];
  /** Conversions and their lookback; defaults in attribution/types.ts. */
  attribution?: Partial<AttributionSettings>;
  /** RFM score cut-offs; defaults in scores.ts. */
  scoreThresholds?: ScoreThresholds;
}

export const defaultLifecycleRules: LifecycleRules = {
  fanEvents: ['Followed', 'Subscribed'],
  memberEvents: ['Signed Up', 'Member Registered'],
  orderEvent: 'Order Completed',
  revenueProperty: 'total',
  loyalOrders: 3,
  atRiskAfterDays: 90,
  pointsPerUnit: 1,
  tiers: [
    { name: 'bronze', minSpend: 0 },
    { name: 'silver', minSpend: 1500 },
    { name: 'gold', minSpend: 4000 },
  ],
};
