// Messages as operators see them: one message, the unknown ones, and "send again".
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { MessageDoc, MessageModels } from '../../activities/db/messages.js';
import { sendAgainWorkflowId } from '../../workflows/send-again.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { ApiError, invalid } from '../errors.js';

export interface MessageServiceDeps {
  models: MessageModels;
  temporal: Client;
  taskQueue: string;
  /** How long "send again" waits for the send to settle before answering that it is under way. */
  settleWithinMs?: number;
}

/** The stored document as the API shows it: the ledger's bookkeeping stays inside. */
function view(doc: MessageDoc) {
  const { _id, links: _links, attemptsEnded: _ended, recordsNoReturn: _marks, pastNoReturn: _past, noReturnAt: _noReturnAt, variables: _variables, locale: _locale, updatedAt: _updated, ...shown } = doc;
  return { id: _id, ...shown };
}

export function messageService({ models: { messages }, temporal, taskQueue, settleWithinMs = 15_000 }: MessageServiceDeps) {
  async function get(id: string) {
    const doc = await messages.findOne({ _id: id });
    if (!doc) throw new ApiError(404, 'not_found', `no message ${id}`);
    return doc;
  }

  return {
    async get(id: string) {
      return view(await get(id));
    },

    async listUnknown(limit: number, cursor?: string) {
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      if (cursor !== undefined && !after) throw invalid([{ field: 'cursor', message: 'not a cursor from a previous page' }]);
      const docs = await messages
        .find({
          status: 'unknown', unknownAt: { $exists: true },
          ...(after && { $or: [{ unknownAt: { $lt: after.timestamp } }, { unknownAt: after.timestamp, _id: { $lt: after.id } }] }),
        })
        .sort({ unknownAt: -1, _id: -1 })
        .limit(limit + 1)
        .toArray();
      const page = docs.slice(0, limit);
      const last = page.at(-1);
      return { items: page.map(view), nextCursor: docs.length > limit && last ? encodeCursor({ timestamp: last.unknownAt!, id: last._id }) : null };
    },

    /**
     * Sends an unknown message again, deliberately, by a workflow on the worker (same ledger,
     * same key, so the same Message-ID). A second request while one runs joins it.
     */
    async sendAgain(id: string) {
      const doc = await get(id);
      if (doc.status !== 'unknown') throw new ApiError(409, 'not_unknown', `message ${id} is ${doc.status}: only a message whose outcome is unknown is sent again`);
      if (doc.variables === undefined) throw new ApiError(409, 'not_resendable', `message ${id} was found unknown before its personalisation was kept; it cannot be rendered again`);
      const workflowId = sendAgainWorkflowId(id);
      let handle;
      try {
        handle = await temporal.workflow.start('sendAgainWorkflow', { workflowId, taskQueue, args: [id] });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw new ApiError(503, 'temporal_unavailable', 'the send could not be started, retry later');
        handle = temporal.workflow.getHandle(workflowId);
      }
      let timer: NodeJS.Timeout | undefined;
      const settled = await Promise.race([
        handle.result().then(() => true, () => false),
        new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), settleWithinMs); }),
      ]).finally(() => clearTimeout(timer));
      return { message: view(await get(id)), settled };
    },
  };
}

export type MessageService = ReturnType<typeof messageService>;
