// A template's test send: rendered for one customer (or sample traits) and sent through the real
// channel to an address the marketer gives, marked as a test. It never enters the send ledger, a
// customer's workflow or the reports, so no cap, attribution or report counts it.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Channels } from '../../activities/channels/channel.js';
import { DeliveryError } from '../../activities/channels/errors.js';
import { renderTemplate } from '../../activities/channels/templates.js';
import type { Models } from '../../store/models.js';
import type { TemplateDoc } from '../../store/templates.js';
import type { Channel } from '../../workflows/messaging/types.js';
import { CustomerId } from '../customers/schema.js';
import { ApiError, invalid } from '../errors.js';
import { normaliseAddress } from '../ingest/normalize.js';

export const TestSendRequest = z.strictObject({
  to: z.string().min(1).max(254).meta({ description: 'an e-mail address, a phone number, a WeChat openid, a push token or a webhook user, as the template\'s channel takes' }),
  customerId: CustomerId.optional().meta({ description: 'render with this customer\'s profile; default: sample traits' }),
  locale: z.string().max(20).optional(),
}).meta({ id: 'TestSendRequest', examples: [{ to: 'marketer@example.com' }] });

export const TestSend = z.object({
  messageId: z.string().meta({ description: '`test:<uuid>`; not in the messages of any customer' }),
  channel: z.string(), to: z.string(), providerId: z.string(), subject: z.string().optional(), body: z.string(), test: z.literal(true),
}).meta({ id: 'TestSend' });

/** Sample traits for a template rendered for nobody in particular. */
const sampleProfile = { stage: 'customer', tier: 'silver', points: 1200, tags: ['vip'], traits: { name: 'Test Customer', firstName: 'Test' }, counters: { orders: 3, spend: 1200 }, consent: {} };

export function testSender(deps: { models: Pick<Models, 'customers'>; channels: Channels; defaultPhoneCountry: string }) {
  /** The address as the channel stores it, or a 400 naming `to`. */
  function address(channel: Channel, to: string): string {
    const value = normaliseAddress(channel, to, deps.defaultPhoneCountry);
    if (!value) throw invalid([{ field: 'to', message: `not a valid ${channel === 'sms' ? 'phone number' : channel === 'email' ? 'e-mail address' : 'address'} for ${channel}` }]);
    return value;
  }

  return async function send(template: TemplateDoc, request: z.output<typeof TestSendRequest>): Promise<z.input<typeof TestSend>> {
    const channel = template.channel as Channel;
    const to = address(channel, request.to);
    let profile: Record<string, unknown> = sampleProfile;
    if (request.customerId) {
      const doc = await deps.models.customers.findOne({ _id: request.customerId });
      if (!doc) throw new ApiError(404, 'not_found', `no customer ${request.customerId}`);
      profile = { stage: doc.stage, tier: doc.tier, points: doc.points, tags: doc.tags, traits: doc.traits, counters: doc.counters, consent: doc.consent, scores: doc.scores };
    }
    let rendered;
    try {
      rendered = await renderTemplate(template, { profile, event: {} }, request.locale);
    } catch (err) {
      throw new ApiError(400, 'template_error', `the template does not render: ${(err as Error).message}`);
    }
    const messageId = `test:${randomUUID()}`;
    const subject = rendered.subject !== undefined ? `[TEST] ${rendered.subject}` : undefined;
    try {
      const { providerId } = await deps.channels[channel].deliver({
        key: messageId, customerId: request.customerId ?? 'test', channel, template: template._id, to, body: rendered.body, html: rendered.html, ...(subject !== undefined && { subject }),
      });
      return { messageId, channel, to, providerId, ...(subject !== undefined && { subject }), body: rendered.body, test: true };
    } catch (err) {
      if (err instanceof DeliveryError) throw new ApiError(502, 'provider_error', `the ${channel} provider refused the test send: ${err.message}`);
      throw err;
    }
  };
}
