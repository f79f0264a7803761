import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { defaultLifecycleRules } from '../../workflows/lifecycle/rules.js';

const minimal = { MONGODB_URI: 'mongodb://127.0.0.1:27017/x', API_WRITE_KEYS: 'w'.repeat(16), API_ADMIN_KEYS: 'a'.repeat(16) };

describe('configuration', () => {
  it('fills defaults around the required settings', () => {
    expect(loadConfig(minimal)).toMatchObject({
      temporal: { address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'closedloop-customers' },
      api: { port: 3000, writeKeys: ['w'.repeat(16)] }, lifecycleRules: defaultLifecycleRules,
    });
  });

  it('names every missing or bad setting in one message', () => {
    expect(() => loadConfig({ API_PORT: 'abc', TEMPORAL_ADDRESS: 'nohost' })).toThrow(
      /invalid configuration: .*TEMPORAL_ADDRESS: expected host:port.*MONGODB_URI.*API_PORT.*API_WRITE_KEYS.*API_ADMIN_KEYS/,
    );
  });

  it('rejects short API keys and an SMTP provider without a URL', () => {
    expect(() => loadConfig({ ...minimal, API_WRITE_KEYS: 'short' })).toThrow(/API_WRITE_KEYS: each key must have at least 16 characters/);
    expect(() => loadConfig({ ...minimal, EMAIL_PROVIDER: 'smtp' })).toThrow(/SMTP_URL: required when EMAIL_PROVIDER=smtp/);
  });

  it('takes lifecycle rules as JSON and checks them', () => {
    const rules = { ...defaultLifecycleRules, loyalOrders: 5 };
    expect(loadConfig({ ...minimal, LIFECYCLE_RULES: JSON.stringify(rules) }).lifecycleRules.loyalOrders).toBe(5);
    expect(() => loadConfig({ ...minimal, LIFECYCLE_RULES: '{' })).toThrow(/LIFECYCLE_RULES: not valid JSON/);
    expect(() => loadConfig({ ...minimal, LIFECYCLE_RULES: JSON.stringify({ ...rules, tiers: [{ name: 'a', minSpend: 5 }, { name: 'b', minSpend: 1 }] }) })).toThrow(/tiers must ascend/);
  });

  it('gives each provider its own webhook secret, falling back to PROVIDER_SIGNING_SECRET; outgoing requests keep that one', () => {
    const outgoing = 'p'.repeat(32);
    const config = loadConfig({ ...minimal, PROVIDER_SIGNING_SECRET: outgoing, WEBHOOK_SECRET_SMS: 's'.repeat(32), WEBHOOK_SECRET_EMAIL: '' });
    expect(config.channels.signingSecret).toBe(outgoing);
    expect(config.channels.webhookSecrets).toEqual({ email: outgoing, sms: 's'.repeat(32), wechat: outgoing, push: outgoing, webhook: outgoing });
    expect(() => loadConfig({ ...minimal, WEBHOOK_SECRET_PUSH: 'short' })).toThrow(/WEBHOOK_SECRET_PUSH: at least 32 characters/);
  });

  it('signs tracking tokens for a year by default, and keeps previous secrets for verification only', () => {
    expect(loadConfig(minimal).tracking).toMatchObject({ previous: [], ttlSeconds: 365 * 24 * 3600 });
    const rotated = loadConfig({ ...minimal, TRACKING_SECRET: 'n'.repeat(32), TRACKING_SECRETS_PREVIOUS: `${'o'.repeat(32)}, ${'q'.repeat(32)}`, TRACKING_TOKEN_TTL: '90 days' });
    expect(rotated.tracking).toEqual({ secret: 'n'.repeat(32), previous: ['o'.repeat(32), 'q'.repeat(32)], ttlSeconds: 90 * 24 * 3600 });
    expect(() => loadConfig({ ...minimal, TRACKING_SECRETS_PREVIOUS: 'short' })).toThrow(/TRACKING_SECRETS_PREVIOUS: each secret must have at least 32 characters/);
    expect(() => loadConfig({ ...minimal, TRACKING_TOKEN_TTL: '10 minutes' })).toThrow(/TRACKING_TOKEN_TTL: at least 1 hour/);
  });
});
