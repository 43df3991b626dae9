import { readFile } from 'node:fs/promises';
import { stateOf } from '../process/thread-sample.ts';
import type { Box } from '../sandbox/resource-box.ts';

// What a hand-in's resource box saw while it was graded, in the grade's words: the memory limit hit
// (the status `memory`), forks refused at its pids limit, busy loops (incidents).

export interface BoxFindings {
  /** Set when the box's memory limit was hit: the status detail. */
  memory?: string;
  incidents: string[];
}

const MIB = 1024 * 1024;
/**
 * Past this many threads runnable in two samples in a row, the hand-in runs busy loops: a server
 * waiting for the kit's requests has a few at most, and a burst (a fork storm, a start-up) is over
 * within a sample. Counted, not timed: on a loaded machine the box's share may be small, but its
 * busy threads are runnable whether or not they are scheduled.
 */
const RUNNABLE_AT_ONCE = 16;
const SAMPLE_MS = 1000;

/**
 * Samples the box once a second: which of its threads are runnable (state R in /proc/<tid>/stat),
 * and how many of them were runnable in the previous sample too. Reads files only; a sample still
 * running when the next is due is skipped.
 */
export class BoxWatch {
  private most = 0;
  private previous = new Set<number>();
  private sampling = false;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly box: Box) {
    this.timer = setInterval(() => void this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const runnable = new Set<number>();
      for (const tid of await this.box.tids()) {
        const stat = await readFile(`/proc/${tid}/stat`, 'utf8').catch(() => '');
        if (stateOf(stat) === 'R') runnable.add(tid);
      }
      const still = [...runnable].filter((tid) => this.previous.has(tid)).length;
      this.most = Math.max(this.most, still);
      this.previous = runnable;
    } finally {
      this.sampling = false;
    }
  }

  /** Stops sampling; the most threads seen runnable in two samples in a row. */
  stop(): number {
    clearInterval(this.timer);
    return this.most;
  }
}

export async function boxFindings(box: Box, mostRunnable = 0): Promise<BoxFindings> {
  const [memory, refused] = await Promise.all([box.memory(), box.pidsRefused()]);
  const incidents: string[] = [];
  const limitMiB = Math.round(memory.limitBytes / MIB);
  const found: BoxFindings = { incidents };
  if (memory.limitHit) {
    found.memory = `hit the ${limitMiB} MiB limit of its resource box (memfd/shared memory counted; peak ${Math.round(memory.peakBytes / MIB)} MiB): the kernel killed a process of it`;
    incidents.push(`memory: ${found.memory}`);
  }
  if (refused > 0) {
    incidents.push(`pids: ${refused} fork(s) or thread(s) refused at its resource box's limit of ${box.limits.pids} processes and threads`);
  }
  if (mostRunnable > RUNNABLE_AT_ONCE) {
    incidents.push(`cpu: up to ${mostRunnable} of its threads stayed runnable from one second to the next (busy loops); its resource box held them to an equal share`);
  }
  // No incident for CPU time as such: an honest hand-in graded in five lanes at once can use more
  // than a core on average (the correct sample did), and a student must never read a warning about
  // code that is right. Busy loops show as threads that stay runnable (above).
  return found;
}
