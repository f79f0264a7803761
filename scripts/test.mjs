// The test command: vitest over every suite, then one plain closing line CI can read.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const results = '.cache/test-results.json';
rmSync(results, { force: true });

// Types and lint first: a type error or a Node import in workflows/ fails the run.
for (const [name, cmd, args] of [['typecheck', 'npx', ['tsc', '--noEmit']], ['lint', 'npx', ['eslint', '.']]]) {
  const check = spawnSync(cmd, args, { stdio: 'inherit' });
  if (check.status !== 0) {
    console.error(`${name} failed`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}
const run = spawnSync('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...process.argv.slice(2)], { stdio: 'inherit' });
let passed = 0;
let failed = 0;
try {
  const report = JSON.parse(readFileSync(results, 'utf8'));
  passed = report.numPassedTests;
  failed = report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
  if (!report.success && failed === 0) failed = 1; // a suite failed to load: never report green
} catch {
  failed = Math.max(failed, 1);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(run.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
