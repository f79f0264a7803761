// The SDK's workflow thread is started without tsx, so without Node's source maps (worker/workflow-threads.ts).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { workflowThreadFile } from '../../worker/workflow-threads.js';

const rootDir = path.join(import.meta.dirname, '..', '..');

describe('workflow threads', () => {
  it('starts threads on the files made plain with no Node options, and the others as before', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', path.join('test', 'fixtures', 'plain-threads.ts')], { cwd: rootDir, encoding: 'utf8' });
    const { main, plain, other } = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(main).toBe(true); // tsx turned source maps on in the process…
    expect(other).toMatchObject({ sourceMaps: true, execArgv: expect.arrayContaining(['tsx']) }); // …and in a thread that inherits its options,
    expect(plain).toEqual({ sourceMaps: false, execArgv: [] }); // but not in one started plain.
  });

  it('patches the file the SDK starts its workflow threads with, as the SDK starts them', () => {
    // An SDK upgrade that renames the file or passes options of its own would leave the threads as before: this says so.
    const threadedVm = readFileSync(path.join(path.dirname(workflowThreadFile), 'threaded-vm.js'), 'utf8');
    expect(threadedVm).toContain("new node_worker_threads_1.Worker(require.resolve('./workflow-worker-thread'))");
    expect(path.basename(workflowThreadFile)).toBe('workflow-worker-thread.js');
  });
});
