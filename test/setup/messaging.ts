// One test file's channel layer on real servers: SMTP and HTTP receivers, the database of a
// stack, and the messaging activities wired to them exactly as the worker will wire them.
import { randomUUID } from 'node:crypto';
import { createChannels } from '../../activities/channels/index.js';
import type { Channels } from '../../activities/channels/channel.js';
import { templateRepository, type TemplateInput } from '../../store/templates.js';
import { createMessagingActivities, type MessagingActivities } from '../../activities/messaging.js';
import type { SendRequest } from '../../workflows/messaging/types.js';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from './receivers.js';
import { startStack, type Stack } from './stack.js';

export const signingSecret = 'test-provider-secret-0123456789-abcdef';
export const publicUrl = 'https://track.example.com';

export interface MessagingFixture {
  stack: Stack;
  smtp: SmtpReceiver;
  http: HttpReceiver;
  channels: Channels;
  messaging: MessagingActivities;
  /** Gives a customer an address (identity), as ingestion would. */
  addIdentity(customerId: string, type: string, value: string): Promise<void>;
  addTemplate(template: Omit<TemplateInput, 'locales' | 'variants'> & Partial<TemplateInput>): Promise<void>;
  /** A send request with a fresh key. */
  request(overrides: Partial<SendRequest> & Pick<SendRequest, 'customerId' | 'channel' | 'template'>): SendRequest;
  stop(): Promise<void>;
}

export async function startMessaging(): Promise<MessagingFixture> {
  const [smtp, http] = await Promise.all([startSmtpReceiver(), startHttpReceiver(signingSecret)]);
  const stack = await startStack({
    worker: false,
    env: {
      EMAIL_PROVIDER: 'smtp', SMTP_URL: smtp.url, EMAIL_FROM: 'Shop <news@shop.example.com>',
      SMS_PROVIDER: 'http', SMS_URL: `${http.url}/sms`,
      WECHAT_PROVIDER: 'http', WECHAT_URL: `${http.url}/wechat`,
      WEBHOOK_PROVIDER: 'http', WEBHOOK_URL: `${http.url}/webhook`,
      PROVIDER_SIGNING_SECRET: signingSecret,
      PUBLIC_URL: publicUrl,
    },
  });
  const { models } = stack.db;
  const channels = createChannels(stack.config.channels, models, { timeoutMs: 1000 });
  const messaging = createMessagingActivities({ models, channels, config: stack.config });
  const templates = templateRepository(models);
  return {
    stack, smtp, http, channels, messaging,
    async addIdentity(customerId, type, value) {
      await models.identities.insertOne({ _id: `${type}:${value}`, type, customerId, createdAt: new Date() });
    },
    async addTemplate(template) {
      await templates.create({ locales: {}, variants: [], ...template });
    },
    request: (overrides) => ({ key: `wf-${randomUUID()}/journey/step-1`, priority: 'marketing', variables: {}, ...overrides }),
    async stop() {
      await stack.stop();
      await Promise.all([smtp.stop(), http.stop()]);
    },
  };
}
