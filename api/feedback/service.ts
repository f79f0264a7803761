// Reactions to messages (opens, clicks, unsubscribes, provider receipts and replies): recorded on
// the message and sent as events into the customer's workflow, so journeys can branch on them.
import type { Channel } from '../../workflows/messaging/types.js';
import type { CustomerEvent } from '../../workflows/lifecycle/event.js';
import type { TrackingClaims } from '../../signing/tokens.js';
import type { MessageDoc } from '../../store/messages.js';
import type { MessageFeedbackRepository } from '../../store/message-feedback.js';
import type { WebhookReceiptRepository } from '../../store/webhook-receipts.js';
import type { CustomerRepository } from '../../store/customers.js';
import { ApiError } from '../errors.js';
import { reactionEvent, reactionIds } from './events.js';
import { subscriptionChangedEvent } from '../../workflows/messaging/subscriptions.js';
import { isOptOut, type ProviderReceipt } from './receipt.js';
import type { EventStream } from '../../activities/event-stream/stream.js';
import { messageEvent } from '../../activities/event-stream/events.js';

export interface FeedbackDeps {
  messages: MessageFeedbackRepository;
  receipts: WebhookReceiptRepository;
  customers: Pick<CustomerRepository, 'find'>;
  /** Sends events into a known customer's workflow (the ingest service's `deliver`). */
  deliver: (customerId: string, events: CustomerEvent[]) => Promise<void>;
  /** The outbound event stream (message.delivered, opened, clicked, bounced). */
  stream?: Pick<EventStream, 'emit' | 'subscribed'>;
  now?: () => Date;
}

export interface ClickTarget { message: MessageDoc; link: number; url: string }

