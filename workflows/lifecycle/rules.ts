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

/**
 * One way of becoming a member (membership.ts): a track event by name, an identify call carrying
 * a userId (the brand's login), or a call carrying a named trait, typically an identity trait
 * from IDENTITY_TRAITS such as `member_id`.
 */
export type MemberTrigger = { event: string } | { identify: 'userId' } | { trait: string };

export interface LifecycleRules {
  /** Events that make a stranger a fan (follows, subscribes). */
  fanEvents: string[];
  /**
   * The events among `memberTriggers` (config.ts keeps them so). Runs started before member
   * triggers read only these, and still do: their input has no `memberTriggers`.
   */
  memberEvents: string[];
  /** What makes someone a registered member; absent in runs started before triggers (then `memberEvents`). */
  memberTriggers?: MemberTrigger[];
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
  memberTriggers: [{ event: 'Signed Up' }, { event: 'Member Registered' }],
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
