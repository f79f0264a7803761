// The channel layer's activities: send one message exactly once, or record why it was not sent.
//
// Exactly once per logical send (`req.key`, made by the workflow) — the `messages` document:
//
//   (none) ──open: upsert $setOnInsert──▶ queued                                  (no attempt open)
//   queued ──claim: {_id, status:'queued'} $inc attempts──▶ attempt n
//   attempt n ──point of no return (SMTP: all bytes out, final dot next)──▶ pastNoReturn = n
//                 (refused when a later attempt has claimed meanwhile: n aborts, the server discards it)
//   attempt n ──provider took it──────────────────▶ sent (providerId, sentAt)
//             ──permanent error (a reply)─────────▶ failed (reason, failedAt); returned, not thrown
//             ──retryable, surely not delivered───▶ pastNoReturn cleared; rethrown, Temporal retries
//                 (anything before the point of no return, or any reply from the server)
//             ──no answer past the point of no return, or the worker died there─▶ pastNoReturn left set
//             ──worker died before it───────────────▶ nothing to undo: the next attempt sends
//   claim finds pastNoReturn set (an attempt may have delivered):
//                HTTP and outbox (dedupe on the Idempotency-Key) ─▶ deliver again with the same key
//                SMTP (no idempotency: at most once) ─────────────▶ unknown, nothing sent
//   unknown ──a receipt (delivered, bounced, opened…)──▶ that status
//           ──an operator's "send again" (sendAgain)──▶ queued afresh, then as above
//   sent / delivered / opened / clicked / bounced / failed / suppressed / unknown ─▶ the stored outcome, provider not called
//
// Two attempts running at once (a heartbeat timeout while the first still runs) both claim; only
// the latest may pass its point of no return, so SMTP still sends at most once. If the first had
// passed it and then succeeds, `sent` replaces the second's `unknown`.
// Documents opened before the mark existed keep the older rule: any attempt left open is unknown.
import pLimit, { type LimitFunction } from 'p-limit';
import type { Config } from '../config.js';
import type { Channel, Priority, SendOutcome, SendRequest, SuppressedSend } from '../workflows/messaging/types.js';
import { addressBook, needsAddress } from '../store/addresses.js';
import type { Models } from '../store/models.js';
import { outcomeOf, sendLedger } from '../store/send-ledger.js';
import { templateRepository } from '../store/templates.js';
import type { Channels, OutgoingMessage } from './channels/channel.js';
import { DeliveryError, toActivityFailure } from './channels/errors.js';
import { renderTemplate } from './channels/templates.js';
import { addTracking } from './channels/tracking.js';
import { preferencesUrl } from './preferences.js';
import { heartbeating } from './heartbeat.js';
import type { EventStream } from './event-stream/stream.js';
import { sentEvent } from './event-stream/events.js';

export interface MessagingDeps {
  models: Models;
  channels: Channels;
  config: Pick<Config, 'publicUrl' | 'tracking'> & Partial<Pick<Config, 'workerMaxSendsInFlight' | 'workerSendsPastNoReturn'>>;
  /** The outbound event stream (`message.sent`); none in tools that only send. */
  stream?: Pick<EventStream, 'emit'>;
}

type Prepared = { message: OutgoingMessage; links: string[] } | { reason: string; detail: string };

/** Takes one of the limit's slots until the function it answers is called. */
function hold(limit: LimitFunction): Promise<() => void> {
  return new Promise((taken) => { void limit(() => new Promise<void>((release) => taken(release))); });
}

