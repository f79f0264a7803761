// Configuration: parsed once at start-up from the environment, then passed down.
import { z } from 'zod';
import { defaultLifecycleRules, type LifecycleRules, type MemberTrigger } from './workflows/lifecycle/rules.js';
import { defaultMessagingPolicy, type MessagingPolicy } from './workflows/messaging/arbiter.js';
import { isTimeZone } from './workflows/journeys/time.js';
import { channels, type Channel } from './workflows/messaging/types.js';
import { durationMs, toMs } from './workflows/duration.js';
import { scopes, type Scope } from './api/scopes.js';

const keyList = z
  .string()
  .transform((s) => s.split(',').map((k) => k.trim()).filter(Boolean))
  .pipe(z.array(z.string().min(16, 'each key must have at least 16 characters')).min(1, 'at least one key'));

/** API_KEYS: keys with a label (what the audit trail names) and the scopes they may use. */
const ApiKeysSchema = z.array(z.strictObject({
  label: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'a label: lower-case letters, digits, _ . or -, at most 64'),
  key: z.string().min(16, 'at least 16 characters'),
  scopes: z.array(z.enum(scopes)).min(1, `at least one of ${scopes.join(', ')}`),
})).min(1, 'at least one key');

const parseJson = (s: string, ctx: z.RefinementCtx): unknown => {
  try { return JSON.parse(s) as unknown; } catch { ctx.addIssue({ code: 'custom', message: 'not valid JSON' }); return z.NEVER; }
};
const jsonOf = <T extends z.ZodType>(schema: T) => z.string().transform(parseJson).pipe(schema);

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The defaults with a brand's settings over them: objects merge key by key, at any depth; a list
 * or a value replaces the default's; `null` removes an optional setting (e.g. `quietHours`).
 */
export function deepMerge(defaults: unknown, override: unknown): unknown {
  if (!isPlain(defaults) || !isPlain(override)) return override;
  const out: Plain = { ...defaults };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    else out[key] = deepMerge(defaults[key], value);
  }
  return out;
}

/** JSON giving only what differs from `defaults`: merged over them, then validated whole by `schema`. */
const partialJsonOver = <T extends z.ZodType>(defaults: z.output<T>, schema: T, options: { prepare?: (override: Plain) => Plain } = {}) =>
  z.string().transform((s, ctx) => {
    const override = parseJson(s, ctx);
    if (!isPlain(override)) { ctx.addIssue({ code: 'custom', message: 'expected a JSON object of the settings that differ from the defaults' }); return z.NEVER; }
    const given = options.prepare ? options.prepare(override) : override;
    return deepMerge(defaults, given);
  }).pipe(schema);

/** Four ascending cut-offs (value scores 2 to 5). */
const ascending4 = z.tuple([z.number().min(0), z.number().min(0), z.number().min(0), z.number().min(0)])
  .refine((t) => t.every((x, i) => i === 0 || x > t[i - 1]!), 'must ascend');

/** One way of becoming a member: exactly one of `event`, `identify: "userId"`, `trait`. */
const MemberTriggerSchema = z.strictObject({
  event: z.string().min(1).optional(),
  identify: z.literal('userId', { error: 'the only identify trigger is "userId" (an identify call carrying one); name a trait with `trait`' }).optional(),
  trait: z.string().min(1).optional(),
}).refine((t) => Object.keys(t).length === 1, 'give exactly one of event, identify ("userId") or trait')
  .transform((t) => t as MemberTrigger);

export const LifecycleRulesSchema: z.ZodType<LifecycleRules> = z.strictObject({
  fanEvents: z.array(z.string().min(1)),
  memberEvents: z.array(z.string().min(1)),
  memberTriggers: z.array(MemberTriggerSchema).max(50).optional(),
  orderEvent: z.string().min(1),
  revenueProperty: z.string().min(1),
  loyalOrders: z.number().int().min(1),
  atRiskAfterDays: z.number().positive(),
  pointsPerUnit: z.number().min(0),
  tiers: z.array(z.strictObject({ name: z.string().min(1), minSpend: z.number().min(0) })).min(1)
    .refine((t) => t.every((tier, i) => i === 0 || tier.minSpend > t[i - 1]!.minSpend), 'tiers must ascend by minSpend'),
  attribution: z.strictObject({
    conversionEvents: z.array(z.string().min(1)).optional(),
    lookbackDays: z.number().positive().max(365).optional(),
    halfLifeDays: z.number().positive().optional(),
  }).optional(),
  scoreThresholds: z.strictObject({
    recencyDays: ascending4, orders: ascending4, spend: ascending4,
  }).optional(),
});

