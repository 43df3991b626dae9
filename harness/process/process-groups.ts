import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

// Killing a process group covers children that stay in it; a submission may also setsid() or
// double-fork. Every grader process runs with its cwd inside a workspace, so a sweep of /proc by
// cwd finds whatever escaped the group (bwrap's PID namespace makes this a second line of defence).

/** Process groups the kit started and has not yet seen exit: what an interrupt must kill. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

export function trackGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  liveGroups.add(pid);
  // A kit that exits mid-run (a second Ctrl-C, process.exit in a test runner, an uncaught error)
  // must not leave servers holding ports: whatever is still tracked is killed on the way out.
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => killTrackedGroups());
  }
}

export function untrackGroup(pid: number | undefined): void {
  if (pid !== undefined) liveGroups.delete(pid);
}

/** Synchronous, for signal handlers: SIGKILL to every tracked group. */
export function killTrackedGroups(): number {
  const n = liveGroups.size;
  for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
  liveGroups.clear();
  return n;
}

export function killGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group may already be gone; the direct pid is tried too in case it never became a leader.
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/** Pids (other than ours) whose working directory is `dir` or inside it. */
export async function processesUnder(dir: string): Promise<number[]> {
  const root = path.resolve(dir);
  const out: number[] = [];
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return out;
  }
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        const pid = Number(e);
        if (pid === process.pid) return;
        try {
          const cwd = await readlink(`/proc/${e}/cwd`);
          if (cwd === root || cwd.startsWith(root + path.sep)) out.push(pid);
        } catch {
          /* exited or not ours to read */
        }
      }),
  );
  return out;
}

/**
 * Kills every process working inside `dir` and waits (bounded) until /proc shows none: a killed
 * PID namespace takes a moment to tear down, and "no process left behind" must hold on return.
 */
export async function sweepProcesses(dir: string, waitMs = 3000): Promise<number> {
  const deadline = Date.now() + waitMs;
  let killed = 0;
  for (;;) {
    const pids = await processesUnder(dir);
    if (pids.length === 0 || Date.now() > deadline) return killed;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        /* gone */
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** How a process ended: its code or signal, or the error that kept it from starting. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: Error;
}

/** A command running as the leader of its own process group, tracked until released. */
export interface GroupProcess {
  readonly child: ChildProcess;
  readonly pid: number | undefined;
  /** Settles once, when the leader exits or could not start. */
  readonly exited: Promise<ExitInfo>;
  /** Settles after `exited` once its stdout and stderr are also drained: when output is whole. */
  readonly closed: Promise<ExitInfo>;
  /** Undefined while the leader runs. */
  exit(): ExitInfo | undefined;
  /** Signals the whole group (children the command forked included). */
  signal(signal: NodeJS.Signals): void;
  /** Stops tracking: call once the group (and anything that escaped it) is known gone. */
  release(): void;
  /**
   * With `startSignal`: true once a byte arrives on the command's fd 3 (the sandbox's launcher
   * writes it right before it execs the student's command), false when fd 3 closes without one.
   */
  readonly launched?: Promise<boolean>;
}

export interface SpawnGroupOptions {
  cwd: string;
  /** Added to the kit's environment. */
  env?: Record<string, string | undefined>;
  /** 'pipe' to write to the command's stdin (closed when it exits); default: closed from the start. */
  stdin?: 'ignore' | 'pipe';
  /** Give the command a pipe as fd 3 and report on `launched` whether a byte came through it. */
  startSignal?: boolean;
}

/**
 * The kit's one way to start a process it must be able to stop: its own process group (detached),
 * stdin closed (unless asked for), stdout and stderr piped (the caller must drain them), and tracked so an interrupt or
 * the kit's exit kills it. A command that cannot start settles `exited` with `spawnError`.
 */
export function spawnGroup(argv: readonly string[], options: SpawnGroupOptions): GroupProcess {
  const [command, ...args] = argv;
  if (!command) throw new Error('empty command');
  const stdio: StdioOptions = [options.stdin ?? 'ignore', 'pipe', 'pipe', ...(options.startSignal ? ['pipe' as const] : [])];
  const child: ChildProcess = spawn(command, args, { cwd: options.cwd, detached: true, stdio, env: { ...process.env, ...options.env } });
  // A command that exits before reading what was written must not crash the kit with EPIPE.
  child.stdin?.on('error', () => undefined);
  trackGroup(child.pid);
  let info: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('error', (spawnError) => {
      info ??= { code: null, signal: null, spawnError };
      resolve(info);
    });
    child.once('exit', (code, signal) => {
      info ??= { code, signal };
      resolve(info);
    });
  });
  const closed = new Promise<ExitInfo>((resolve) => {
    child.once('error', () => resolve(exited));
    child.once('close', () => resolve(exited));
  });
  return {
    child,
    pid: child.pid,
    exited,
    closed,
    exit: () => info,
    signal: (signal) => killGroup(child.pid, signal),
    release: () => untrackGroup(child.pid),
    ...(options.startSignal ? { launched: launchSignal(child) } : {}),
  };
}

/** Whether a byte arrives on the child's fd 3 before it closes (or the child cannot start). */
function launchSignal(child: ChildProcess): Promise<boolean> {
  const pipe = child.stdio[3] as Readable | null | undefined;
  if (!pipe) return Promise.resolve(false);
  return new Promise((resolve) => {
    pipe.once('data', () => {
      resolve(true);
      // Only the first byte counts; whatever comes after (nothing should) is not read.
      pipe.destroy();
    });
    pipe.once('close', () => resolve(false));
    pipe.once('error', () => resolve(false));
    child.once('error', () => resolve(false));
  });
}
