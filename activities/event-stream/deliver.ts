// Delivery of the outbound event stream: one activity run delivers one lane of one endpoint, in
// order, for up to a minute. An event that fails stops the lane and the activity fails, so that
// Temporal retries it with exponential backoff (the lane's workflow sets the policy); after
// `maxAttempts` failed attempts or `maxAgeMs` since it was queued, or at once for a refusal (a
// 4xx other than 408/409/425/429), it becomes a dead letter and the lane goes on.
import { asyncLocalStorage as activityContext } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Webhook } from 'standardwebhooks';
import type { Config } from '../../config.js';
import { eventEndpointRepository, type EndpointDoc } from '../../store/event-endpoints.js';
import { outboundEventRepository, type OutboundEventDoc } from '../../store/outbound-events.js';
import type { Models } from '../../store/models.js';

export interface LaneInput { endpointId: string; lane: number }
export interface LaneResult { delivered: number; dead: number; stopped?: 'deleted' | 'disabled' }
/** What the lane's workflow needs to call the delivery activity: the retry policy and timeouts. */
export interface LaneSettings { retry: { initialMs: number; maxMs: number; coefficient: number }; startToCloseMs: number; heartbeatMs: number }

type Outcome = { ok: true } | { ok: false; permanent: boolean; reason: string };

/**
 * A run ends after a minute (the workflow calls again), or once its lane has been idle 10 s: an
 * idle lane costs its workflow about one activity every 10 s, and a worker told to stop waits at
 * most that long for it.
 */
const defaultRun = { budgetMs: 60_000, idleMs: 10_000 };
const pageSize = 100;
const retryable4xx = new Set([408, 409, 425, 429]);

export interface EventStreamActivityDeps {
  models: Models;
  config: Pick<Config, 'eventStream'>;
  fetch?: typeof globalThis.fetch;
  /** Tests end idle runs at once. */
  run?: Partial<typeof defaultRun>;
}

/** `webhook-signature`: one `v1,<base64>` per secret signing (two for a day after a rotation). */
export function signatureOf(endpoint: Pick<EndpointDoc, 'secret' | 'previousSecret' | 'previousSecretUntil'>, eventId: string, at: Date, body: string): string {
  const secrets = [endpoint.secret, ...(endpoint.previousSecret && endpoint.previousSecretUntil && endpoint.previousSecretUntil > at ? [endpoint.previousSecret] : [])];
  return secrets.map((s) => new Webhook(s).sign(eventId, at, body)).join(' ');
}

export function createEventStreamActivities({ models, config, fetch = globalThis.fetch, run }: EventStreamActivityDeps) {
  const settings = config.eventStream;
  const { budgetMs: runBudgetMs, idleMs } = { ...defaultRun, ...run };
  const endpoints = eventEndpointRepository(models);
  const outbound = outboundEventRepository(models);

  async function post(endpoint: EndpointDoc, row: OutboundEventDoc): Promise<Outcome> {
    let url: URL;
    try { url = new URL(endpoint.url); } catch { return { ok: false, permanent: true, reason: 'invalid_url' }; }
    if (settings.allowedHosts.length > 0 && !settings.allowedHosts.includes(url.hostname)) return { ok: false, permanent: true, reason: `host_not_allowed: ${url.hostname}` };
    const body = JSON.stringify(row.payload);
    const at = new Date();
    try {
      const res = await fetch(url, {
        method: 'POST', body, redirect: 'manual', signal: AbortSignal.timeout(settings.timeoutMs),
        headers: {
          'Content-Type': 'application/json', 'User-Agent': 'Closedloop-Webhooks/1',
          'webhook-id': row.eventId, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signatureOf(endpoint, row.eventId, at, body),
        },
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { ok: true };
      return { ok: false, permanent: res.status >= 400 && res.status < 500 && !retryable4xx.has(res.status), reason: `http_${res.status}` };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      return { ok: false, permanent: false, reason: e.name === 'TimeoutError' ? `timeout after ${settings.timeoutMs} ms` : `unreachable: ${e.cause?.code ?? e.message}` };
    }
  }

  const pause = (ms: number): Promise<void> => {
    const context = activityContext.getStore();
    return context ? context.sleep(ms) : new Promise((resolve) => setTimeout(resolve, ms));
  };

  return {
    async eventLaneSettings(): Promise<LaneSettings> {
      return {
        retry: { initialMs: settings.retryInitialMs, maxMs: settings.retryMaxMs, coefficient: settings.retryBackoff },
        startToCloseMs: runBudgetMs + settings.timeoutMs + 30_000,
        heartbeatMs: settings.timeoutMs + 30_000,
      };
    },

    /** Delivers the lane's pending events in order until it has been idle a while or the run's budget is spent. */
    async deliverEventLane({ endpointId, lane }: LaneInput): Promise<LaneResult> {
      const context = activityContext.getStore();
      const started = Date.now();
      let idleSince = started;
      let pruned = false;
      const result: LaneResult = { delivered: 0, dead: 0 };
      for (;;) {
        context?.heartbeat();
        // Read on every page: a change of URL, secret or subscription applies from the next event on.
        const endpoint = await endpoints.find(endpointId);
        if (!endpoint) return { ...result, stopped: 'deleted' };
        if (!endpoint.enabled) return { ...result, stopped: 'disabled' };
        const page = await outbound.pending(endpointId, lane, pageSize);
        if (page.length === 0) {
          if (!pruned) { await outbound.prune(endpointId, lane, new Date(Date.now() - settings.retentionMs)); pruned = true; }
          if (Date.now() - idleSince >= idleMs || Date.now() - started >= runBudgetMs) return result;
          await pause(settings.pollMs);
          continue;
        }
        for (const row of page) {
          context?.heartbeat();
          const outcome = await post(endpoint, row);
          if (outcome.ok) {
            await outbound.delivered(row._id);
            result.delivered += 1;
          } else {
            const attempts = row.attempts + 1;
            if (outcome.permanent || attempts >= settings.maxAttempts || Date.now() - row.createdAt.getTime() >= settings.maxAgeMs) {
              await outbound.dead(row._id, outcome.reason);
              result.dead += 1;
            } else {
              await outbound.failed(row._id, outcome.reason);
              // The lane holds here (order per customer): Temporal retries this run after its backoff.
              throw ApplicationFailure.create({
                type: 'EndpointUnavailable',
                message: `endpoint ${endpointId} lane ${lane}: ${row.type} ${row.eventId} failed (${outcome.reason}), attempt ${attempts} of ${settings.maxAttempts}`,
              });
            }
          }
          if (Date.now() - started >= runBudgetMs) return result;
        }
        idleSince = Date.now();
      }
    },
  };
}
