// Deterministic report data: customers with their events, messages, attributed conversions, stage
// moves and journey progress (two journeys with A/B/n variants and a holdout). Each customer comes
// from its own seeded generator, so the data is the same whatever the batch size. Used by the
// reports benchmark (100,000 customers, 1,000,000 events) and, with small counts, by the reports
// test. Run directly, it seeds the database at MONGODB_URI:
//   MONGODB_URI=mongodb://127.0.0.1:27017/closedloop tsx scripts/seed-reports.ts [customers] [events]
import { pathToFileURL } from 'node:url';
import { toMs } from '../workflows/duration.js';
import type { Collection, Document, OptionalUnlessRequiredId } from 'mongodb';
import type { CustomerDoc, EventDoc, Models } from '../store/models.js';
import type { MessageDoc } from '../store/messages.js';
import { dailyFigures } from '../store/report-days.js';
import { conversionDoc, type ConversionDoc, type JourneyEventDoc, type StageChangeDoc } from '../store/analytics.js';
import type { JourneyDoc, JourneyVersionDoc } from '../store/journey-models.js';
import type { JourneyDefinition } from '../workflows/journeys/types.js';
import type { Stage } from '../workflows/lifecycle/rules.js';
import type { Touch } from '../workflows/attribution/types.js';
import { defaultAttribution } from '../workflows/attribution/types.js';
import { convert } from '../workflows/attribution/credit.js';
import { allHold } from '../workflows/journeys/conditions.js';
import { holdoutGoalWindow } from '../workflows/journeys/steps.js';
import { random, type Random } from './random.js';

export interface SeedOptions {
  customers: number;
  /** Exactly this many events in all, spread evenly over the customers. */
  events: number;
  seed?: number;
  /** The first instant of the data; everything happens within `days` of it (at whole minutes). */
  start?: Date;
  days?: number;
}

export const benchSeed: SeedOptions = { customers: 100_000, events: 1_000_000 };
const defaults = { seed: 20260101, start: new Date('2026-01-01T00:00:00.000Z'), days: 120 };

const D = 86_400_000;
const M = 60_000;


// The two journeys customers go through: `welcome` changed its goal in version 2, `winback`'s goal
// has a condition on the order's total.
const welcomeSteps: JourneyDefinition['steps'] = {
  welcome: { type: 'send', channel: 'email', template: 'welcome', next: 'split' },
  split: { type: 'split', variants: [{ name: 'coupon', weight: 50, next: 'coupon' }, { name: 'points', weight: 40, next: 'points' }], holdout: 10 },
  coupon: { type: 'send', channel: 'sms', template: 'coupon', next: 'wait' },
  points: { type: 'send', channel: 'wechat', template: 'points', next: 'wait' },
  wait: { type: 'wait', duration: '3 days', next: 'done' },
  done: { type: 'exit' },
};
const winbackSteps: JourneyDefinition['steps'] = {
  split: { type: 'split', variants: [{ name: 'email', weight: 30, next: 'by-email' }, { name: 'sms', weight: 30, next: 'by-sms' }, { name: 'push', weight: 20, next: 'by-push' }], holdout: 20 },
  'by-email': { type: 'send', channel: 'email', template: 'winback', next: 'wait' },
  'by-sms': { type: 'send', channel: 'sms', template: 'winback', next: 'wait' },
  'by-push': { type: 'send', channel: 'push', template: 'winback', next: 'wait' },
  wait: { type: 'wait', duration: '7 days', next: 'reminder' },
  reminder: { type: 'send', channel: 'email', template: 'winback-reminder', onlyIfEngagedWith: 'by-email', next: 'done' },
  done: { type: 'exit' },
};
const base = { reentry: { mode: 'always' }, onPause: 'hold' } as const;
export const seededJourneys: JourneyDefinition[] = [
  { ...base, id: 'welcome', version: 1, name: 'Welcome', trigger: { type: 'stage', to: 'member' }, entry: 'welcome', steps: welcomeSteps, goal: { event: 'Signed Up' } },
  // A conversion window shorter than the journey can take: some leave on the goal too late for it.
  { ...base, id: 'welcome', version: 2, name: 'Welcome', trigger: { type: 'stage', to: 'member' }, entry: 'welcome', steps: welcomeSteps, goal: { event: 'Order Completed', within: '6 days' } },
  {
    ...base, id: 'winback', version: 1, name: 'Win back', trigger: { type: 'inactivity', days: 90 }, entry: 'split', steps: winbackSteps,
    goal: { event: 'Order Completed', where: [{ field: 'total', op: 'gte', value: 100 }] },
  },
];

