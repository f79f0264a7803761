// The link to the customer's preference page (`{{ preferences_url }}` in every template): signed
// like the other tracking links, made as the send is, so it names the message and the customer.
import type { SendRequest } from '../workflows/messaging/types.js';
import { trackingUrl, type TrackingKeys } from '../signing/tokens.js';

export const preferencesUrl = (req: Pick<SendRequest, 'key' | 'customerId' | 'channel'>, options: { publicUrl: string; keys: TrackingKeys }): string =>
  trackingUrl(options.publicUrl, { m: req.key, c: req.customerId, ch: req.channel, k: 'preferences' }, options.keys);
