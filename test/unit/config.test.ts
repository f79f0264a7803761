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
});