export function feedbackService(deps: FeedbackDeps) {
  const now = deps.now ?? (() => new Date());

  /**
   * Who a customer is now: the customer they were merged into (a merge moves their messages there
   * too), or undefined once erased. A few hops at most: each merge goes to an older customer.
   */
  async function currentCustomer(customerId: string): Promise<string | undefined> {
    let id = customerId;
    for (let hop = 0; hop < 8; hop++) {
      const doc = await deps.customers.find(id);
      if (!doc) return undefined;
      if (!doc.mergedInto) return id;
      id = doc.mergedInto;
    }
    return undefined;
  }

  // An erased customer stays erased: a reaction to an old message must not start them again.
  async function emit(customerId: string, events: CustomerEvent[]): Promise<void> {
    const current = await currentCustomer(customerId);
    if (current) await deps.deliver(current, events);
  }

  /**
   * The stored message a verified token speaks of, if it still exists and matches the token. The
   * token names the customer the message went to; after a merge the message is the survivor's.
   */
  async function messageOf(claims: TrackingClaims): Promise<MessageDoc | undefined> {
    const message = await deps.messages.find(claims.m);
    if (!message || message.channel !== claims.ch) return undefined;
    if (message.customerId === claims.c || (await currentCustomer(claims.c)) === message.customerId) return message;
    return undefined;
  }

  /** Queued after the message's own write, with its natural key: a repeated reaction queues nothing more. */
  const announce = async (...args: Parameters<typeof messageEvent>): Promise<void> => { await deps.stream?.emit([messageEvent(...args)]); };

  async function applyReceipt(message: MessageDoc, receipt: ProviderReceipt): Promise<void> {
    const t = now();
    const at = receipt.at !== undefined && new Date(receipt.at) < t ? new Date(receipt.at) : t;
    const m = message._id;
    const reason = receipt.reason === undefined ? {} : { reason: receipt.reason };
    const unsubscribe = () => reactionEvent('Unsubscribed', reactionIds.unsubscribed(m), message, at, reason);
    switch (receipt.type) {
      case 'delivered':
        await deps.messages.record(m, 'delivered', at);
        await announce('message.delivered', message, at);
        return emit(message.customerId, [reactionEvent('Message Delivered', reactionIds.delivered(m), message, at)]);
      case 'bounced':
        await deps.messages.record(m, 'bounced', at, receipt.reason);
        // A bounce after an open or click leaves the message as it was: only a message now bounced is announced.
        if (deps.stream && (await deps.stream.subscribed('message.bounced')) && (await deps.messages.find(m))?.status === 'bounced') {
          await announce('message.bounced', message, at, reason);
        }
        return emit(message.customerId, [reactionEvent('Message Bounced', reactionIds.bounced(m), message, at, reason)]);
      case 'failed':
        await deps.messages.record(m, 'failed', at, receipt.reason);
        return emit(message.customerId, [reactionEvent('Message Failed', reactionIds.failed(m), message, at, reason)]);
      case 'unsubscribed':
        return emit(message.customerId, [unsubscribe()]);
      case 'reply': {
        const text = receipt.text ?? '';
        const replied = reactionEvent('Message Replied', reactionIds.replied(m, receipt.id), message, at, { text });
        return emit(message.customerId, isOptOut(text) ? [replied, unsubscribe()] : [replied]);
      }
    }
  }

  return {
    async opened(claims: TrackingClaims): Promise<void> {
      const message = await messageOf(claims);
      if (!message) return;
      const at = now();
      await deps.messages.record(message._id, 'opened', at);
      await announce('message.opened', message, at);
      await emit(message.customerId, [reactionEvent('Message Opened', reactionIds.opened(message._id), message, at)]);
    },

    /** Where a click token leads: only to a link stored with the message (no open redirect). */
    async clickTarget(claims: TrackingClaims): Promise<ClickTarget | undefined> {
      const message = await messageOf(claims);
      const link = claims.l;
      if (!message || link === undefined || !Array.isArray(message.links) || link >= message.links.length) return undefined;
      const url = message.links[link];
      return typeof url === 'string' && /^https?:\/\//i.test(url) ? { message, link, url } : undefined;
    },

    async clicked({ message, link, url }: ClickTarget): Promise<void> {
      const at = now();
      await deps.messages.record(message._id, 'clicked', at);
      await announce('message.clicked', message, at, { url });
      await emit(message.customerId, [reactionEvent('Message Clicked', reactionIds.clicked(message._id, link), message, at, { url })]);
    },

    /** Honoured even when the message is gone: the token proves we sent it to this customer. */
    async unsubscribed(claims: TrackingClaims): Promise<void> {
      const message = (await deps.messages.find(claims.m)) ?? { _id: claims.m, channel: claims.ch };
      // A message of a subscription group leaves that group only (RFC 8058's one click names the list).
      const event = claims.g !== undefined
        ? reactionEvent(subscriptionChangedEvent, reactionIds.unsubscribed(claims.m), message, now(), { group: claims.g, subscribed: false, source: 'unsubscribe_link' })
        : reactionEvent('Unsubscribed', reactionIds.unsubscribed(claims.m), message, now(), { channel: claims.ch });
      await emit(claims.c, [{ ...event, channel: claims.ch }]);
    },

    /** Applies a provider's receipt once: a replay of the same receipt id is acknowledged as a duplicate. */
    async receipt(provider: Channel, receipt: ProviderReceipt): Promise<'applied' | 'duplicate'> {
      const message = await deps.messages.findForProvider(provider, receipt);
      if (!message) throw new ApiError(404, 'not_found', `no ${provider} message with that messageId or providerId`);
      const key = `${provider}:${receipt.id}`;
      if (!(await deps.receipts.claim(key, now(), { messageId: message._id, customerId: message.customerId }))) return 'duplicate';
      try {
        await applyReceipt(message, receipt);
      } catch (err) {
        // The provider must see the original error and retry. Only if MongoDB also fails here is
        // that retry taken for a replay (a lost receipt, never a doubly applied one).
        await deps.receipts.release(key).catch(() => undefined);
        throw err;
      }
      return 'applied';
    },
  };
}

export type FeedbackService = ReturnType<typeof feedbackService>;
