// Journey backtests and previews: what a journey (its draft, or a version) would have done to
// customers over their recorded events. The run is a workflow (workflows/backtest.ts) whose
// activities call the same pure engine the customer workflow runs (activities/backtest/).
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { JourneyRepository } from '../../store/journeys.js';
import type { BacktestPlan, BacktestRepository } from '../../store/backtests.js';
import type { SegmentRepository } from '../../store/segments.js';
import type { Models } from '../../store/models.js';
import { segmentFilter } from '../../store/segment-query.js';
import { customerEvents } from '../../activities/backtest/events.js';
import { simulateCustomer } from '../../activities/backtest/simulate.js';
import { pathView } from '../../activities/backtest/result.js';
import { startWorkflow } from '../../activities/temporal.js';
import type { LifecycleRules } from '../../workflows/lifecycle/rules.js';
import type { MessagingPolicy } from '../../workflows/messaging/arbiter.js';
import type { JourneyCatalog, JourneyDefinition } from '../../workflows/journeys/types.js';
import { backtestPageSize, backtestWorkflowId } from '../../workflows/backtest-contract.js';
import { CustomerId } from '../customers/schema.js';
import { SegmentId } from '../segments/schema.js';
import { ApiError, invalid } from '../errors.js';
import { templateChecks } from '../journeys/templates.js';
import { validateJourney } from '../journeys/validate.js';
import type { TemplateRepository } from '../../store/templates.js';

const D = 86_400_000;
export const maxBacktestDays = 366;
export const maxSample = 1_000_000;

