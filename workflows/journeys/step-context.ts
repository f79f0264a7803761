// What a journey step works with (its context) and what steps produce (commands for the shell to
// carry out, progress records for the reports, exit reasons). Types only: steps.ts and windows.ts
// both need them.
import type { LifecycleRules } from '../lifecycle/rules.js';
import type { CustomerState } from '../lifecycle/state.js';
import type { MessagingPolicy } from '../messaging/arbiter.js';
import type { SendRequest, SuppressedSend } from '../messaging/types.js';
import type { JourneysState } from './state.js';

export type JourneyCommand =
  | { type: 'send'; request: SendRequest }
  | { type: 'suppressed'; send: SuppressedSend }
  /** Progress for the journey reports (funnel, variants): recorded, never acted on. */
  | { type: 'progress'; record: JourneyProgress };

export interface JourneyProgress {
  enrollmentId: string;
  journeyId: string;
  version: number;
  /**
   * `converted`: the goal reached within the journey's conversion window (windows.ts), inside the
   * journey or after leaving it; a held-out customer's has variant `holdout`.
   */
  type: 'entered' | 'step' | 'exited' | 'converted';
  /** Steps taken when it happened: with the type, unique within the enrollment. */
  steps: number;
  stepId?: string;
  variant?: string;
  reason?: ExitReason;
  at: number;
}

export type ExitReason = 'completed' | 'goal' | 'exit_criteria' | 'holdout' | 'no_reaction' | 'paused' | 'archived' | 'merged';

export interface StepContext {
  customer: CustomerState;
  journeys: JourneysState;
  policy: MessagingPolicy;
  rules: LifecycleRules;
  timeZone: string;
  now: number;
  commands: JourneyCommand[];
  /** Watch held-out customers for the goal (a patched workflow change: see legacy/customer-v1.ts). */
  watchHoldouts?: boolean;
  /** Conversion windows (windows.ts): asked only where they change what happens, as it records a patch marker. */
  conversionWindows?: () => boolean;
  /** Subscription groups (messaging/subscriptions.ts): asked only for a send that names one, as it records a patch marker. */
  subscriptionGroups?: () => boolean;
  /** Journeys paused with `hold`: their customers keep their place and do not move. */
  isPaused: (journeyId: string) => boolean;
}
