import path from 'node:path';
import { runClientHalf, CLIENT_DRIVER_DIR, STUDENT_RUNNER, type ClientHalfResult } from './client-half.ts';
import type { CaseVerdict, Rubric } from '../rubric/format.ts';
import type { Box } from '../../sandbox/resource-box.ts';
import { sandboxCommand, type PythonRuntime, type SandboxLimits, type SandboxPlan } from '../../sandbox/sandbox.ts';
import { clientDriverInside } from '../../sandbox/sandbox-layout.ts';
import { prepareWorkspace, rubricUsers } from '../submissions/workspace.ts';

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
  /** The starter's server.py, client.py, constants.py, put over the student's copies (starter.ts). */
  courseFiles?: ReadonlyMap<string, Buffer> | undefined;
  /** A private folder of this run: the copy and the reference server's data go here. */
  scratch: string;
  timeoutMs: number;
  caseMs: number;
  isAborted?: () => boolean;
  /** The hand-in's resource box: the runner joins it (the judge stays in the kit's). */
  box?: Box | undefined;
  /**
   * Whether a check's failure costs anything (the grader: a rubric item counts it). Default: every
   * failure. Only those that ran out of time are judged again.
   */
  mayCost?: (c: { id: string; verdict: CaseVerdict }) => boolean;
}

/** Less than this left of the half's budget, a second look would only run out of time itself. */
const SECOND_LOOK_MIN_MS = 5000;

/**
 * The checks side by side, then a second look at those that ran out of time (as the server half's,
 * harness/runner/second-look.ts): judged again one at a time on a fresh copy against a fresh
 * reference server, the second verdict standing. Any other failure is never re-judged.
 */
export async function runSandboxedClientHalf(options: SandboxedClientHalfOptions): Promise<ClientHalfResult> {
  const started = Date.now();
  const first = await clientHalfIn('client', options);
  const mayCost = options.mayCost ?? ((c) => c.verdict !== 'PASSED');
  const doubtful = first.outcomes.filter((o) => first.timedOut?.has(o.id) && mayCost(o)).map((o) => o.id);
  const left = options.timeoutMs - (Date.now() - started);
  if (doubtful.length === 0 || options.isAborted?.() || left < SECOND_LOOK_MIN_MS) return first;
  const second = await clientHalfIn('client-again', { ...options, timeoutMs: left }, { checks: doubtful, oneAtATime: true });
  return judgedAgain(first, second);
}

/** The first run with each check the second ran in its place; a second run that broke down changes nothing. */
function judgedAgain(first: ClientHalfResult, second: ClientHalfResult): ClientHalfResult {
  if (second.failure || second.importError) return first;
  const again = new Map(second.outcomes.map((o) => [o.id, o] as const));
  const judged = first.outcomes.filter((o) => again.has(o.id)).map((o) => ({ id: o.id, first: o.verdict, second: again.get(o.id)?.verdict ?? o.verdict }));
  return {
    ...first,
    ...(second.kitError ? { kitError: second.kitError } : {}),
    outcomes: first.outcomes.map((o) => again.get(o.id) ?? o),
    stderr: `${first.stderr}${second.stderr ? `\n--- second look ---\n${second.stderr}` : ''}`,
    secondLook: { judged, notRerun: [...(second.notRerun ?? [])] },
  };
}

async function clientHalfIn(folder: string, options: SandboxedClientHalfOptions, only: { checks?: string[]; oneAtATime?: boolean } = {}): Promise<ClientHalfResult> {
  const { rubric } = options;
  const workspace = path.join(options.scratch, folder);
  await prepareWorkspace(options.serverDir, workspace, rubric, options.courseFiles);
  const inside = options.plan.kind === 'bwrap' ? path.posix.join(clientDriverInside(), path.basename(STUDENT_RUNNER)) : STUDENT_RUNNER;
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
        readOnly: [[CLIENT_DRIVER_DIR, clientDriverInside()]],
        connect,
        box: options.box,
      }),
    ...(options.isAborted ? { isAborted: options.isAborted } : {}),
    ...only,
  });
}
