// The provider for each channel, as configured: SMTP or outbox for e-mail, signed HTTP or outbox
// for the others.
import type { Config, HttpChannelConfig } from '../../config.js';
import type { OutboxModels } from '../../store/outbox.js';
import type { ChannelProvider, Channels } from './channel.js';
import { httpProvider } from './http.js';
import { outboxProvider } from './outbox.js';
import { smtpProvider } from './smtp.js';

export type { ChannelProvider, Channels, OutgoingMessage } from './channel.js';

export interface ChannelOptions {
  /** How long to wait for a provider (HTTP request, SMTP socket). */
  timeoutMs?: number;
}

export function createChannels(settings: Config['channels'], models: OutboxModels, options: ChannelOptions = {}): Channels {
  const outbox = outboxProvider(models);
  const http = (channel: HttpChannelConfig): ChannelProvider =>
    channel.provider === 'http' && channel.url
      ? httpProvider({ url: channel.url, signingSecret: settings.signingSecret, timeoutMs: options.timeoutMs })
      : outbox;
  const { email } = settings;
  return {
    email: email.provider === 'smtp' && email.smtpUrl ? smtpProvider({ url: email.smtpUrl, from: email.from, timeoutMs: options.timeoutMs }) : outbox,
    sms: http(settings.sms),
    wechat: http(settings.wechat),
    push: http(settings.push),
    webhook: http(settings.webhook),
  };
}
