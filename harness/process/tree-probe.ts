import { performance } from 'node:perf_hooks';
import type { ProgressProbe } from './own-time.ts';
import { processTree, sampleThreads, type ThreadSample } from './thread-sample.ts';

// The one way the kit watches a process it started for own-time waits (own-time.ts): every thread
// of its whole tree. Waits on several connections at once share one reading of /proc a few ms old.

const CACHE_MS = 20;

export interface TreeProbeSource {
  /** The root of the tree; undefined before it started. */
  pid(): number | undefined;
  /** false once the root exited: nothing is left to wait for, so the wait counts whole. */
  running(): boolean;
  /** Bytes the kit has taken on for the tree and not yet handed over; default none. */
  kitInFlight?(): number;
  /** CPU (ns) of every process of the hand-in the tree belongs to (its resource box); none without one. */
  handInCpuNs?(): Promise<number>;
  /**
   * The root is the kit's (the client half's judge, which starts the student's runner): its threads
   * are watched for being held up, but their CPU is never the hand-in's time.
   */
  rootIsKit?: boolean;
}

export function treeProbe(source: TreeProbeSource): ProgressProbe {
  // The box's CPU is read with the threads and kept as long, so the waits that share one reading of
  // /proc also share one reading of the box. A failed read is "not known" (own-time.ts then counts the
  // tree's CPU), never a rejection left for nobody to take when only the threads were asked for.
  let cache: { at: number; threads: Promise<readonly ThreadSample[] | undefined>; handInCpuNs: Promise<number | undefined> | undefined } | undefined;
  const cost = readCost();
  const read = async (): Promise<readonly ThreadSample[] | undefined> => {
    const pid = source.pid();
    if (pid === undefined) return undefined;
    if (!source.running()) return [];
    const from = performance.now();
    const threads = await sampleThreads(await processTree(pid), source.rootIsKit ? new Set([pid]) : undefined);
    cost.took(performance.now() - from, threads.length);
    return threads;
  };
  const fresh = () => {
    const now = performance.now();
    if (!cache || now - cache.at > CACHE_MS) cache = { at: now, threads: read(), handInCpuNs: source.handInCpuNs?.().catch(() => undefined) };
    return cache;
  };
  return {
    threads: () => fresh().threads,
    kitInFlight: () => source.kitInFlight?.() ?? 0,
    readLateMs: () => cost.lateMs,
    ...(source.handInCpuNs ? { handInCpuNs: () => fresh().handInCpuNs ?? Promise.resolve(undefined) } : {}),
  };
}

/**
 * How long a reading of /proc took past what it costs: the cheapest reading so far, per thread read
 * (a tree grows and shrinks, and its files are read a few per thread), times this one's threads.
 * What is left over is time the kit's worker threads were held up (by load, or by its own work).
 */
export function readCost(): { took: (ms: number, threads: number) => void; readonly lateMs: number } {
  let perThreadMs = Number.POSITIVE_INFINITY;
  let lateMs = 0;
  return {
    took(ms, threads) {
      const n = Math.max(1, threads);
      perThreadMs = Math.min(perThreadMs, ms / n);
      lateMs = ms - perThreadMs * n;
    },
    get lateMs() {
      return lateMs;
    },
  };
}
