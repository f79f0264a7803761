// Stored histories of representative customers (and of every other workflow type) must replay on today's workflow code: a change
// that is not behind patched() (or a new workflow type) fails here.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { workflowsPath } from '../../worker/worker.js';
import { quietRuntime } from '../setup/stack.js';

const dir = path.join(import.meta.dirname, '..', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

describe('replay of stored customer histories', () => {
  it('has representative histories to replay', () => {
    expect(files).toEqual(expect.arrayContaining(['campaign-broadcast-v1.json', 'customer-campaign-v3.json', 'customer-journey-v2.json', 'customer-ladder-v1.json', 'customer-merge-survivor-v1.json', 'customer-merged-away-v1.json', 'customer-continued-as-new-v1.json', 'customer-holdout-v4.json', 'report-days-v1.json',
      // v5: lean runs (catalog matched outside the workflow, profile writes as local activities), and one handed a pre-lean state.
      'customer-lean-journey-v5.json', 'customer-lean-ladder-v5.json', 'customer-lean-merge-survivor-v5.json', 'customer-lean-merged-away-v5.json',
      'customer-lean-continued-as-new-v5.json', 'customer-lean-campaign-v5.json', 'customer-lean-holdout-v5.json', 'customer-lean-from-legacy-v5.json',
      // v6: a customer who left a journey and bought within its conversion window (patched('conversion-windows')).
      'customer-conversion-window-v6.json', 'customer-groups-send-queues-v7.json',
      // v8: a customer moved between a journey's versions, the move written to the profile (patched('migrations-saved')).
      'customer-migrated-v8.json',
      // The other workflow types, v1 each.
      'transactional-send-v1.json', 'import-v1.json', 'backtest-v1.json', 'event-lane-v1.json']));
  });

  it('replays every stored history without a nondeterminism error', async () => {
    quietRuntime();
    const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
    const histories = files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as unknown }));
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle, replayName: 'stored-histories' }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  });
});
