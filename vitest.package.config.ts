import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

// `npm run test:package`: what a student gets, built as they get it (npm pack, an install into a
// fresh prefix, the single executable) and run from outside the working tree. Minutes, not seconds,
// so it runs on its own, after `npm test` in .ci/run.
export default defineConfig({
  test: {
    ...base.test,
    include: ['harness/build/*.dist.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 300_000,
    hookTimeout: 600_000,
    maxWorkers: 1,
  },
});
