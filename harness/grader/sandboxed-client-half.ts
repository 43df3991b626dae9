import path from 'node:path';
import { runClientHalf, CLIENT_DRIVER_DIR, SANDBOX_DRIVER_DIR, STUDENT_RUNNER, type ClientHalfResult } from './client-half.ts';
import type { Rubric } from './rubric-format.ts';
import { sandboxCommand, type PythonRuntime, type SandboxLimits, type SandboxPlan } from '../sandbox/sandbox.ts';
import { prepareWorkspace, rubricUsers } from './workspace.ts';

// The client half exactly as the grader runs it: a private copy of the hand-in, the judge on this
// machine, the student runner in the sandbox with its own network. `instanet grade` and
// `instanet test --client` both come through here, so a student sees the verdicts the grader gives.

export interface SandboxedClientHalfOptions {
  /** The folder holding socket_utils.py (copied; the original is never run). */
  serverDir: string;
  rubric: Rubric;
  plan: SandboxPlan;
  limits: SandboxLimits;
  python: PythonRuntime;
  /** Folders hidden inside the sandbox: the kit, the submissions folder, the output folder. */
  hide: readonly string[];
  /** A private folder of this run: the copy and the reference server's data go here. */
  scratch: string;
  timeoutMs: number;
  caseMs: number;
  isAborted?: () => boolean;
}

export async function runSandboxedClientHalf(options: SandboxedClientHalfOptions): Promise<ClientHalfResult> {
  const { rubric } = options;
  const workspace = path.join(options.scratch, 'client');
  await prepareWorkspace(options.serverDir, workspace, rubric);
  const inside = options.plan.kind === 'bwrap' ? path.join(SANDBOX_DRIVER_DIR, path.basename(STUDENT_RUNNER)) : STUDENT_RUNNER;
  return runClientHalf({
    workspace,
    python: options.python.executable,
    users: rubricUsers(rubric),
    timeoutMs: options.timeoutMs,
    checkTimeoutSeconds: Math.max(1, Math.round(options.caseMs / 1000)),
    outputLimitBytes: rubric.limits.outputKiB * 1024,
    diskLimitBytes: rubric.limits.diskMiB * 1024 * 1024,
    runnerPathInside: inside,
    scratch: options.scratch,
    // The runner gets its own network too: its only way out is the relays to the judge's proxies.
    wrap: (argv, ws, connect) =>
      sandboxCommand(argv, ws, {
        plan: options.plan,
        limits: options.limits,
        python: options.python,
        hide: options.hide,
        readOnly: [[CLIENT_DRIVER_DIR, SANDBOX_DRIVER_DIR]],
        connect,
      }),
    ...(options.isAborted ? { isAborted: options.isAborted } : {}),
  });
}
