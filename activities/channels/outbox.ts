// The local demo's provider: records what would have been sent in the `outbox` collection.
import { isDuplicateKey } from '../../store/errors.js';
import type { OutboxModels } from '../../store/outbox.js';
import type { ChannelProvider, OutgoingMessage } from './channel.js';

export function outboxProvider({ outbox }: OutboxModels): ChannelProvider {
  return {
    // One document per send key: recording the same send twice keeps the first.
    idempotent: true,
    async deliver(message: OutgoingMessage) {
      const { key, ...rest } = message;
      const fields = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
      try {
        await outbox.updateOne({ _id: key }, { $setOnInsert: { ...fields, recordedAt: new Date() } }, { upsert: true });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      return { providerId: `outbox:${key}` };
    },
  };
}
