import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// A machine that starves one process, made on purpose: a cgroup v1 `cpu` group with a CFS quota, so
// a process in it is runnable and not scheduled for most of every period, whatever else the machine
// does. Tests of "time the hand-in was runnable but not scheduled never counts against it" use it.

const CPU_ROOT = '/sys/fs/cgroup/cpu';

export interface ThrottledCpuGroup {
  /** The group's folder. */
  readonly dir: string;
  /** The argv that joins the group before it execs `argv` (so the whole process runs throttled). */
  wrap(argv: readonly string[]): string[];
  /** Removes the group once its processes are gone (waits up to 5 s for them). */
  remove(): Promise<void>;
}

/** Whether this machine lets the tests make such a group (Linux, cgroup v1 cpu mounted writable). */
export function canThrottle(): boolean {
  if (process.platform !== 'linux' || process.arch !== 'x64' || !existsSync(path.join(CPU_ROOT, 'cpu.cfs_quota_us'))) return false;
  try {
    const probe = path.join(CPU_ROOT, `instanet-probe-${process.pid}`);
    mkdirSync(probe);
    rmdirSync(probe);
    return true;
  } catch {
    return false;
  }
}

/** A group allowed `percent` of one CPU (e.g. 4: 4 ms in every 100 ms). */
export function throttledCpuGroup(name: string, percent: number): ThrottledCpuGroup {
  const dir = path.join(CPU_ROOT, `instanet-${name}-${process.pid}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'cpu.cfs_period_us'), '100000');
  writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(Math.round(percent * 1000)));
  return {
    dir,
    wrap: (argv) => ['sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, ...argv],
    async remove() {
      for (let i = 0; i < 50; i++) {
        try {
          rmdirSync(dir);
          return;
        } catch {
          await sleep(100);
        }
      }
    },
  };
}
