import { readFile } from 'node:fs/promises';
import { stateOf } from '../../process/thread-sample.ts';
import type { Box } from '../../sandbox/resource-box.ts';

// What a hand-in's resource box saw while it was graded, in the grade's words: the memory limit hit
// (the status `memory`), many processes at once and forks refused at its pids limit, busy loops
// (incidents).

export interface BoxFindings {
  /** Set when the box's memory limit was hit: the status detail. */
  memory?: string;
  incidents: string[];
}

const MIB = 1024 * 1024;
/**
 * Past this many threads runnable in two samples in a row, the hand-in runs busy loops: a server
 * waiting for the kit's requests has a few at most. Counted, not timed: on a loaded machine the
 * box's share may be small, but its busy threads are runnable whether or not they are scheduled.
 */
const RUNNABLE_AT_ONCE = 16;
/**
 * A thread counts as looping only once it has run this long in all: a fork storm's children are
 * runnable too, for as long as the box's share makes them wait (seconds, beside busy neighbours),
 * but each runs only the little it needs to exec, never this much.
 */
const LOOPING_CPU_NS = 3_000_000n;
const SAMPLE_MS = 1000;

export interface BoxSamples {
  /** The most threads that stayed runnable from one sample to the next, each past LOOPING_CPU_NS. */
  mostRunnable: number;
  /** The most processes and threads seen in the box at one sample. */
  mostThreads: number;
}

/**
 * Samples the box once a second: how many threads it holds, which of them are runnable (state R in
 * /proc/<tid>/stat) and how long each has run (schedstat). Reads files only; a sample still running
 * when the next is due is skipped.
 */
export class BoxWatch {
  private seen: BoxSamples = { mostRunnable: 0, mostThreads: 0 };
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
      const tids = await this.box.tids();
      const looping = new Set<number>();
      for (const tid of tids) if (await isLooping(tid)) looping.add(tid);
      const still = [...looping].filter((tid) => this.previous.has(tid)).length;
      this.seen = { mostRunnable: Math.max(this.seen.mostRunnable, still), mostThreads: Math.max(this.seen.mostThreads, tids.length) };
      this.previous = looping;
    } finally {
      this.sampling = false;
    }
  }

  /** What the samples have seen so far. */
  get seenSoFar(): BoxSamples {
    return this.seen;
  }

  /** Stops sampling; what the samples saw. */
  stop(): BoxSamples {
    clearInterval(this.timer);
    return this.seen;
  }
}

/** Runnable now, and has run long enough that it is no fork storm's child on its way to exec. */
async function isLooping(tid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${tid}/stat`, 'utf8').catch(() => '');
  if (stateOf(stat) !== 'R') return false;
  const schedstat = await readFile(`/proc/${tid}/schedstat`, 'utf8').catch(() => '');
  const ran = schedstat.trim().split(/\s+/)[0];
  return ran !== undefined && /^\d+$/.test(ran) && BigInt(ran) >= LOOPING_CPU_NS;
}

/**
 * `perSandbox` is the rubric's process count, which each of its sandboxes may hold: more than that in
 * the box at once is many sandboxes each near it, which no course server or client does.
 */
export async function boxFindings(box: Box, samples: BoxSamples, perSandbox: number): Promise<BoxFindings> {
  const { mostRunnable, mostThreads } = samples;
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
  if (mostThreads > perSandbox) {
    incidents.push(`pids: up to ${mostThreads} processes and threads at once across its sandboxes (the rubric allows ${perSandbox} in each; its resource box held them within ${box.limits.pids})`);
  }
  if (mostRunnable > RUNNABLE_AT_ONCE) {
    incidents.push(`cpu: up to ${mostRunnable} of its threads stayed runnable from one second to the next (busy loops); its resource box held them to an equal share`);
  }
  // No incident for CPU time as such: an honest hand-in graded in five lanes at once can use more
  // than a core on average (the correct sample did), and a student must never read a warning about
  // code that is right. Busy loops show as threads that stay runnable (above).
  return found;
}
