// Heartbeats while a long activity step runs, so that Temporal notices a dead worker within the
// heartbeat timeout rather than at start-to-close. Outside an activity (tools, tests) it only runs.
import { asyncLocalStorage as activityContext } from '@temporalio/activity';

export async function heartbeating<T>(everyMs: number, run: (signal?: AbortSignal) => Promise<T>): Promise<T> {
  const context = activityContext.getStore();
  const beat = context ? setInterval(() => context.heartbeat(), everyMs) : undefined;
  try {
    return await run(context?.cancellationSignal);
  } finally {
    clearInterval(beat);
  }
}
