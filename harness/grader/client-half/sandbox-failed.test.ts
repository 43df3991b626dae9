import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientDriverInside } from '../../sandbox/sandbox-layout.ts';
import { sandboxCommand, type PythonRuntime, type SandboxPlan } from '../../sandbox/sandbox.ts';
import { bwrapTestSetup } from '../../testing/bwrap-plan.ts';
import { CLIENT_DRIVER_DIR, STUDENT_RUNNER, runClientHalf } from './client-half.ts';
import { loadRubric } from '../rubric/loader.ts';
import { prepareWorkspace, rubricUsers } from '../submissions/workspace.ts';

// The client half's runner is started by the Python judge, not by the grader: when its sandbox
// cannot start (bwrap's own error, before the launcher ran), the judge sees no byte on the
// launcher's --started-fd and says so, and the half is the kit's failure (kitError: the grade's
// kit-error, "re-grade it"), not an import error of the student's (issue 22).

const CORRECT = fileURLToPath(new URL('../../../fixtures/submissions/correct', import.meta.url));
const LIMITS = { cpuSeconds: 30, memoryMiB: 1024, processes: 64, fileSizeMiB: 16 };
let tmp: string;
let python: PythonRuntime;
let plan: SandboxPlan | undefined;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'client-sandbox-failed-'));
  ({ python, plan } = await bwrapTestSetup());
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function clientHalf(broken: boolean) {
  const { rubric } = await loadRubric(undefined);
  const workspace = path.join(tmp, broken ? 'broken' : 'working');
  await prepareWorkspace(CORRECT, workspace, rubric);
  return runClientHalf({
    workspace,
    python: python.executable,
    users: rubricUsers(rubric),
    timeoutMs: 120_000,
    checkTimeoutSeconds: 10,
    outputLimitBytes: 64 * 1024,
    diskLimitBytes: 64 * 1024 * 1024,
    runnerPathInside: path.posix.join(clientDriverInside(), path.basename(STUDENT_RUNNER)),
    scratch: tmp,
    checks: ['client.2.1'],
    wrap: (argv, ws, connect) =>
      sandboxCommand(argv, ws, {
        plan: plan as SandboxPlan,
        limits: LIMITS,
        python,
        hide: [tmp],
        // A bind whose source does not exist: bwrap fails before the launcher runs.
        readOnly: [[CLIENT_DRIVER_DIR, clientDriverInside()], ...(broken ? [['/nonexistent-instanet-source', '/opt/instanet-missing'] as const] : [])],
        connect,
      }),
  });
}

describe('the client half when its sandbox cannot start', () => {
  it('is the kit\'s failure with bwrap\'s own line, no check run, not an import error', async (ctx) => {
    if (!plan) return ctx.skip();
    const result = await clientHalf(true);
    expect(result.kitError).toMatch(/^the sandbox could not start the student runner \(see its output\): bwrap: .*nonexistent-instanet-source/);
    expect(result.importError).toBeUndefined();
    expect(result.outcomes).toEqual([]);
  }, 180_000);

  it('and the same half in a working sandbox runs its check', async (ctx) => {
    if (!plan) return ctx.skip();
    const result = await clientHalf(false);
    expect(result.kitError).toBeUndefined();
    expect(result.outcomes.map((o) => [o.id, o.verdict])).toEqual([['client.2.1', 'PASSED']]);
  }, 180_000);
});
