import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Most test files wait on child processes, loopback servers and fsync rather than on the CPU: two
    // workers on a 2-core machine (vitest's default there is one) run the suite in well under 10 minutes.
    maxWorkers: 2,
  },
});