/** How likely a customer of each variant reaches the goal inside the journey. */
const goalRate: Record<string, number> = { coupon: 0.25, points: 0.15, email: 0.12, sms: 0.18, push: 0.08 };
const ladder: Stage[] = ['stranger', 'fan', 'member', 'customer', 'loyal'];
const eventNames = { 'Page Viewed': 34, 'Product Viewed': 24, 'Product Searched': 12, 'Cart Added': 10, 'Message Opened': 10, 'Order Completed': 8, 'Signed Up': 2 };
const channelMix = { email: 40, sms: 25, wechat: 25, push: 10 };

export interface CustomerData {
  customer: CustomerDoc;
  events: EventDoc[];
  messages: MessageDoc[];
  conversions: ConversionDoc[];
  stageChanges: StageChangeDoc[];
  journeyEvents: JourneyEventDoc[];
}

/** One customer and everything they did, from its own generator. */
export function customerData(i: number, eventCount: number, options: SeedOptions): CustomerData {
  const { seed, start, days } = { ...defaults, ...options };
  const r = random(Math.imul(seed, 0x9e3779b1) + i);
  const id = `c${String(i).padStart(6, '0')}`;
  // Whole minutes, one in ten exactly at midnight, so reports' range edges are met exactly.
  const instant = (): Date => new Date(start.getTime() + (r.chance(0.1) ? r.int(0, days - 1) * D : r.int(0, days * 1440 - 1) * M));

  const events: EventDoc[] = Array.from({ length: eventCount }, (_, k) => {
    const name = r.weighted(eventNames);
    const properties = name === 'Order Completed' ? { total: r.int(2000, 80_000) / 100 } : {};
    return { _id: `${id}:e${k}`, customerId: id, kind: 'track', name, properties, traits: {}, timestamp: instant() };
  });
  const messages = Array.from({ length: r.int(0, 4) }, (_, k) => message(r, id, k, instant()));
  const conversions = events.filter((e) => e.name === 'Order Completed').map((e) => conversion(r, id, e, messages));
  const stageChanges = stageMoves(r, id, instant);
  // Welcome's version 2 was published halfway through.
  const version = (journeyId: 'welcome' | 'winback', at: Date): number => (journeyId === 'welcome' && at.getTime() >= start.getTime() + (days / 2) * D ? 2 : 1);
  const enrol = (journeyId: 'welcome' | 'winback', seq: number): JourneyEventDoc[] => {
    const at = instant();
    return enrollment(r, id, seededJourneys.find((j) => j.id === journeyId && j.version === version(journeyId, at))!, seq, at, events);
  };
  const journeyEvents = [
    ...(r.chance(0.35) ? enrol('welcome', 1) : []),
    ...(r.chance(0.25) ? enrol('winback', 1) : []),
    ...(r.chance(0.05) ? enrol('winback', 2) : []),
  ];
  const stage = stageChanges.length > 0 ? stageChanges[stageChanges.length - 1]!.to as Stage : 'stranger';
  const orders = conversions.length;
  const customer: CustomerDoc = {
    _id: id, stage, ...(r.chance(0.6) && { tier: r.weighted({ bronze: 5, silver: 3, gold: 1 }) }), points: r.int(0, 3000),
    counters: { events: eventCount, orders, spend: conversions.reduce((s, c) => s + c.revenue, 0) },
    followed: r.chance(0.5), registered: r.chance(0.5), tags: [], consent: {}, traits: {}, recentMessageIds: [], mergedFrom: [],
    // One in fifty was found to be the same person as the customer before.
    ...(i % 50 === 49 && { mergedInto: `c${String(i - 1).padStart(6, '0')}` }), revision: 1, updatedAt: new Date(start.getTime() + days * D),
  };
  return { customer, events, messages, conversions, stageChanges, journeyEvents };
}

