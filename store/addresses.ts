// Where a channel reaches a customer: the identity of the channel's type (newest first).
import type { Channel } from '../workflows/messaging/types.js';
import type { Models } from './models.js';

/** The identity type that addresses each channel; webhooks go to a fixed URL and need none. */
const addressTypes: Record<Channel, string | undefined> = {
  email: 'email',
  sms: 'phone',
  wechat: 'wechat_openid',
  push: 'userId',
  webhook: undefined,
};

export const needsAddress = (channel: Channel): boolean => addressTypes[channel] !== undefined;

/** The identity type a channel's address is stored under; undefined for webhooks. */
export const addressTypeOf = (channel: Channel): string | undefined => addressTypes[channel];

export function addressBook({ identities }: Models) {
  return {
    /** The customer's address on this channel, or undefined when there is none (or none is needed). */
    async addressOf(customerId: string, channel: Channel): Promise<string | undefined> {
      const type = addressTypes[channel];
      if (!type) return undefined;
      const [newest] = await identities.find({ customerId, type }).sort({ createdAt: -1, _id: 1 }).limit(1).toArray();
      return newest?._id.slice(type.length + 1);
    },
  };
}