export const BacktestRequest = z.strictObject({
  version: z.number().int().min(1).optional().meta({ description: 'a published version; default: the draft' }),
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
  sample: z.union([
    z.strictObject({ size: z.number().int().min(1).max(maxSample) }),
    z.strictObject({ segmentId: SegmentId }),
  ]).optional().meta({ description: 'customers spread evenly over all (by id), or a segment\'s members at `from`; default: every customer' }),
  withLiveJourneys: z.boolean().default(false).meta({ description: 'simulate the published journeys beside it, so that caps collide as they would have' }),
  engagementRate: z.number().min(0).max(1).default(0).meta({ description: 'share of simulated sends taken as opened (unknown for messages never sent); default none' }),
}).superRefine((r, ctx) => {
  const from = Date.parse(r.from);
  const to = Date.parse(r.to);
  if (from >= to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after `from`' });
  else if (to - from > maxBacktestDays * D) ctx.addIssue({ code: 'custom', path: ['to'], message: `a backtest covers at most ${maxBacktestDays} days` });
}).meta({ id: 'BacktestRequest', examples: [{ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z', sample: { size: 10000 }, withLiveJourneys: true }] });
export type BacktestRequest = z.output<typeof BacktestRequest>;

const Counts = z.record(z.string(), z.number());
const PathStep = z.object({
  at: z.string().meta({ description: 'simulated time (ISO 8601)' }), journeyId: z.string(),
  what: z.enum(['entered', 'step', 'sent', 'suppressed', 'deferred', 'exited', 'converted']),
  stepId: z.string().optional(), detail: z.string().optional().meta({ description: 'the variant a split chose, the suppression or exit reason, how long quiet hours held a send' }),
  template: z.string().optional(), channel: z.string().optional(),
}).meta({ id: 'BacktestPathStep' });
export const BacktestResult = z.object({
  customers: z.object({ sampled: z.number(), entered: z.number() }),
  funnel: z.array(z.object({ stepId: z.string(), reached: z.number() })).meta({ description: 'enrollments that reached each step' }),
  sends: z.object({ total: z.number(), byChannel: Counts, byTemplate: Counts, byDay: Counts }),
  suppressions: Counts.meta({ description: 'by reason: `no_consent`, `frequency_cap`, `quiet_hours_expired`, `no_reaction`, …' }),
  deferrals: z.object({ count: z.number(), totalMinutes: z.number(), maxMinutes: z.number() }).meta({ description: 'sends quiet hours held back, and for how long' }),
  exits: Counts.meta({ description: 'by reason: `completed`, `goal`, `exit_criteria`, `holdout`, `no_reaction`' }),
  variants: z.array(z.object({
    name: z.string(), entered: z.number(), converted: z.number(), revenue: z.number(), conversionRate: z.number(),
    uplift: z.number().optional().meta({ description: 'relative to the holdout\'s conversion rate' }),
  })).meta({ description: 'per A/B/n arm and `holdout` (`all` without a split); conversions are the goal, from recorded events after entry' }),
  conversions: z.object({ count: z.number(), revenue: z.number() }),
  engagement: z.object({ assumedRate: z.number(), note: z.string() }),
  paths: z.array(z.object({ customerId: z.string(), steps: z.array(PathStep) })).meta({ description: 'the first 20 customers who entered' }),
}).meta({ id: 'BacktestResult' });
export const Backtest = z.object({
  id: z.string(), journeyId: z.string(), status: z.enum(['running', 'completed', 'cancelled', 'failed']),
  request: z.object({
    journeyId: z.string(), version: z.union([z.number(), z.literal('draft')]), from: z.string(), to: z.string(),
    sample: z.union([z.object({ size: z.number() }), z.object({ segmentId: z.string() })]).optional(), withLiveJourneys: z.boolean(), engagementRate: z.number(),
  }),
  progress: z.object({ simulated: z.number(), total: z.number().optional() }),
  result: BacktestResult.optional().meta({ description: 'when completed (and what was simulated, when cancelled)' }),
  error: z.string().optional(),
}).meta({ id: 'Backtest' });

export const PreviewRequest = z.strictObject({
  customerId: CustomerId,
  enteredAt: z.iso.datetime({ offset: true }).meta({ description: 'when the customer enters (the path runs over their recorded events from then, up to 90 days)' }),
  version: z.number().int().min(1).optional().meta({ description: 'default: the draft' }),
  withLiveJourneys: z.boolean().default(false),
  engagementRate: z.number().min(0).max(1).default(0),
}).meta({ id: 'PreviewRequest' });
export const Preview = z.object({
  customerId: z.string(), journeyId: z.string(), from: z.string(), to: z.string(),
  steps: z.array(PathStep), sends: z.number(), suppressed: z.number(), converted: z.boolean(),
}).meta({ id: 'JourneyPreview' });

export interface BacktestDeps {
  journeys: JourneyRepository;
  backtests: BacktestRepository;
  segments: Pick<SegmentRepository, 'find'>;
  templates: Pick<TemplateRepository, 'find'>;
  models: Models;
  temporal: Client;
  taskQueue: string;
  rules: LifecycleRules;
  policy: MessagingPolicy;
}

export function backtestService(deps: BacktestDeps) {
  /** The definition asked for: a published version, or the draft (which must be valid). */
  async function definitionOf(journeyId: string, version: number | undefined): Promise<JourneyDefinition> {
    const journey = await deps.journeys.get(journeyId).catch(() => undefined);
    if (!journey) throw new ApiError(404, 'not_found', `no journey "${journeyId}"`);
    if (version !== undefined) {
      const found = await deps.journeys.getVersion(journeyId, version);
      if (!found) throw invalid([{ field: 'version', message: `journey "${journeyId}" has no version ${version}` }]);
      return found.definition;
    }
    const problems = await validateJourney(journey.draft, templateChecks(deps.templates));
    if (problems.length > 0) throw new ApiError(400, 'invalid_journey', `the draft has ${problems.length} problem${problems.length === 1 ? '' : 's'}`, problems.map((p) => ({ ...p, field: `draft.${p.field}` })));
    return { id: journeyId, version: 0, ...journey.draft } as JourneyDefinition;
  }

  /** The journey alone, or beside the published ones (its own published version replaced by the one tested). */
  async function catalogFor(definition: JourneyDefinition, withLive: boolean): Promise<JourneyCatalog> {
    if (!withLive) return { revision: 0, journeys: [{ definition, status: 'active' }] };
    const live = await deps.journeys.catalog();
    return { ...live, journeys: [...live.journeys.filter((j) => j.definition.id !== definition.id && j.status === 'active'), { definition, status: 'active' }] };
  }

  return {
    async start(journeyId: string, request: BacktestRequest) {
      const definition = await definitionOf(journeyId, request.version);
      let segmentRule;
      if (request.sample && 'segmentId' in request.sample) {
        const segment = await deps.segments.find(request.sample.segmentId);
        if (!segment) throw invalid([{ field: 'sample.segmentId', message: `no segment "${request.sample.segmentId}"` }]);
        segmentRule = segment.rule;
      }
      const filter = { mergedInto: { $exists: false }, ...(segmentRule && await segmentFilter(deps.models.events, segmentRule, Date.parse(request.from))) };
      const total = await deps.models.customers.countDocuments(filter as never);
      const size = request.sample && 'size' in request.sample ? request.sample.size : undefined;
      const plan: BacktestPlan = {
        definition, catalog: await catalogFor(definition, request.withLiveJourneys), total,
        every: size !== undefined ? Math.max(1, Math.floor(total / size)) : 1, ...(size !== undefined && { size }), ...(segmentRule && { segmentRule }),
      };
      const id = `bt${randomUUID().replaceAll('-', '').slice(0, 16)}`;
      await deps.backtests.create(id, {
        journeyId, version: request.version ?? 'draft', from: new Date(request.from).toISOString(), to: new Date(request.to).toISOString(),
        ...(request.sample && { sample: request.sample }), withLiveJourneys: request.withLiveJourneys, engagementRate: request.engagementRate,
      }, plan);
      try {
        await startWorkflow(deps.temporal, 'backtestWorkflow', { workflowId: backtestWorkflowId(id), taskQueue: deps.taskQueue, args: [{ backtestId: id, pageSize: backtestPageSize }] });
      } catch (err) {
        await deps.backtests.finish(id, 'failed', { error: 'Temporal refused to start the run' });
        throw new ApiError(503, 'temporal_unavailable', `the backtest could not be started, retry later (${(err as Error).name})`);
      }
      return this.get(journeyId, id);
    },

    async get(journeyId: string, backtestId: string) {
      const doc = await deps.backtests.find(backtestId);
      if (!doc || doc.request.journeyId !== journeyId) throw new ApiError(404, 'not_found', `no backtest "${backtestId}" of journey "${journeyId}"`);
      return {
        id: doc._id, journeyId, status: doc.status, request: doc.request,
        progress: { simulated: doc.status === 'running' ? await deps.backtests.simulated(backtestId) : (doc.result as { customers?: { sampled: number } } | undefined)?.customers?.sampled ?? 0, ...(doc.total !== undefined && { total: doc.total }) },
        ...(doc.result !== undefined && { result: doc.result as z.input<typeof BacktestResult> }), ...(doc.error && { error: doc.error }),
      };
    },

    async cancel(journeyId: string, backtestId: string) {
      const run = await this.get(journeyId, backtestId);
      if (run.status === 'running') {
        try {
          await deps.temporal.workflow.getHandle(backtestWorkflowId(backtestId)).cancel();
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw new ApiError(503, 'temporal_unavailable', 'the backtest could not be cancelled, retry later');
        }
      }
      return run;
    },

    /** One customer's path through the journey from `enteredAt`, over their recorded events (up to 90 days). */
    async preview(journeyId: string, request: z.output<typeof PreviewRequest>) {
      const definition = await definitionOf(journeyId, request.version);
      const customer = await deps.models.customers.findOne({ _id: request.customerId }, { projection: { _id: 1 } });
      if (!customer) throw new ApiError(404, 'not_found', `no customer ${request.customerId}`);
      const from = Date.parse(request.enteredAt);
      const to = from + 90 * D;
      const events = await customerEvents(deps.models, request.customerId, new Date(to));
      const catalog = await catalogFor(definition, request.withLiveJourneys);
      const sim = simulateCustomer({
        customerId: request.customerId, events, catalog: { ...catalog, journeys: catalog.journeys.filter((j) => j.definition.id !== journeyId) },
        rules: deps.rules, policy: deps.policy, from, to, engagementRate: request.engagementRate, forceEntry: definition,
      });
      const mine = <T extends { journeyId?: string }>(xs: T[]) => xs.filter((x) => x.journeyId === journeyId);
      return {
        customerId: request.customerId, journeyId, from: new Date(from).toISOString(), to: new Date(to).toISOString(),
        steps: pathView(mine(sim.path)), sends: mine(sim.sent).length, suppressed: mine(sim.suppressed).length, converted: mine(sim.conversions).length > 0,
      };
    },
  };
}

export type BacktestService = ReturnType<typeof backtestService>;
