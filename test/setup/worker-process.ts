// Workers as separate OS processes (`worker/main.ts`, as in production), for the tests that kill
// or stop them: started with a stack's environment, ready once they print that they poll.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rootDir } from '../../scripts/servers.js';

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** SIGKILL: no shutdown hook, no drain; the kernel closes its sockets. */
  kill(): Promise<void>;
  /** SIGTERM: the worker drains (stops taking tasks, lets those in flight finish) and exits; its exit code. */
  terminate(withinMs: number): Promise<number | null>;
}

const children = new Set<ChildProcess>();
const alive = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;
// Should the test process end without its afterAll, the workers go with it.
process.once('exit', () => { for (const child of children) if (alive(child)) child.kill('SIGKILL'); });

/** Resolves with the promise, or rejects naming what was awaited after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** `node --import tsx worker/main.ts` with `env` over this process's environment. */
export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: rootDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => { output += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { output += c.toString(); });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const deadline = Date.now() + 90_000;
  while (!/^worker polling /m.test(output)) {
    if (!alive(child)) throw new Error(`worker process exited (${child.exitCode ?? child.signalCode}) before polling:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker process not polling after 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    output: () => output,
    async kill() {
      child.kill('SIGKILL');
      const [code, signal] = await within(exited, 10_000, 'worker exit after SIGKILL');
      if (signal !== 'SIGKILL') throw new Error(`worker ended with ${code ?? signal}, not by SIGKILL:\n${output}`);
    },
    async terminate(withinMs) {
      child.kill('SIGTERM');
      const [code] = await within(exited, withinMs, 'worker exit after SIGTERM');
      return code;
    },
  };
}

/** Ends every worker process still running (afterAll). */
export async function killWorkerProcesses(): Promise<void> {
  await Promise.allSettled([...children].filter(alive).map(async (child) => {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await within(exited, 10_000, `exit of worker process ${child.pid}`);
  }));
}
