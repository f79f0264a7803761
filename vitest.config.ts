import { defineConfig } from 'vitest/config';

// The schemathesis run fuzzes every route for a minute: it goes after the rest, alone, so that
// the fault tests (servers stopped and restarted, workers killed) do not slow the API it checks
// into 503s, nor it them into timeouts.
const fuzz = 'test/integration/schemathesis.test.ts';
// The SMTP send faults count the sends a SIGKILL catches between their final dot and the recorded
// answer: a window of milliseconds that CPU contention stretches (a worker waiting its turn for
// a core). It goes after the suite, alone, so that it measures the design rather than the load
// of whatever else runs beside it.
const sendFaults = 'test/integration/send-faults.test.ts';

export default defineConfig({
  test: {
    globalSetup: ['test/setup/servers.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: two files at a time keeps the shared servers responsive.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: [fuzz, sendFaults] } },
      { extends: true, test: { name: 'send-faults', include: [sendFaults], sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'fuzz', include: [fuzz], sequence: { groupOrder: 2 } } },
    ],
  },
});
