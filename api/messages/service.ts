// Messages as operators see them: one message, the unknown ones, and "send again".
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { z } from 'zod';
import { addressBook, addressTypeOf } from '../../store/addresses.js';
import { identityRepository } from '../../store/identities.js';
import type { MessageDoc } from '../../store/messages.js';
import type { Models } from '../../store/models.js';
import { sendLedger } from '../../store/send-ledger.js';
import { templateRepository } from '../../store/templates.js';
import { profileView } from '../../workflows/journeys/steps.js';
import type { CustomerState } from '../../workflows/lifecycle/state.js';
import type { Channel, SendRequest } from '../../workflows/messaging/types.js';
import { sendAgainWorkflowId } from '../../workflows/send-again.js';
import { transactionalWorkflowId } from '../../workflows/transactional.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { ApiError, invalid } from '../errors.js';
import { normaliseAddress } from '../ingest/normalize.js';
import type { TransactionalRequest } from './schema.js';

export interface MessageServiceDeps {
  models: Models;
  temporal: Client;
  taskQueue: string;
  defaultPhoneCountry: string;
  /** How long a send (transactional, or sent again) is waited for before answering that it is under way. */
  settleWithinMs?: number;
}

/**
 * Opt-outs a transactional message honours: those the law makes final for the channel (an SMS
 * STOP). A marketing unsubscribe elsewhere does not stop a receipt or a password reset.
 */
const hardOptOutChannels: readonly Channel[] = ['sms'];

/** The stored document as the API shows it: the ledger's bookkeeping stays inside. */
function view(doc: MessageDoc) {
  const { _id, links: _links, attemptsEnded: _ended, recordsNoReturn: _marks, pastNoReturn: _past, noReturnAt: _noReturnAt, variables: _variables, locale: _locale, updatedAt: _updated, ...shown } = doc;
  return { id: _id, ...shown };
}

export function messageService({ models, temporal, taskQueue, defaultPhoneCountry, settleWithinMs = 15_000 }: MessageServiceDeps) {
  const { messages, customers } = models;
  const identities = identityRepository(models);
  const templates = templateRepository(models);
  const addresses = addressBook(models);
  const ledger = sendLedger(models);

  async function get(id: string) {
    const doc = await messages.findOne({ _id: id });
    if (!doc) throw new ApiError(404, 'not_found', `no message ${id}`);
    return doc;
  }

  /** Starts the workflow (or joins the one already running with that id) and waits a while for it. */
  async function startAndWait(workflowType: string, workflowId: string, args: unknown[]): Promise<boolean> {
    let handle: WorkflowHandle;
    try {
      handle = await temporal.workflow.start(workflowType, { workflowId, taskQueue, args });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw new ApiError(503, 'temporal_unavailable', 'the send could not be started, retry later');
      handle = temporal.workflow.getHandle(workflowId);
    }
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      handle.result().then(() => true, () => false),
      new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), settleWithinMs); }),
    ]).finally(() => clearTimeout(timer));
  }

  /** The customer a transactional request names, following merges to the survivor; 404 when unknown. */
  async function customerOf(ref: NonNullable<z.output<typeof TransactionalRequest>['customer']>) {
    let id: string | undefined;
    if ('id' in ref) id = ref.id;
    else {
      const channelOf = ref.identity.type === 'phone' ? 'sms' : ref.identity.type === 'email' ? 'email' : undefined;
      const value = channelOf ? normaliseAddress(channelOf, ref.identity.value, defaultPhoneCountry) : ref.identity.value.trim();
      if (!value) throw invalid([{ field: 'customer.identity.value', message: `not a valid ${ref.identity.type}` }]);
      id = await identities.lookup({ type: ref.identity.type, value });
    }
    for (let hop = 0; id !== undefined && hop < 8; hop++) {
      const doc = await customers.findOne({ _id: id });
      if (!doc) break;
      if (!doc.mergedInto) return doc;
      id = doc.mergedInto;
    }
    throw new ApiError(404, 'customer_not_found', 'no customer with that id or identity');
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
    /**
     * One transactional message now: rendered for the customer (or the bare address), sent through
     * the send ledger by a workflow on the worker, outside caps and quiet hours. The same
     * idempotency key answers the first message and sends nothing.
     */
    async sendTransactional(request: z.output<typeof TransactionalRequest>) {
      const key = `tx:${request.idempotencyKey}`;
      const earlier = await messages.findOne({ _id: key });
      if (earlier && earlier.status !== 'queued') return { message: view(earlier), replayed: true, settled: true };
      const template = await templates.find(request.template);
      if (!template) throw new ApiError(404, 'template_not_found', `no template ${request.template}`);
      const channel = template.channel as Channel;
      const customer = request.customer ? await customerOf(request.customer) : undefined;
      let to: string | undefined;
      if (request.to !== undefined) {
        to = normaliseAddress(channel, request.to, defaultPhoneCountry);
        if (!to) throw invalid([{ field: 'to', message: `not a valid address for ${channel}` }]);
      }
      // A bare address may still be a customer's: then it is theirs, in their timeline.
      const type = addressTypeOf(channel);
      const customerId = customer?._id ?? (to !== undefined && type ? await identities.lookup({ type, value: to }) : undefined) ?? '';
      if (to === undefined && type && !(await addresses.addressOf(customerId, channel))) {
        throw new ApiError(422, 'no_address', `the customer has no ${channel} address; give \`to\``, [{ field: 'to', message: 'required: the customer has no address on this channel' }]);
      }
      const profile = customer ?? (customerId ? await customers.findOne({ _id: customerId }) : null);
      const send: SendRequest = {
        key, customerId, channel, template: template._id, priority: 'transactional',
        variables: { profile: profile ? profileView(profile as unknown as CustomerState) : {}, event: request.data },
        requestedAt: new Date().toISOString(),
        ...(request.locale !== undefined && { locale: request.locale }),
        ...(to !== undefined && { to }),
      };
      if (hardOptOutChannels.includes(channel) && profile?.consent?.[channel] === false) {
        const { variables: _variables, ...suppressed } = send;
        await ledger.suppressed({ ...suppressed, reason: 'hard_opt_out' });
        return { message: view(await get(key)), replayed: false, settled: true };
      }
      // Recorded before it is sent: GET /v1/messages/:id answers at once, and a repeat finds it.
      await ledger.open(send);
      const settled = await startAndWait('transactionalSendWorkflow', transactionalWorkflowId(key), [send]);
      return { message: view(await get(key)), replayed: earlier !== null, settled };
    },

    async sendAgain(id: string) {
      const doc = await get(id);
      if (doc.status !== 'unknown') throw new ApiError(409, 'not_unknown', `message ${id} is ${doc.status}: only a message whose outcome is unknown is sent again`);
      if (doc.variables === undefined) throw new ApiError(409, 'not_resendable', `message ${id} was found unknown before its personalisation was kept; it cannot be rendered again`);
      const settled = await startAndWait('sendAgainWorkflow', sendAgainWorkflowId(id), [id, doc.channel, doc.priority]);
      return { message: view(await get(id)), settled };
    },
  };
}

export type MessageService = ReturnType<typeof messageService>;
