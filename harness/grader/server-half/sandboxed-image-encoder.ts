import path from 'node:path';
import { DEFAULT_FILE_LIMIT } from '../../process/disk-quota.ts';
import { sandboxCommand, type PythonRuntime, type SandboxLimits, type SandboxPlan } from '../../sandbox/sandbox.ts';
import { clientDriverInside } from '../../sandbox/sandbox-layout.ts';
import { CLIENT_DRIVER_DIR, STUDENT_RUNNER } from '../client-half/client-half.ts';
import type { Rubric } from '../rubric/format.ts';
import { StudentImageEncoder } from './student-image-encoder.ts';
import { prepareWorkspace } from '../submissions/workspace.ts';

// The student's send_image, run as the client half runs student code: a private copy of the hand-in,
// student_runner.py inside the sandbox, with no network at all (it frames images over a socket pair).

export interface SandboxedEncoderOptions {
  serverDir: string;
  rubric: Rubric;
  plan: SandboxPlan;
  limits: SandboxLimits;
  python: PythonRuntime;
  hide: readonly string[];
  /** A private folder of this submission: the copy goes here. */
  scratch: string;
}

export async function sandboxedImageEncoder(options: SandboxedEncoderOptions): Promise<StudentImageEncoder> {
  const workspace = path.join(options.scratch, 'image-encoder');
  await prepareWorkspace(options.serverDir, workspace, options.rubric);
  const inside = options.plan.kind === 'bwrap' ? path.posix.join(clientDriverInside(), path.basename(STUDENT_RUNNER)) : STUDENT_RUNNER;
  const command = sandboxCommand([options.python.executable, inside], workspace, {
    plan: options.plan,
    limits: options.limits,
    python: options.python,
    hide: options.hide,
    readOnly: [[CLIENT_DRIVER_DIR, clientDriverInside()]],
    network: 'isolated',
  });
  return new StudentImageEncoder({
    argv: command.argv,
    cwd: workspace,
    submissionDir: workspace,
    // Student code runs in it (its import included): its folder counts against the same disk limits.
    quota: { dirs: [workspace], limits: { bytes: options.rubric.limits.diskMiB * 1024 * 1024, files: DEFAULT_FILE_LIMIT } },
  });
}
