import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

// `npm run test:unit`: the fast loop while editing. It leaves out the files that start Python
// servers, the grader or its sandbox, Chromium, containers or the CLI as a process; `npm test` (what
// CI runs) still runs everything. A new test file that starts any of those belongs in this list.
export const END_TO_END_TESTS = [
  '**/*.browser.test.ts',
  'fixtures/submissions/**',
  'fixtures/hostile-submissions/**',
  'fixtures/course-standins/**',
  'fixtures/transcripts/**',
  'harness/cli/**',
  'harness/grader/ci/**',
  'harness/grader/{grade-run,grade-budget,gradescope-run,gradescope-autograder,class-rows,identical-hand-ins,import-check,startup-blame}.test.ts',
  'harness/sandbox/{sandbox,sandbox-hardening}.test.ts',
  'harness/process/port-owner.test.ts',
  'harness/reporters/html.test.ts',
  'harness/reports-server/**',
  'harness/runner/{run-suite,submissions,server-evidence}.test.ts',
  'harness/targets/{container-target,spawned-target,reference-target}.test.ts',
  'harness/transcript/{cli,course-client-e2e,proxy-flood}.test.ts',
  'reference/client/cli/spawned-cli.test.ts',
  'reference/client/instanet-client.test.ts',
  'reference/server/{python-client,crash-consistency}.test.ts',
  'spec/codec/python-json.test.ts',
];

export default mergeConfig(base, defineConfig({ test: { exclude: ['**/node_modules/**', ...END_TO_END_TESTS] } }));