export function createMessagingActivities({ models, channels, config, stream }: MessagingDeps) {
  const ledger = sendLedger(models);
  const addresses = addressBook(models);
  const templates = templateRepository(models);

  /** The message as the customer will see it; or why it cannot be sent at all. */
  async function prepare(req: SendRequest): Promise<Prepared> {
    const to = req.to ?? (req.customerId ? await addresses.addressOf(req.customerId, req.channel) : undefined);
    if (needsAddress(req.channel) && !to) return { reason: 'no_address', detail: `the customer has no ${req.channel} address` };
    const template = await templates.find(req.template);
    if (!template) return { reason: 'template_missing', detail: `no template ${req.template}` };
    if (template.channel !== req.channel) return { reason: 'template_error', detail: `template ${req.template} is for ${template.channel}` };
    let rendered;
    try {
      // Every template may link to the customer's preference page (`{{ preferences_url }}`), signed as the other tracking links are.
      const variables = { ...req.variables, preferences_url: preferencesUrl(req, { publicUrl: config.publicUrl, keys: config.tracking }) };
      rendered = await renderTemplate(template, variables, req.locale, { markLinks: true });
    } catch (err) {
      return { reason: 'template_error', detail: err instanceof Error ? err.message : String(err) };
    }
    const tracked = addTracking(rendered, req, { publicUrl: config.publicUrl, keys: config.tracking });
    const message: OutgoingMessage = {
      key: req.key, customerId: req.customerId, channel: req.channel, template: req.template,
      ...(to !== undefined && { to }),
      ...(rendered.subject !== undefined && { subject: rendered.subject }),
      body: tracked.body, html: rendered.html,
      ...(tracked.unsubscribeUrl !== undefined && { unsubscribeUrl: tracked.unsubscribeUrl }),
    };
    return { message, links: tracked.links };
  }

  /** `message.sent` once the provider took it (also on a retry that finds it sent: the attempt that sent may have stopped before). */
  async function announced(req: SendRequest, outcome: SendOutcome): Promise<SendOutcome> {
    if (outcome.status === 'sent' && stream) await stream.emit([sentEvent(req, outcome.providerId, new Date())]);
    return outcome;
  }

  /** One attempt at a logical send; the state machine above. */
  async function send(req: SendRequest, signal?: AbortSignal): Promise<SendOutcome> {
    const stored = outcomeOf(await ledger.open(req));
    if (stored) return announced(req, stored);
    const prepared = await prepare(req);
    if ('reason' in prepared) return ledger.failed(req.key, prepared.reason, prepared.detail);
    // Cancelled while waiting its turn (a draining worker past its grace): nothing claimed yet.
    signal?.throwIfAborted();

    const claim = await ledger.claim(req.key, prepared.links);
    if (!claim) {
      // Settled by a concurrent attempt between open and claim.
      const now = await ledger.find(req.key);
      return (now && outcomeOf(now)) ?? { status: 'failed', messageId: req.key, reason: 'message_removed' };
    }
    const provider = channels[req.channel];
    if (claim.mayHaveDelivered && !provider.idempotent) {
      return ledger.unknown(req.key, req.variables, 'an earlier attempt ended past its point of no return without an answer; not sent again');
    }

    let noReturnAt: Date | undefined;
    // Held from before the mark until the outcome is recorded: past the mark, only this many sends at once.
    let leave: (() => void) | undefined;
    let ended = false;
    const hooks = {
      signal,
      async pointOfNoReturn(providerId: string) {
        const release = await hold(pastMark);
        // The attempt failed while it waited its turn (the connection dropped, a cancel): give the turn back.
        if (ended) { release(); throw new Error('the attempt ended while it waited for its turn past the mark'); }
        leave = release;
        // Cancelled while waiting its turn: not past the mark, so it may go again.
        signal?.throwIfAborted();
        await ledger.passNoReturn(req.key, claim.attempt, providerId);
        noReturnAt = new Date();
      },
    };
    const attempt = async (): Promise<SendOutcome> => {
      let providerId: string;
      try {
        ({ providerId } = await provider.deliver(prepared.message, hooks));
      } catch (err) {
        if (!(err instanceof DeliveryError)) {
          // Not a provider answer (a bug, a database error): retry only where repeating is safe.
          if (provider.idempotent || !noReturnAt) await ledger.release(req.key, claim.attempt, String(err));
          throw err;
        }
        if (err.kind === 'permanent') return ledger.failed(req.key, err.reason, err.message);
        if (provider.idempotent || !err.options.mayHaveArrived) await ledger.release(req.key, claim.attempt, `${err.reason}: ${err.message}`);
        throw toActivityFailure(err);
      }
      return ledger.sent(req.key, providerId, noReturnAt);
    };
    let outcome: SendOutcome;
    try {
      outcome = await attempt();
    } finally {
      ended = true;
      leave?.();
    }
    return announced(req, outcome);
  }

  /** Sends in flight at once in this worker: what a crash can interrupt, and what a drain waits for. */
  const inFlight = pLimit(config.workerMaxSendsInFlight ?? 16);
  /**
   * Sends between their point of no return and their recorded outcome at once (SMTP: the mark, the
   * final dot, the server's answer, the write of it): all a crash can leave unknown. Everything
   * before the mark (connecting, the envelope, the message's bytes) runs `inFlight` at a time.
   */
  const pastMark = pLimit(config.workerSendsPastNoReturn ?? 1);

  /** Runs a send with heartbeats (Temporal notices a dead worker in seconds, not at the start-to-close timeout). */
  const withHeartbeats = <T>(run: (signal?: AbortSignal) => Promise<T>): Promise<T> => heartbeating(3000, (signal) => inFlight(() => run(signal)));

  return {
    sendMessage(req: SendRequest): Promise<SendOutcome> {
      return withHeartbeats((signal) => send(req, signal));
    },

    /**
     * An operator's deliberate "send again" of a send whose outcome is unknown, with its stored
     * personalisation and the same key (so the same Message-ID). Any other send answers its outcome.
     */
    sendAgain(messageId: string): Promise<SendOutcome | { status: 'missing'; messageId: string }> {
      return withHeartbeats(async (signal) => {
        const doc = await ledger.reopen(messageId);
        if (!doc) return { status: 'missing', messageId };
        if (doc.status !== 'queued') return outcomeOf(doc)!;
        const req: SendRequest = {
          key: doc._id, customerId: doc.customerId, channel: doc.channel as Channel, template: doc.template,
          priority: doc.priority as Priority, variables: doc.variables ?? {},
          ...(doc.locale !== undefined && { locale: doc.locale }),
          ...(doc.journeyId !== undefined && { journeyId: doc.journeyId }),
          ...(doc.journeyVersion !== undefined && { journeyVersion: doc.journeyVersion }),
          ...(doc.stepId !== undefined && { stepId: doc.stepId }),
          ...(doc.campaignId !== undefined && { campaignId: doc.campaignId }),
          ...(doc.to !== undefined && { to: doc.to }),
        };
        return send(req, signal);
      });
    },

    async recordSuppressed(s: SuppressedSend): Promise<void> {
      await ledger.suppressed(s);
    },
  };
}

export type MessagingActivities = ReturnType<typeof createMessagingActivities>;
