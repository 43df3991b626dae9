import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['spec/**/*.test.ts', 'reference/**/*.test.ts', 'harness/**/*.test.ts', 'fixtures/**/*.test.ts'],
    // What students install (the tarball, the executable) is built and tested by `npm run test:package`.
    exclude: ['**/node_modules/**', '**/*.dist.test.ts'],
    // Real sockets, real Python and real Chromium on a busy 2-core machine: generous per-test
    // ceilings, while every wait inside the code under test carries its own, tighter timeout.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './harness/testing/tally-reporter.ts'],
  },
});