/**
 * Membership is configured by `memberTriggers`; a configuration from before them names
 * `memberEvents` instead, which then become the triggers (given both, `memberTriggers` decides).
 */
function memberTriggersGiven(override: Plain): Plain {
  if (!('memberEvents' in override) || 'memberTriggers' in override) return override;
  const events = override.memberEvents;
  return { ...override, memberTriggers: Array.isArray(events) ? events.map((event: unknown) => ({ event })) : events };
}

/** `memberEvents` always lists the event triggers: what a worker from before triggers reads. */
function withMemberEvents(rules: LifecycleRules): LifecycleRules {
  const triggers = rules.memberTriggers ?? [];
  return { ...rules, memberTriggers: triggers, memberEvents: triggers.flatMap((t) => ('event' in t ? [t.event] : [])) };
}

/** An optional secret; compose passes unset variables as empty strings. */
const optionalSecret = z.preprocess((v) => (v === '' ? undefined : v), z.string().min(32, 'at least 32 characters').optional());
const secretList = z.string().default('').transform((s) => s.split(',').map((k) => k.trim()).filter(Boolean))
  .pipe(z.array(z.string().min(32, 'each secret must have at least 32 characters')));

const duration = z.string().refine((v) => durationMs(v) !== undefined, 'expected a duration like "1 day"');
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM');

export const MessagingPolicySchema: z.ZodType<MessagingPolicy> = z.strictObject({
  caps: z.array(z.strictObject({ window: duration, max: z.number().int().min(0) })),
  quietHours: z.strictObject({ start: clock, end: clock }).optional(),
  defaultTimeZone: z.string().refine(isTimeZone, 'not an IANA time zone'),
  maxConcurrentJourneys: z.number().int().min(1).max(50),
});

/** What one message costs on a channel, in revenue's currency; a channel left out has no cost in reports. */
export const ChannelCostsSchema = z.partialRecord(z.enum(channels), z.number().min(0));
export const ChannelRatesSchema = z.strictObject(Object.fromEntries(channels.map((c) => [c, z.number().positive().max(100_000).optional()])) as Record<Channel, z.ZodOptional<z.ZodNumber>>);

/**
 * What one worker process runs. `sends`: only the channels' send queues (no workflow code, so no
 * workflow activation delays the step from a provider's answer to the recorded send); `workflows`:
 * everything else; `all`: both.
 */
export const workerRoles = ['all', 'workflows', 'sends'] as const;
export type WorkerRole = (typeof workerRoles)[number];

