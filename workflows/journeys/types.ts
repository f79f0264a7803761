// A journey as marketers define it: plain data (validated by api/journeys/schema.ts), run by the
// pure engine in this folder inside each customer's workflow. Types only.
import type { Channel, GroupRule, Priority } from '../messaging/types.js';
import type { Stage } from '../lifecycle/rules.js';
import type { Condition, Segment } from '../segments/types.js';

export type Trigger =
  | { type: 'event'; event: string; where?: Condition[] }
  | { type: 'stage'; to: Stage }
  | { type: 'tier'; to: string }
  /** Every year on the date held in a trait (YYYY-MM-DD or MM-DD), e.g. `birthday`, `memberSince`, at `time` local. */
  | { type: 'date_attribute'; trait: string; time?: string }
  /** Every year on a fixed date (MM-DD, e.g. 06-18, 11-11) at `time` local. */
  | { type: 'fixed_date'; date: string; time?: string }
  /** A buyer with no `orderEvent` for this many days. */
  | { type: 'inactivity'; days: number }
  /** The customer enters the segment (its rule turns true on an event or a wake-up). */
  | { type: 'segment'; segment: string };

/** Durations are ms-style strings ("3 days", "12 hours", "30m"). */
export type Step =
  | { type: 'wait'; duration: string; next: string }
  /** Until the next `time` (HH:MM) in the customer's time zone, optionally on `date` (YYYY-MM-DD). */
  | { type: 'wait_until'; time: string; date?: string; next: string }
  | { type: 'wait_for_event'; event: string; where?: Condition[]; timeout: string; onEvent: string; onTimeout: string }
  | { type: 'branch'; branches: { when: Condition[]; next: string }[]; otherwise: string }
  /** Sticky random split; `holdout` customers leave the journey as the control group. */
  | { type: 'split'; variants: { name: string; weight: number; next: string }[]; holdout?: number }
  | {
    type: 'send'; channel: Channel; template: string; priority?: Priority; next: string;
    /** "No reaction, no reminder": send only if the message of that send step was opened or clicked; otherwise the journey ends. */
    onlyIfEngagedWith?: string;
    /** A message deferred by quiet hours is dropped if it cannot go out within this long. */
    expiresAfter?: string;
    /** A subscription group of the step's channel: a customer out of it is not sent to (`unsubscribed_group`). */
    group?: string;
  }
  | { type: 'update_profile'; addTags?: string[]; removeTags?: string[]; points?: number; traits?: Record<string, string | number | boolean>; next: string }
  | { type: 'exit' };

export interface JourneyDefinition {
  id: string;
  /** Each publish makes a new immutable version. */
  version: number;
  name: string;
  trigger: Trigger;
  entry: string;
  steps: Record<string, Step>;
  /**
   * The conversion: reaching it ends the journey at once, even mid-wait. Reached `within` (a
   * duration, default "30 days") of entering, it is the journey's conversion, also after the
   * customer left and for a customer a split held out (windows.ts).
   */
  goal?: { event: string; where?: Condition[]; within?: string };
  /** Events that end the journey at once (e.g. `Unsubscribed`). */
  exitOn?: { event: string; where?: Condition[] }[];
  reentry: { mode: 'never' | 'always' | 'cooldown'; cooldown?: string };
  /** What paused means for customers already inside: hold their place, or leave. */
  onPause: 'hold' | 'exit';
  /** Set on a broadcast's one-send journey (never on a published journey): its sends are the campaign's. */
  campaignId?: string;
  /** The rules of the subscription groups its sends name, copied from the groups at publish (never in a draft). */
  groups?: Record<string, GroupRule>;
}

export type JourneyStatus = 'draft' | 'active' | 'paused' | 'archived';

/** What a customer's workflow needs of the journeys: every active or paused journey's latest version. */
export interface JourneyCatalog {
  /** Changes whenever a journey is published, paused, resumed or archived. */
  revision: number;
  journeys: { definition: JourneyDefinition; status: 'active' | 'paused' }[];
  /** The segments that active journeys trigger on. */
  segments?: Segment[];
}