/** A message at each state a send can end in: never sent, refused, failed, bounced, or delivered and reacted to. */
function message(r: Random, customerId: string, k: number, createdAt: Date): MessageDoc {
  const channel = r.weighted(channelMix);
  const from = r.weighted({ welcome: 3, winback: 2, campaign: 3, none: 2 });
  const doc: MessageDoc = {
    // Some of the messages outside journeys and campaigns are transactional (without drawing from r: the rest of the data stays as it was).
    _id: `${customerId}:m${k}`, customerId, channel, template: 't', priority: from === 'none' && k % 3 === 0 ? 'transactional' : 'marketing', status: 'queued', links: [], attempts: 1, attemptsEnded: 0, createdAt, updatedAt: createdAt,
    ...(from === 'campaign' ? { campaignId: r.chance(0.5) ? 'double-11' : 'spring-festival' } : from !== 'none' && { journeyId: from, journeyVersion: 1, stepId: 'send' }),
  };
  const fate = r.weighted({ queued: 3, suppressed: 5, failed: 3, bounced: 2, sent: 87 });
  const after = (at: Date, maxMinutes: number): Date => new Date(at.getTime() + r.int(0, maxMinutes) * M);
  if (fate === 'queued') return doc;
  if (fate === 'suppressed') return { ...doc, status: 'suppressed', reason: 'frequency_cap' };
  if (fate === 'failed') return { ...doc, status: 'failed', reason: 'no_address', failedAt: after(createdAt, 5) };
  const sentAt = after(createdAt, 5);
  if (fate === 'bounced') return { ...doc, status: 'bounced', sentAt, failedAt: after(sentAt, 10) };
  // Some channels report opens without a delivery receipt.
  const deliveredAt = r.chance(0.85) ? after(sentAt, 30) : undefined;
  const openedAt = (deliveredAt || r.chance(0.05)) && r.chance(0.35) ? after(deliveredAt ?? sentAt, 3000) : undefined;
  const clickedAt = openedAt && r.chance(0.3) ? after(openedAt, 60) : undefined;
  const status = clickedAt ? 'clicked' : openedAt ? 'opened' : deliveredAt ? 'delivered' : 'sent';
  return { ...doc, status, sentAt, ...(deliveredAt && { deliveredAt }), ...(openedAt && { openedAt }), ...(clickedAt && { clickedAt }) };
}

/** An order credited, under every model, to the customer's message touches (and sometimes an ad click) before it. */
function conversion(r: Random, customerId: string, order: EventDoc, messages: MessageDoc[]): ConversionDoc {
  const at = order.timestamp.getTime();
  const touches: Touch[] = [];
  for (const m of messages) {
    const context = { channel: m.channel, messageKey: m._id, ...(m.journeyId && { journeyId: m.journeyId }), ...(m.campaignId && { campaignId: m.campaignId }) };
    for (const [kind, when] of [['sent', m.sentAt], ['opened', m.openedAt], ['clicked', m.clickedAt]] as const) {
      if (when) touches.push({ at: when.getTime(), kind, ...context });
    }
  }
  if (r.chance(0.15)) touches.push({ at: at - r.int(0, 600) * M, kind: 'inbound', channel: 'cpc', source: 'xiaohongshu', medium: 'cpc', campaign: 'kol' });
  touches.sort((a, b) => a.at - b.at);
  return conversionDoc(customerId, convert(touches, { messageId: order._id, event: 'Order Completed', revenue: order.properties.total as number, at }, defaultAttribution));
}

/** Up the ladder, slipping to at_risk after buying and sometimes coming back. */
function stageMoves(r: Random, customerId: string, instant: () => Date): StageChangeDoc[] {
  const times = Array.from({ length: Number(r.weighted({ 0: 30, 1: 30, 2: 20, 3: 12, 4: 8 })) }, instant).sort((a, b) => a.getTime() - b.getTime());
  let stage: Stage = 'stranger';
  return times.map((at, k) => {
    const from = stage;
    const step = ladder.indexOf(from);
    stage = from === 'at_risk' ? 'customer' : step >= 3 && r.chance(0.3) ? 'at_risk' : ladder[Math.min(step + 1, ladder.length - 1)]!;
    if (stage === from) stage = 'at_risk';
    return { _id: `${customerId}:${k + 1}`, customerId, from, to: stage, at };
  });
}