const EnvFields = z.object({
  TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port').default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('closedloop-customers'),
  MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'expected a mongodb:// or mongodb+srv:// URI'),
  API_PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** Ingest-only keys (Segment write keys), comma-separated. */
  API_WRITE_KEYS: keyList,
  /** Keys for journeys, segments, customers and reports, comma-separated. */
  API_ADMIN_KEYS: keyList,
  /** Labelled keys with scopes, JSON: [{"label":"analyst","key":"…","scopes":["reports:read"]}]; with it the two lists above may be left out. */
  API_KEYS: jsonOf(ApiKeysSchema).optional(),
  /** Requests a minute per API key. */
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(12_000),
  /** Ingest signals this process may have queued or in flight before ingest answers 503 `overloaded`. */
  API_MAX_BACKLOG: z.coerce.number().int().min(1).default(1000),
  /** Public routes (/t/*, /v1/webhooks/*): requests a minute per client IP. */
  PUBLIC_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(1200),
  /** Requests a minute per tracking token (one open pixel, click or unsubscribe link). */
  TRACKING_TOKEN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  /** Signed webhook requests a minute per provider. */
  WEBHOOK_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(6000),
  /** Reaction signals (opens, clicks, unsubscribes, receipts) queued or in flight, apart from ingest's. */
  FEEDBACK_MAX_BACKLOG: z.coerce.number().int().min(1).default(200),
  /** How long the API waits for Temporal to accept events before answering 503. */
  API_TEMPORAL_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  /** Country assumed for phone numbers written without a country code (ISO 3166 alpha-2). */
  DEFAULT_PHONE_COUNTRY: z.string().regex(/^[A-Z]{2}$/, 'expected an ISO country code like CN').default('CN'),
  /** Extra identity types read from traits, e.g. "member_id,loyalty_card". */
  IDENTITY_TRAITS: z.string().default('').transform((s) => s.split(',').map((k) => k.trim()).filter(Boolean)),
  /** Stage and tier rules: JSON of the settings that differ from the defaults (workflows/lifecycle/rules.ts). */
  LIFECYCLE_RULES: partialJsonOver(defaultLifecycleRules, LifecycleRulesSchema, { prepare: memberTriggersGiven }).transform(withMemberEvents).optional(),
  /** Frequency caps, quiet hours, default time zone, journeys at once: JSON of what differs from the defaults. */
  MESSAGING_POLICY: partialJsonOver(defaultMessagingPolicy, MessagingPolicySchema).optional(),
  /** Cost of one message per channel, for reports: JSON like {"sms":0.05}. */
  CHANNEL_COSTS: jsonOf(ChannelCostsSchema).optional(),
  /** Base URL of this API as customers' devices reach it: open pixels, click and unsubscribe links. */
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:3000'),
  /** Signs tracking tokens (opens, clicks, unsubscribes); at least 32 characters. */
  TRACKING_SECRET: z.string().min(32, 'at least 32 characters').default('local-tracking-secret-change-me-0123456789'),
  /** Secrets TRACKING_SECRET replaced, comma-separated: their tokens still verify, none are signed with them. */
  TRACKING_SECRETS_PREVIOUS: secretList,
  /** How long an open or click token records reactions (its link keeps redirecting after). */
  TRACKING_TOKEN_TTL: duration.refine((v) => toMs(v) >= 3_600_000, 'at least 1 hour').default('365 days'),
  EMAIL_PROVIDER: z.enum(['outbox', 'smtp']).default('outbox'),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'expected smtp:// or smtps://').optional(),
  EMAIL_FROM: z.string().min(3).default('Closedloop <no-reply@closedloop.local>'),
  /** SMS, WeChat template messages, app push and generic webhooks: `outbox` or `http` (signed POST). */
  SMS_PROVIDER: z.enum(['outbox', 'http']).default('outbox'),
  SMS_URL: z.url().optional(),
  WECHAT_PROVIDER: z.enum(['outbox', 'http']).default('outbox'),
  WECHAT_URL: z.url().optional(),
  PUSH_PROVIDER: z.enum(['outbox', 'http']).default('outbox'),
  PUSH_URL: z.url().optional(),
  WEBHOOK_PROVIDER: z.enum(['outbox', 'http']).default('outbox'),
  WEBHOOK_URL: z.url().optional(),
  /** HMAC-SHA256 key for our requests to HTTP providers (and, for providers without their own, their webhooks). */
  PROVIDER_SIGNING_SECRET: z.string().min(32, 'at least 32 characters').default('local-provider-secret-change-me-0123456789'),
  /** Each provider's own key for its webhooks to us: one provider's secret cannot sign another's receipts. */
  WEBHOOK_SECRET_EMAIL: optionalSecret,
  WEBHOOK_SECRET_SMS: optionalSecret,
  WEBHOOK_SECRET_WECHAT: optionalSecret,
  WEBHOOK_SECRET_PUSH: optionalSecret,
  WEBHOOK_SECRET_WEBHOOK: optionalSecret,
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(1).default(2000),
  /** Each channel's provider throughput, sends a second, shared by every worker: JSON like {"sms":100}. */
  CHANNEL_SEND_RATES: jsonOf(ChannelRatesSchema).optional(),
  /** host:port where the worker serves Temporal's SDK metrics for Prometheus (`/metrics`); none by default. */
  WORKER_METRICS_ADDRESS: z.string().regex(/^[\w.-]+:\d{1,5}$/, 'expected host:port, e.g. 0.0.0.0:9464').optional(),
  /** What this worker process runs: `all`, `workflows` (all but the channels' sends) or `sends` (only those); see workerRoles. */
  WORKER_ROLE: z.enum(workerRoles, { error: 'expected all, workflows (all but the channels\' sends) or sends (only those)' }).default('all'),
  /** Sends a worker has in flight at once: what a crash can interrupt, and what a drain waits for. */
  WORKER_MAX_SENDS_IN_FLIGHT: z.coerce.number().int().min(1).max(1000).default(16),
  /** SMTP sends a worker lets past their point of no return at once (mark to recorded answer): the most a crash can leave unknown. */
  WORKER_SENDS_PAST_NO_RETURN: z.coerce.number().int().min(1).max(1000).default(1),
  /** On SIGTERM the worker stops taking tasks and lets the ones in flight finish for this long. */
  WORKER_SHUTDOWN_GRACE: duration.default('30 seconds'),
  /**
   * How long a workflow task waits on the sticky queue of the worker that has the customer cached
   * before any worker may take it (the SDK's 10 s by default). Each timeout costs the server one
   * more task and a worker one more replay: a worker seconds behind in a herd times out every task
   * and falls further behind (BENCHMARKS.md). Longer also holds the tasks queued for a worker that
   * crashed that long (test/integration/two-workers.test.ts measures the 10 s).
   */
  WORKER_STICKY_QUEUE_TIMEOUT: duration.default('10 seconds'),
  REPORTS_REFRESH_EVERY: z.union([z.literal('off'), duration]).default('5 minutes'),
  /** Outbound event stream (api/event-endpoints): lanes per new endpoint (its events spread over them by customer). */
  EVENT_STREAM_LANES: z.coerce.number().int().min(1).max(16).default(4),
  /** Backoff between delivery attempts of an event: from the first interval, times the coefficient, up to the maximum. */
  EVENT_STREAM_RETRY_INITIAL: duration.default('1 second'),
  EVENT_STREAM_RETRY_MAX: duration.default('1 hour'),
  EVENT_STREAM_RETRY_BACKOFF: z.coerce.number().min(1).max(10).default(2),
  /** Failed attempts after which an event becomes a dead letter (also once it is EVENT_STREAM_MAX_AGE old). */
  EVENT_STREAM_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10_000).default(20),
  EVENT_STREAM_MAX_AGE: duration.default('3 days'),
  /** How long one POST to an endpoint may take before it counts as failed. */
  EVENT_STREAM_TIMEOUT: duration.default('10 seconds'),
  /** How often an idle lane looks for new events; how long each process keeps its copy of the endpoint list. */
  EVENT_STREAM_POLL: duration.default('1 second'),
  EVENT_STREAM_REFRESH: duration.default('5 seconds'),
  /** How long delivered events are kept (a replay of a time range reaches back this far). */
  EVENT_STREAM_RETENTION: duration.default('7 days'),
  /** Hosts endpoints may point at, comma-separated (none: any). */
  EVENT_STREAM_ALLOWED_HOSTS: z.string().default('').transform((s) => s.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean)),
  /** CSV imports (api/imports): where uploads are kept until imported; the API and the worker must both reach it. */
  IMPORT_DIR: z.string().min(1).default('.data/imports'),
  /** The largest CSV an import takes, in bytes (1 GB). */
  IMPORT_MAX_BYTES: z.coerce.number().int().min(1).default(1024 * 1024 * 1024),
  /** Rows a second an import feeds into ingestion unless the request says otherwise. */
  IMPORT_RATE_PER_SECOND: z.coerce.number().int().min(1).max(100_000).default(500),
});

