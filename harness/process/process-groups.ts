import { readdir, readlink } from 'node:fs/promises';
import path from 'node:path';

// Killing a process group covers children that stay in it; a submission may also setsid() or
// double-fork. Every grader process runs with its cwd inside a workspace, so a sweep of /proc by
// cwd finds whatever escaped the group (bwrap's PID namespace makes this a second line of defence).

/** Process groups the grader started and has not yet seen exit: what an interrupt must kill. */
const liveGroups = new Set<number>();

export function trackGroup(pid: number | undefined): void {
  if (pid !== undefined) liveGroups.add(pid);
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