/** One enrollment's journey events: entered, each step, and the exit (unless still inside). */
function enrollment(r: Random, customerId: string, definition: JourneyDefinition, seq: number, enteredAt: Date, events: EventDoc[]): JourneyEventDoc[] {
  const { id: journeyId, version } = definition;
  const enrollmentId = `${journeyId}@${version}#${seq}`;
  const out: JourneyEventDoc[] = [];
  let at = enteredAt.getTime();
  const record = (type: JourneyEventDoc['type'], fields: Partial<JourneyEventDoc>): void => {
    out.push({ _id: `${customerId}:${enrollmentId}:${out.length}:${type}`, customerId, journeyId, version, enrollmentId, type, at: new Date(at), ...fields });
  };
  record('entered', { stepId: definition.entry });
  // As the workflow keeps a conversion window (workflows/journeys/windows.ts): the goal reached
  // within the goal's `within` of entering, inside the journey or after leaving it, is recorded once.
  const goal = definition.goal!;
  const until = enteredAt.getTime() + toMs(goal.within ?? holdoutGoalWindow);
  const convertedOnGoal = (variant?: string): void => { if (at <= until) record('converted', variant === undefined ? {} : { variant }); };
  const convertedAfter = (variant?: string): void => {
    const reached = events.filter((e) => e.name === goal.event && allHold(goal.where, e.properties) && e.timestamp.getTime() >= at && e.timestamp.getTime() <= until)
      .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime())[0];
    if (reached) { at = reached.timestamp.getTime(); record('converted', variant === undefined ? {} : { variant }); }
  };
  if (journeyId === 'welcome') {
    at += r.int(0, 120) * M;
    // A few reach the goal before the split assigns them a variant.
    if (r.chance(0.03)) { record('exited', { reason: 'goal' }); convertedOnGoal(); return out; }
    record('step', { stepId: 'split' });
  }
  // The split is sticky per customer and journey, as in workflows/journeys/steps.ts.
  const split = definition.steps.split as Extract<JourneyDefinition['steps'][string], { type: 'split' }>;
  const roll = random(hashOf(`${customerId}:${journeyId}`)).int(0, 99);
  let edge = split.holdout ?? 0;
  if (roll < edge) {
    record('exited', { variant: 'holdout', reason: 'holdout' });
    // As the workflow watches a held-out customer: the first goal event within the window from entering.
    convertedAfter('holdout');
    return out;
  }
  const variant = split.variants.find((v) => roll < (edge += v.weight)) ?? split.variants[split.variants.length - 1]!;
  const path = journeyId === 'welcome' ? [variant.next, 'wait', 'done'] : [variant.next, 'wait', 'reminder', 'done'];
  const goalAt = r.chance(goalRate[variant.name]!) ? r.int(0, path.length - 1) : -1;
  for (const [k, stepId] of path.entries()) {
    at += r.int(1, 4 * 1440) * M;
    if (k === goalAt) { record('exited', { variant: variant.name, reason: 'goal' }); convertedOnGoal(variant.name); return out; }
    if (r.chance(0.03)) { record('exited', { variant: variant.name, reason: 'exit_criteria' }); convertedAfter(variant.name); return out; }
    // Some are still inside when the data ends.
    if (r.chance(0.04)) return out;
    record(stepId === 'done' ? 'exited' : 'step', stepId === 'done' ? { variant: variant.name, reason: 'completed' } : { stepId, variant: variant.name });
  }
  // Left at the end of the steps: the window may still be open.
  convertedAfter(variant.name);
  return out;
}

function hashOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193); }
  return h >>> 0;
}