/** Each key once across API_KEYS and the lists (a key in both lists is an admin key, as before), each label once. */
function checkKeys(env: { API_WRITE_KEYS?: string[]; API_ADMIN_KEYS?: string[]; API_KEYS?: z.output<typeof ApiKeysSchema> }, ctx: z.RefinementCtx): void {
  const listed = new Set([...(env.API_WRITE_KEYS ?? []), ...(env.API_ADMIN_KEYS ?? [])]);
  const labels = new Set(derivedKeys(env.API_WRITE_KEYS ?? [], env.API_ADMIN_KEYS ?? []).map((k) => k.label));
  const keys = new Set<string>();
  (env.API_KEYS ?? []).forEach((k, i) => {
    if (keys.has(k.key) || listed.has(k.key)) ctx.addIssue({ code: 'custom', path: ['API_KEYS', i, 'key'], message: 'a key given before (each key has one label)' });
    if (labels.has(k.label)) ctx.addIssue({ code: 'custom', path: ['API_KEYS', i, 'label'], message: `the label ${k.label} is taken` });
    keys.add(k.key);
    labels.add(k.label);
  });
}

function checkEnv(env: z.output<typeof EnvFields> | z.output<typeof LabelledEnvFields>, ctx: z.RefinementCtx): void {
  checkKeys(env, ctx);
  if (env.EMAIL_PROVIDER === 'smtp' && !env.SMTP_URL) ctx.addIssue({ code: 'custom', path: ['SMTP_URL'], message: 'required when EMAIL_PROVIDER=smtp' });
  for (const channel of ['SMS', 'WECHAT', 'PUSH', 'WEBHOOK'] as const) {
    if (env[`${channel}_PROVIDER`] === 'http' && !env[`${channel}_URL`]) ctx.addIssue({ code: 'custom', path: [`${channel}_URL`], message: `required when ${channel}_PROVIDER=http` });
  }
}

