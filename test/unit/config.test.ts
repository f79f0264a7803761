import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { defaultLifecycleRules } from '../../workflows/lifecycle/rules.js';
import { defaultMessagingPolicy } from '../../workflows/messaging/arbiter.js';

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

  it('labels today\'s keys (write-1, admin-1…) and takes labelled keys with scopes from API_KEYS, with or without the lists', () => {
    const keys = [{ label: 'analyst', key: 'r'.repeat(16), scopes: ['reports:read', 'segments:read'] }];
    expect(loadConfig({ ...minimal, API_WRITE_KEYS: `${'w'.repeat(16)},${'v'.repeat(16)}`, API_KEYS: JSON.stringify(keys) }).api.keys).toEqual([
      { label: 'write-1', key: 'w'.repeat(16), scopes: ['events:write'] },
      { label: 'write-2', key: 'v'.repeat(16), scopes: ['events:write'] },
      { label: 'admin-1', key: 'a'.repeat(16), scopes: ['admin'] },
      ...keys,
    ]);
    const alone = loadConfig({ MONGODB_URI: minimal.MONGODB_URI, API_KEYS: JSON.stringify(keys) }).api;
    expect(alone).toMatchObject({ writeKeys: [], adminKeys: [], keys });
    expect(() => loadConfig({ MONGODB_URI: minimal.MONGODB_URI })).toThrow(/API_WRITE_KEYS.*API_ADMIN_KEYS/);
  });

  it('names each bad labelled key down to its field, never echoing a key', () => {
    const bad = (keys: unknown) => () => loadConfig({ ...minimal, API_KEYS: JSON.stringify(keys) });
    expect(() => loadConfig({ ...minimal, API_KEYS: '[{' })).toThrow(/API_KEYS: not valid JSON/);
    expect(bad([{ label: 'Bad Label', key: 'secret-but-short', scopes: ['reports:write'] }])).toThrow(/API_KEYS\.0\.label: a label.*API_KEYS\.0\.scopes\.0: /);
    expect(bad([{ label: 'x', key: 'tiny', scopes: ['admin'] }])).toThrow(/API_KEYS\.0\.key: at least 16 characters/);
    expect(bad([{ label: 'x', key: 'tiny', scopes: ['admin'] }])).not.toThrow(/tiny/);
    expect(bad([{ label: 'x', key: 'k'.repeat(16), scopes: [] }])).toThrow(/API_KEYS\.0\.scopes: at least one of admin, events:write/);
    expect(bad([{ label: 'admin-1', key: 'k'.repeat(16), scopes: ['admin'] }])).toThrow(/API_KEYS\.0\.label: the label admin-1 is taken/);
    expect(bad([{ label: 'a', key: 'k'.repeat(16), scopes: ['admin'] }, { label: 'b', key: 'k'.repeat(16), scopes: ['audit:read'] }])).toThrow(/API_KEYS\.1\.key: a key given before/);
    expect(bad([{ label: 'a', key: 'a'.repeat(16), scopes: ['admin'] }])).toThrow(/API_KEYS\.0\.key: a key given before/);
    expect(bad([{ label: 'a', key: 'k'.repeat(16), scopes: ['admin'], role: 'x' }])).toThrow(/API_KEYS\.0\.role: not a setting/);
  });

  it('runs every worker in one process unless WORKER_ROLE says workflows or sends, and names a bad role', () => {
    expect(loadConfig(minimal).workerRole).toBe('all');
    expect(loadConfig({ ...minimal, WORKER_ROLE: 'sends' }).workerRole).toBe('sends');
    expect(loadConfig({ ...minimal, WORKER_ROLE: 'workflows' }).workerRole).toBe('workflows');
    expect(() => loadConfig({ ...minimal, WORKER_ROLE: 'senders' })).toThrow(/WORKER_ROLE: expected all, workflows .* or sends/);
  });

  it('gives a cached customer\'s task to any worker after the SDK\'s 10 s unless WORKER_STICKY_QUEUE_TIMEOUT says otherwise, and names a bad one', () => {
    expect(loadConfig(minimal).workerStickyQueueTimeout).toBe('10 seconds');
    expect(loadConfig({ ...minimal, WORKER_STICKY_QUEUE_TIMEOUT: '15m' }).workerStickyQueueTimeout).toBe('15m');
    expect(() => loadConfig({ ...minimal, WORKER_STICKY_QUEUE_TIMEOUT: 'soon' })).toThrow(/WORKER_STICKY_QUEUE_TIMEOUT: expected a duration/);
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

  it('takes only the lifecycle rules that differ from the defaults, merged over them at any depth', () => {
    const rules = loadConfig({ ...minimal, LIFECYCLE_RULES: JSON.stringify({ loyalOrders: 5, attribution: { lookbackDays: 14 }, memberTriggers: [{ identify: 'userId' }, { trait: 'member_id' }, { event: 'Card Bound' }] }) }).lifecycleRules;
    expect(rules).toEqual({
      ...defaultLifecycleRules, loyalOrders: 5, attribution: { lookbackDays: 14 },
      memberTriggers: [{ identify: 'userId' }, { trait: 'member_id' }, { event: 'Card Bound' }],
      // What a worker from before member triggers reads: the event triggers.
      memberEvents: ['Card Bound'],
    });
    // A configuration from before triggers: its member events are the triggers.
    expect(loadConfig({ ...minimal, LIFECYCLE_RULES: JSON.stringify({ memberEvents: ['Joined'] }) }).lifecycleRules).toMatchObject({ memberEvents: ['Joined'], memberTriggers: [{ event: 'Joined' }] });
    // Lists replace the default's, never append to it.
    expect(loadConfig({ ...minimal, LIFECYCLE_RULES: JSON.stringify({ tiers: [{ name: 'vip', minSpend: 0 }] }) }).lifecycleRules.tiers).toEqual([{ name: 'vip', minSpend: 0 }]);
  });

  it('takes only the messaging policy that differs from the defaults; null removes an optional setting', () => {
    expect(loadConfig({ ...minimal, MESSAGING_POLICY: JSON.stringify({ maxConcurrentJourneys: 5 }) }).messagingPolicy).toEqual({ ...defaultMessagingPolicy, maxConcurrentJourneys: 5 });
    expect(loadConfig({ ...minimal, MESSAGING_POLICY: JSON.stringify({ quietHours: { start: '22:00' } }) }).messagingPolicy.quietHours).toEqual({ start: '22:00', end: '08:00' });
    expect(loadConfig({ ...minimal, MESSAGING_POLICY: JSON.stringify({ quietHours: null }) }).messagingPolicy).not.toHaveProperty('quietHours');
    // A complete policy is merged too: leaving quiet hours out keeps the default ones; null drops them.
    const whole = { caps: [{ window: '1 day', max: 1 }], defaultTimeZone: 'UTC', maxConcurrentJourneys: 2 };
    expect(loadConfig({ ...minimal, MESSAGING_POLICY: JSON.stringify(whole) }).messagingPolicy).toEqual({ ...whole, quietHours: defaultMessagingPolicy.quietHours });
    expect(loadConfig({ ...minimal, MESSAGING_POLICY: JSON.stringify({ ...whole, quietHours: null }) }).messagingPolicy).toEqual(whole);
  });

  it('validates the merged settings whole, naming each bad or unknown key by its path', () => {
    const message = (env: Record<string, string>) => { try { loadConfig({ ...minimal, ...env }); return ''; } catch (err) { return (err as Error).message; } };
    const bad = message({
      LIFECYCLE_RULES: JSON.stringify({ loyalOrder: 5, tiers: [{ name: 'a', minSpend: -1, colour: 'red' }], memberTriggers: [{ identify: 'email' }, { event: 'X', trait: 'y' }] }),
      MESSAGING_POLICY: JSON.stringify({ quietHours: { start: '25:00' }, caps: [{ window: 'soon', max: 1 }], maxConcurrent: 3 }),
    });
    for (const part of [
      'LIFECYCLE_RULES.loyalOrder: not a setting', 'LIFECYCLE_RULES.tiers.0.colour: not a setting', 'LIFECYCLE_RULES.tiers.0.minSpend: ',
      'LIFECYCLE_RULES.memberTriggers.0.identify: the only identify trigger is "userId"', 'LIFECYCLE_RULES.memberTriggers.1: give exactly one of event, identify ("userId") or trait',
      'MESSAGING_POLICY.quietHours.start: expected HH:MM', 'MESSAGING_POLICY.caps.0.window: expected a duration', 'MESSAGING_POLICY.maxConcurrent: not a setting',
    ]) expect(bad).toContain(part);
    expect(message({ LIFECYCLE_RULES: '[]' })).toMatch(/LIFECYCLE_RULES: expected a JSON object of the settings that differ from the defaults/);
    expect(message({ MESSAGING_POLICY: JSON.stringify({ defaultTimeZone: null }) })).toMatch(/MESSAGING_POLICY.defaultTimeZone: /);
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
