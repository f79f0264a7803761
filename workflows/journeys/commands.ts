// Carries out what the journey engine decided: sends through the messaging activity, and sorts
// the rest into what the next profile write records. Workflow code (it awaits activities), kept
// out of the shell so that customer.ts is handlers, the loop and calls to pure cores.
import { ActivityFailure } from '@temporalio/workflow';
import { isCampaignJourney } from '../campaigns/journey.js';
import type { SendRequest, SuppressedSend } from '../messaging/types.js';
import type { JourneyCommand, JourneyProgress } from './step-context.js';

export interface Carried {
  journeyProgress: JourneyProgress[];
  suppressed: SuppressedSend[];
  /** Sends the provider took: each becomes an attribution touch. */
  sent: SendRequest[];
}

/** The progress records the journey reports keep (a broadcast's one-send journey is not one of them). */
export const journeyProgressOf = (commands: JourneyCommand[]): JourneyProgress[] =>
  commands.flatMap((c) => (c.type === 'progress' && !isCampaignJourney(c.record.journeyId) ? [c.record] : []));

export async function carryOut(commands: JourneyCommand[], send: (request: SendRequest) => Promise<{ status: string }>): Promise<Carried> {
  const carried: Carried = { journeyProgress: journeyProgressOf(commands), suppressed: [], sent: [] };
  for (const command of commands) {
    if (command.type === 'suppressed') {
      carried.suppressed.push(command.send);
    } else if (command.type === 'send') {
      try {
        if ((await send(command.request)).status === 'sent') carried.sent.push(command.request);
      } catch (err) {
        // Retries exhausted: the message stays recorded as not sent; the journey goes on.
        if (!(err instanceof ActivityFailure)) throw err;
      }
    }
  }
  return carried;
}