const Env = EnvFields.superRefine(checkEnv);
/** With API_KEYS given, the write and admin lists are optional. */
const LabelledEnvFields = EnvFields.extend({ API_WRITE_KEYS: keyList.optional(), API_ADMIN_KEYS: keyList.optional() });
const LabelledEnv = LabelledEnvFields.superRefine(checkEnv);

export interface ApiKeyConfig { label: string; key: string; scopes: Scope[] }

/** Today's lists as labelled keys: `write-1`, `write-2`…, `admin-1`…, in the order given. */
function derivedKeys(write: string[], admin: string[]): ApiKeyConfig[] {
  return [
    ...write.map((key, i) => ({ label: `write-${i + 1}`, key, scopes: ['events:write' as const] })),
    ...admin.map((key, i) => ({ label: `admin-${i + 1}`, key, scopes: ['admin' as const] })),
  ];
}

export interface Config {
  temporal: { address: string; namespace: string; taskQueue: string };
  mongodbUri: string;
  /** `keys`: every key with its label and scopes (API_KEYS, and the two lists with labels made for them). */
  api: { port: number; writeKeys: string[]; adminKeys: string[]; keys: ApiKeyConfig[]; temporalTimeoutMs: number; rateLimitPerMinute: number; maxBacklog: number };
  /** Limits of the routes without an API key (tracking links, provider webhooks). */
  publicRoutes: { perIpPerMinute: number; perTokenPerMinute: number; perProviderPerMinute: number; feedbackMaxBacklog: number };
  identity: { defaultPhoneCountry: string; extraTraits: string[] };
  lifecycleRules: LifecycleRules;
  messagingPolicy: MessagingPolicy;
  /** Cost of one message by channel (reports' cost per conversion). */
  channelCosts: Partial<Record<Channel, number>>;
  publicUrl: string;
  /** Signs tracking tokens with `secret`; `previous` still verify; new tokens live `ttlSeconds`. */
  tracking: { secret: string; previous: string[]; ttlSeconds: number };
  channels: {
    email: { provider: 'outbox' | 'smtp'; smtpUrl?: string; from: string };
    sms: HttpChannelConfig;
    wechat: HttpChannelConfig;
    push: HttpChannelConfig;
    webhook: HttpChannelConfig;
    /** Signs our requests to HTTP providers. */
    signingSecret: string;
    /** Verifies each provider's webhooks (its WEBHOOK_SECRET_…, else PROVIDER_SIGNING_SECRET). */
    webhookSecrets: Record<Channel, string>;
  };
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Customer workflows a worker keeps in memory; the rest are replayed from history when they wake. */
  workerMaxCachedWorkflows: number;
  workerMaxSendsInFlight: number;
  /** SMTP sends past their point of no return at once in a worker: the most a crash can leave unknown. */
  workerSendsPastNoReturn: number;
  /** What this worker process runs (WORKER_ROLE). */
  workerRole: WorkerRole;
  /** Where the worker serves its metrics for Prometheus, if anywhere. */
  workerMetricsAddress?: string;
  /** Sends a second per channel, shared by every worker (none: as fast as the workers go). */
  channelSendRates: Partial<Record<Channel, number>>;
  /** How long a worker told to stop lets its tasks in flight finish (a duration). */
  workerShutdownGrace: string;
  /** How long a workflow task waits on the sticky queue of the worker that has the workflow cached (a duration). */
  workerStickyQueueTimeout: string;
  /** How often the report-days schedule counts again the days written since (a duration), or 'off'. */
  reportsRefreshEvery: string;
  eventStream: EventStreamConfig;
  /** CSV imports: the upload directory, the size limit (bytes) and the default rate (rows a second). */
  imports: { dir: string; maxBytes: number; ratePerSecond: number };
}

