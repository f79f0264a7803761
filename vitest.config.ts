import { defineConfig } from 'vitest/config';

// The schemathesis run fuzzes every route for a minute: it goes after the rest, alone, so that
// the fault tests (servers stopped and restarted, workers killed) do not slow the API it checks
// into 503s, nor it them into timeouts.
const fuzz = 'test/integration/schemathesis.test.ts';

export default defineConfig({
  test: {
    globalSetup: ['test/setup/servers.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: two files at a time keeps the shared servers responsive.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: [fuzz] } },
      { extends: true, test: { name: 'fuzz', include: [fuzz], sequence: { groupOrder: 1 } } },
    ],
  },
});
