// The SDK runs workflows in a worker thread that it starts with this process's Node options, tsx's
// loader among them, and tsx turns Node's source maps on in every thread it loads in. With source
// maps on, Node scans every string of code compiled at run time for a source map comment, and the
// SDK's promise hook compiles two such strings (`Function(...)`) for every promise a workflow
// creates, in the thread that runs every customer. A herd of 3,000 acted 17 % faster
// with the thread started without tsx (BENCHMARKS.md, "Source maps in the workflow thread").
// The thread needs none of it: it loads the SDK's JavaScript, and the SDK maps workflows' stack
// traces itself, from the bundle's source map.
import { createRequire } from 'node:module';
import workerThreads, { type WorkerOptions } from 'node:worker_threads';

/** The file the SDK starts its workflow threads with. */
export const workflowThreadFile = createRequire(import.meta.url).resolve('@temporalio/worker/lib/workflow/workflow-worker-thread');

const plain = Symbol.for('closedloop.plainWorkflowThreads');

/**
 * From now on, threads started on `files` (the SDK's workflow thread unless told) get no Node
 * options of this process (`execArgv: []`) unless their starter passes some. Idempotent.
 */
export function startWorkflowThreadsPlain(files: string[] = [workflowThreadFile]): void {
  const Base = workerThreads.Worker as typeof workerThreads.Worker & { [plain]?: Set<string> };
  if (Base[plain]) {
    for (const f of files) Base[plain].add(f);
    return;
  }
  const plainFiles = new Set(files);
  class PlainThreadWorker extends Base {
    static override [plain] = plainFiles;
    constructor(filename: string | URL, options?: WorkerOptions) {
      super(filename, typeof filename === 'string' && plainFiles.has(filename) && options?.execArgv === undefined ? { ...options, execArgv: [] } : options);
    }
  }
  workerThreads.Worker = PlainThreadWorker;
}