/** The outbound event stream's delivery (durations in ms). */
export interface EventStreamConfig {
  lanes: number;
  retryInitialMs: number;
  retryMaxMs: number;
  retryBackoff: number;
  maxAttempts: number;
  maxAgeMs: number;
  timeoutMs: number;
  pollMs: number;
  refreshMs: number;
  retentionMs: number;
  allowedHosts: string[];
}

export interface HttpChannelConfig { provider: 'outbox' | 'http'; url?: string }

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const pathOf = (path: PropertyKey[]): string => (path.length > 0 ? path.map(String).join('.') : '(environment)');

/** Settings holding JSON: their problems are named down to the key (`LIFECYCLE_RULES.tiers.1.minSpend`). */
const jsonSettings = new Set<PropertyKey>(['LIFECYCLE_RULES', 'MESSAGING_POLICY', 'CHANNEL_COSTS', 'API_KEYS']);

/** A setting's problem, named by its path; each unknown key of a JSON setting on its own line. */
function issueLines(i: z.core.$ZodIssue): string[] {
  const path = jsonSettings.has(i.path[0] ?? '') ? i.path : i.path.slice(0, 1);
  if (i.code === 'unrecognized_keys') return i.keys.map((key) => `${pathOf([...path, key])}: not a setting`);
  return [`${pathOf(path)}: ${i.message}`];
}

