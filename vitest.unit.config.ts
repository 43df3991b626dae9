import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

// `npm run test:unit`: the fast loop while editing (under a minute, no python3 run at all). It leaves
// out the files that start python3 or Python servers, the grader or its sandbox, Chromium, containers
// or the CLI as a process; `npm test` (what
// CI runs) still runs everything. A new test file that starts any of those belongs in this list.
export const END_TO_END_TESTS = [
  '**/*.browser.test.ts',
  'fixtures/submissions/**',
  'fixtures/hostile-submissions/**',
  'fixtures/course-standins/**',
  'fixtures/transcripts/**',
  'harness/cli/**',
  'harness/grader/ci/**',
  'harness/grader/grade/{box-findings,grade-run,grade-budget,class-rows,identical-hand-ins,class-files}.test.ts',
  'harness/grader/gradescope/{run,autograder}.test.ts',
  'harness/grader/client-half/{ports,second-look,sandbox-failed,judge-holds}.test.ts',
  'harness/grader/server-half/{import-check,sandbox-kit-error,student-image-encoder}.test.ts',
  'harness/grader/starter/{starter-grade,starter}.test.ts',
  'harness/grader/rubric/startup-blame.test.ts',
  // sandbox-relay waits 11 s for a slow accept on purpose.
  'harness/sandbox/{sandbox,sandbox-hardening,sandbox-layout,sandbox-probe,sandbox-relay}.test.ts',
  'harness/process/{port-owner,thread-sample}.test.ts',
  'harness/sandbox/resource-box.test.ts',
  'harness/reporters/html.test.ts',
  'harness/reports-server/**',
  'harness/runner/{run-suite,submissions,server-evidence,parallel-determinism,own-time-waits}.test.ts',
  'harness/targets/{container-target,spawned-target,reference-target}.test.ts',
  'harness/transcript/{cli,course-client-e2e,proxy-flood}.test.ts',
  'reference/client/cli/spawned-cli.test.ts',
  'reference/client/instanet-client.test.ts',
  'reference/server/{python-client,crash-consistency}.test.ts',
  'spec/codec/python-json.test.ts',
  // They check the kit against python3 itself (json, sorted(), strftime, mkfifo), or drive a Python sample.
  'spec/messages/{naming,timestamps}.test.ts',
  'harness/workspace-files/{copy-filters,read-untrusted}.test.ts',
  'reference/client/cli/cli.test.ts',
  'reference/client/shell/shell.test.ts',
];

export default mergeConfig(base, defineConfig({ test: { exclude: ['**/node_modules/**', ...END_TO_END_TESTS] } }));
