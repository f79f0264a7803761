// The console's page timings (`npm run bench:console`): each page's time to interactive as the
// browser test (test/integration/console.test.ts) last measured it, from the click to its data
// drawn, with when that was and the machine's load then and now. It starts no browser: the test
// writes .cache/console-timings.json at its end. `-- --run` runs that test file first (about two
// minutes: the whole stack and Chromium), then reports what it measured. `-- --reports-seed`
// times the pages on the reports seed instead (100,000 customers; scripts/bench/console-seed.ts).
// Prints one JSON summary on stdout; the test's own output goes to stderr.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const consoleTimingsFile = path.join(rootDir, '.cache', 'console-timings.json');

/** What the browser test writes. */
export interface ConsoleTimings { measuredAt: string; loadAverage: number[]; cpus: number; targetMs: number; failOverMs: number; pages: Record<string, number> }

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

function main(): void {
  if (process.argv.includes('--run')) {
    const run = spawnSync('npx', ['vitest', 'run', 'test/integration/console.test.ts'], { cwd: rootDir, stdio: ['ignore', process.stderr, process.stderr] });
    if (run.status !== 0) throw new Error(`the console test failed (exit ${run.status ?? run.signal}): its timings were not written again`);
  }
  if (!existsSync(consoleTimingsFile)) {
    throw new Error(`no ${path.relative(rootDir, consoleTimingsFile)}: run 'npx vitest run test/integration/console.test.ts' (or 'npm run bench:console -- --run') first`);
  }
  const measured = JSON.parse(readFileSync(consoleTimingsFile, 'utf8')) as ConsoleTimings;
  const pages = Object.entries(measured.pages);
  const ms = pages.map(([, v]) => v).sort((a, b) => a - b);
  console.log(JSON.stringify({
    console: {
      measuredAt: measured.measuredAt,
      ageMinutes: Math.round((Date.now() - Date.parse(measured.measuredAt)) / 60_000),
      measuredLoadAverage: measured.loadAverage.map((n) => round(n)),
      measuredCpus: measured.cpus,
      targetMs: measured.targetMs,
      pages: measured.pages,
      medianMs: ms[Math.floor(ms.length / 2)] ?? null,
      slowest: pages.reduce<{ page: string; ms: number } | null>((a, [page, ms]) => (a === null || ms > a.ms ? { page, ms } : a), null),
      overTarget: pages.filter(([, v]) => v > measured.targetMs).map(([k]) => k),
    },
    loadAverage: loadavg().map((n) => round(n)),
    cpus: cpus().length,
  }, null, 2));
}

/** `--reports-seed`: the pages timed on 100,000 customers and 1,000,000 events (scripts/bench/console-seed.ts). */
async function onReportsSeed(): Promise<void> {
  const { consoleOnReportsSeed } = await import('./bench/console-seed.js');
  const result = await consoleOnReportsSeed();
  console.log(JSON.stringify({ consoleOnReportsSeed: result, cpus: cpus().length }, null, 2));
  if (result.problems.length > 0) process.exitCode = 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--reports-seed')) await onReportsSeed(); else main();
}