/** Validates the environment; throws one ConfigError naming every bad setting. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty API_KEYS (compose passes `${API_KEYS:-}`) is no API_KEYS.
  const { API_KEYS: labelled, ...others } = env;
  const parsed = labelled?.trim() ? LabelledEnv.safeParse(env) : Env.safeParse(others);
  if (!parsed.success) {
    const lines = parsed.error.issues.flatMap(issueLines);
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  return {
    temporal: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, taskQueue: e.TEMPORAL_TASK_QUEUE },
    mongodbUri: e.MONGODB_URI,
    api: {
      port: e.API_PORT, writeKeys: e.API_WRITE_KEYS ?? [], adminKeys: e.API_ADMIN_KEYS ?? [],
      keys: [...derivedKeys(e.API_WRITE_KEYS ?? [], e.API_ADMIN_KEYS ?? []), ...(e.API_KEYS ?? [])], temporalTimeoutMs: e.API_TEMPORAL_TIMEOUT_MS, rateLimitPerMinute: e.API_RATE_LIMIT_PER_MINUTE, maxBacklog: e.API_MAX_BACKLOG },
    publicRoutes: {
      perIpPerMinute: e.PUBLIC_RATE_LIMIT_PER_MINUTE, perTokenPerMinute: e.TRACKING_TOKEN_RATE_LIMIT_PER_MINUTE,
      perProviderPerMinute: e.WEBHOOK_RATE_LIMIT_PER_MINUTE, feedbackMaxBacklog: e.FEEDBACK_MAX_BACKLOG,
    },
    identity: { defaultPhoneCountry: e.DEFAULT_PHONE_COUNTRY, extraTraits: e.IDENTITY_TRAITS },
    lifecycleRules: e.LIFECYCLE_RULES ?? defaultLifecycleRules,
    messagingPolicy: e.MESSAGING_POLICY ?? defaultMessagingPolicy,
    channelCosts: e.CHANNEL_COSTS ?? {},
    publicUrl: e.PUBLIC_URL.replace(/\/$/, ''),
    tracking: { secret: e.TRACKING_SECRET, previous: e.TRACKING_SECRETS_PREVIOUS, ttlSeconds: Math.round(toMs(e.TRACKING_TOKEN_TTL) / 1000) },
    channels: {
      email: { provider: e.EMAIL_PROVIDER, smtpUrl: e.SMTP_URL, from: e.EMAIL_FROM },
      sms: { provider: e.SMS_PROVIDER, url: e.SMS_URL },
      wechat: { provider: e.WECHAT_PROVIDER, url: e.WECHAT_URL },
      push: { provider: e.PUSH_PROVIDER, url: e.PUSH_URL },
      webhook: { provider: e.WEBHOOK_PROVIDER, url: e.WEBHOOK_URL },
      signingSecret: e.PROVIDER_SIGNING_SECRET,
      webhookSecrets: {
        email: e.WEBHOOK_SECRET_EMAIL ?? e.PROVIDER_SIGNING_SECRET,
        sms: e.WEBHOOK_SECRET_SMS ?? e.PROVIDER_SIGNING_SECRET,
        wechat: e.WEBHOOK_SECRET_WECHAT ?? e.PROVIDER_SIGNING_SECRET,
        push: e.WEBHOOK_SECRET_PUSH ?? e.PROVIDER_SIGNING_SECRET,
        webhook: e.WEBHOOK_SECRET_WEBHOOK ?? e.PROVIDER_SIGNING_SECRET,
      },
    },
    logLevel: e.LOG_LEVEL,
    workerMaxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
    workerMaxSendsInFlight: e.WORKER_MAX_SENDS_IN_FLIGHT,
    workerSendsPastNoReturn: e.WORKER_SENDS_PAST_NO_RETURN,
    workerRole: e.WORKER_ROLE,
    channelSendRates: e.CHANNEL_SEND_RATES ?? {},
    ...(e.WORKER_METRICS_ADDRESS !== undefined && { workerMetricsAddress: e.WORKER_METRICS_ADDRESS }),
    workerShutdownGrace: e.WORKER_SHUTDOWN_GRACE,
    workerStickyQueueTimeout: e.WORKER_STICKY_QUEUE_TIMEOUT,
    reportsRefreshEvery: e.REPORTS_REFRESH_EVERY,
    eventStream: {
      lanes: e.EVENT_STREAM_LANES,
      retryInitialMs: toMs(e.EVENT_STREAM_RETRY_INITIAL), retryMaxMs: toMs(e.EVENT_STREAM_RETRY_MAX), retryBackoff: e.EVENT_STREAM_RETRY_BACKOFF,
      maxAttempts: e.EVENT_STREAM_MAX_ATTEMPTS, maxAgeMs: toMs(e.EVENT_STREAM_MAX_AGE), timeoutMs: toMs(e.EVENT_STREAM_TIMEOUT),
      pollMs: toMs(e.EVENT_STREAM_POLL), refreshMs: toMs(e.EVENT_STREAM_REFRESH), retentionMs: toMs(e.EVENT_STREAM_RETENTION),
      allowedHosts: e.EVENT_STREAM_ALLOWED_HOSTS,
    },
    imports: { dir: e.IMPORT_DIR, maxBytes: e.IMPORT_MAX_BYTES, ratePerSecond: e.IMPORT_RATE_PER_SECOND },
  };
}

/** For process entry points: print the one clear message and exit. */
export function loadConfigOrExit(env: Record<string, string | undefined>): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) { console.error(err.message); process.exit(78); }
    throw err;
  }
}
