// The channel layer's activities: send one message exactly once, or record why it was not sent.
//
// Exactly once per logical send (`req.key`, made by the workflow) — the `messages` document:
//
//   (none) ──open: upsert $setOnInsert──▶ queued, attempts = attemptsEnded        (no attempt open)
//   queued ──claim: {_id, status:'queued'} $inc attempts──▶ attempts > attemptsEnded (attempt open)
//   open attempt ──provider took it──────────────▶ sent (providerId, sentAt)
//                ──permanent error────────────────▶ failed (reason, failedAt); returned, not thrown
//                ──retryable, surely not delivered─▶ $inc attemptsEnded (closed again); rethrown, Temporal retries
//                ──retryable, maybe delivered (SMTP socket timeout mid-send)─▶ left open; rethrown
//                ──worker died─────────────────────▶ left open
//   claim finds an attempt already open (its outcome is unknown):
//                HTTP and outbox (dedupe on the Idempotency-Key) ─▶ deliver again with the same key
//                SMTP (no idempotency: at most once) ─────────────▶ failed 'outcome_unknown', nothing sent
//   sent / delivered / opened / clicked / bounced / failed / suppressed ─▶ the stored outcome, provider not called
//
// Two attempts running at once (a start-to-close timeout while the first still runs) both claim;
// the second sees the first's attempt open, so SMTP still sends at most once. If the first then
// succeeds, `sent` replaces the 'outcome_unknown' guess.
import { asyncLocalStorage as activityContext } from '@temporalio/activity';
import type { Config } from '../config.js';
import type { SendOutcome, SendRequest, SuppressedSend } from '../workflows/messaging/types.js';
import { addressBook, needsAddress } from './db/addresses.js';
import type { Models } from './db/models.js';
import { outcomeOf, sendLedger } from './db/send-ledger.js';
import { templateRepository } from './db/templates.js';
import type { Channels, OutgoingMessage } from './channels/channel.js';
import { DeliveryError, toActivityFailure } from './channels/errors.js';
import { renderTemplate } from './channels/templates.js';
import { addTracking } from './channels/tracking.js';

export interface MessagingDeps {
  models: Models;
  channels: Channels;
  config: Pick<Config, 'publicUrl' | 'tracking'>;
}

type Prepared = { message: OutgoingMessage; links: string[] } | { reason: string; detail: string };

export function createMessagingActivities({ models, channels, config }: MessagingDeps) {
  const ledger = sendLedger(models);
  const addresses = addressBook(models);
  const templates = templateRepository(models);

  /** The message as the customer will see it; or why it cannot be sent at all. */
  async function prepare(req: SendRequest): Promise<Prepared> {
    const to = await addresses.addressOf(req.customerId, req.channel);
    if (needsAddress(req.channel) && !to) return { reason: 'no_address', detail: `the customer has no ${req.channel} address` };
    const template = await templates.find(req.template);
    if (!template) return { reason: 'template_missing', detail: `no template ${req.template}` };
    if (template.channel !== req.channel) return { reason: 'template_error', detail: `template ${req.template} is for ${template.channel}` };
    let rendered;
    try {
      rendered = await renderTemplate(template, req.variables, req.locale, { markLinks: true });
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

  /** One attempt at a logical send; the state machine above. */
  async function send(req: SendRequest): Promise<SendOutcome> {
    const stored = outcomeOf(await ledger.open(req));
    if (stored) return stored;
    const prepared = await prepare(req);
    if ('reason' in prepared) return ledger.failed(req.key, prepared.reason, prepared.detail);

    const before = await ledger.claim(req.key, prepared.links);
    if (!before) {
      // Settled by a concurrent attempt between open and claim.
      const now = await ledger.find(req.key);
      return (now && outcomeOf(now)) ?? { status: 'failed', messageId: req.key, reason: 'message_removed' };
    }
    const provider = channels[req.channel];
    const attemptOpen = before.attempts > (before.attemptsEnded ?? 0);
    if (attemptOpen && !provider.idempotent) {
      return ledger.failed(req.key, 'outcome_unknown', 'an earlier attempt ended without an answer; not sent again');
    }

    let providerId: string;
    try {
      ({ providerId } = await provider.deliver(prepared.message));
    } catch (err) {
      if (!(err instanceof DeliveryError)) {
        // Not a provider answer (a bug, a database error): retry only where repeating is safe.
        if (provider.idempotent) await ledger.release(req.key, String(err));
        throw err;
      }
      if (err.kind === 'permanent') return ledger.failed(req.key, err.reason, err.message);
      if (provider.idempotent || !err.options.mayHaveArrived) await ledger.release(req.key, `${err.reason}: ${err.message}`);
      throw toActivityFailure(err);
    }
    return ledger.sent(req.key, providerId);
  }

  return {
    async sendMessage(req: SendRequest): Promise<SendOutcome> {
      // Heartbeats let Temporal notice a dead worker in seconds, not at the start-to-close timeout.
      const context = activityContext.getStore();
      const beat = context ? setInterval(() => context.heartbeat(), 3000) : undefined;
      try {
        return await send(req);
      } finally {
        clearInterval(beat);
      }
    },

    async recordSuppressed(s: SuppressedSend): Promise<void> {
      await ledger.suppressed(s);
    },
  };
}

export type MessagingActivities = ReturnType<typeof createMessagingActivities>;