/** The journeys as published, with their versions, so reports read each version's goal. */
export function journeyDocs(options: SeedOptions): { journeys: JourneyDoc[]; versions: JourneyVersionDoc[] } {
  const at = { ...defaults, ...options }.start;
  const versions = seededJourneys.map((definition) => ({ _id: `${definition.id}@${definition.version}`, journeyId: definition.id, version: definition.version, definition, publishedAt: at }));
  const latest = new Map(seededJourneys.map((d) => [d.id, d]));
  const journeys = [...latest.values()].map(({ id, version, ...draft }) => ({
    _id: id, name: draft.name, status: 'active' as const, draft, latestVersion: version, onPause: draft.onPause, createdAt: at, updatedAt: at, publishedAt: at,
  }));
  return { journeys, versions };
}

/** Every customer's data in order; the event counts add up to `options.events` exactly. */
export function* generate(options: SeedOptions): Generator<CustomerData> {
  const { customers, events } = options;
  for (let i = 0; i < customers; i++) {
    yield customerData(i, Math.floor(((i + 1) * events) / customers) - Math.floor((i * events) / customers), options);
  }
}

/** All of it in memory: for small data sets. */
export function generateAll(options: SeedOptions): Omit<CustomerData, 'customer'> & { customers: CustomerDoc[] } {
  const all = { customers: [] as CustomerDoc[], events: [] as EventDoc[], messages: [] as MessageDoc[], conversions: [] as ConversionDoc[], stageChanges: [] as StageChangeDoc[], journeyEvents: [] as JourneyEventDoc[] };
  for (const d of generate(options)) {
    all.customers.push(d.customer);
    all.events.push(...d.events);
    all.messages.push(...d.messages);
    all.conversions.push(...d.conversions);
    all.stageChanges.push(...d.stageChanges);
    all.journeyEvents.push(...d.journeyEvents);
  }
  return all;
}

type SeededModels = Pick<Models, 'customers' | 'events' | 'messages' | 'conversions' | 'stageChanges' | 'journeyEvents' | 'journeys' | 'journeyVersions' | 'reportDays'>;

/** Collects one collection's documents and inserts them a batch at a time. */
function sink<T extends Document>(into: Collection<T>, of: (d: CustomerData) => T[], batchSize: number) {
  let pending: T[] = [];
  let count = 0;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const docs = pending;
    pending = [];
    count += docs.length;
    await into.insertMany(docs as OptionalUnlessRequiredId<T>[], { ordered: false });
  };
  return {
    async add(d: CustomerData): Promise<void> {
      pending.push(...of(d));
      if (pending.length >= batchSize) await flush();
    },
    finish: async (): Promise<number> => { await flush(); return count; },
  };
}

/** Inserts the data set in unordered batches of `batchSize` documents per collection; answers the counts. */
export async function seedReports(models: SeededModels, options: SeedOptions, batchSize = 10_000): Promise<Record<string, number>> {
  const { journeys, versions } = journeyDocs(options);
  await models.journeys.insertMany(journeys);
  await models.journeyVersions.insertMany(versions);
  const sinks = {
    customers: sink(models.customers, (d) => [d.customer], batchSize),
    events: sink(models.events, (d) => d.events, batchSize),
    messages: sink(models.messages, (d) => d.messages, batchSize),
    conversions: sink(models.conversions, (d) => d.conversions, batchSize),
    stageChanges: sink(models.stageChanges, (d) => d.stageChanges, batchSize),
    journeyEvents: sink(models.journeyEvents, (d) => d.journeyEvents, batchSize),
  };
  for (const d of generate(options)) for (const s of Object.values(sinks)) await s.add(d);
  const counts: Record<string, number> = {};
  for (const [name, s] of Object.entries(sinks)) counts[name] = await s.finish();
  // Written past the repositories: figures stored before are out of date.
  await dailyFigures(models.reportDays).markAllStale();
  return counts;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { connectDatabase } = await import('../store/connection.js');
  const uri = process.env.MONGODB_URI;
  if (!uri) { console.error('MONGODB_URI is required'); process.exit(2); }
  const db = await connectDatabase(uri);
  const [customers = benchSeed.customers, events = benchSeed.events] = process.argv.slice(2).map(Number);
  const started = Date.now();
  console.log(JSON.stringify({ counts: await seedReports(db.models, { customers, events }), ms: Date.now() - started }));
  await db.close();
}
