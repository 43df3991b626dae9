import { performance } from 'node:perf_hooks';
import type { ThreadSample } from './thread-sample.ts';

// The one rule for "has the hand-in run out of time?". A wall clock alone must never decide it: on a
// busy machine a correct hand-in may be runnable and still not get a CPU, and that time is the
// machine's, not the student's. So a wait is measured in the hand-in's OWN time:
//   - an interval in which no thread of the hand-in waited for a CPU, and nothing of the kit's was
//     still on its way to the hand-in, counts whole (it ran, or slept by its own choice), less the
//     time the kit's own reading of /proc was held up (the hand-in may have been waiting on the kit);
//   - otherwise only the CPU time the hand-in actually got counts (a spinning hand-in still uses up
//     its budget, however many threads it starts; a starved one does not). With a resource box
//     that is the CPU of all its processes, uncapped: the box's share is the hand-in's, and what it
//     spends on busy loops in another process (another instance's) is its time spent, so a server
//     its own loops starve gets the same own time for a reply on a quiet or a busy machine.
// And a hand-in whose every thread is blocked waiting for input, with nothing of the kit's in flight
// and no CPU used, is provably stuck: nothing but the kit could wake it, so it fails at once instead
// of after its timeout. When the wall clock runs far past the own-time budget (the machine gave the
// hand-in almost nothing), the verdict is the kit's: it could not judge, and says so.

export interface ProgressProbe {
  /** Every thread of the hand-in now; undefined when they cannot be observed (no pid yet, not Linux). */
  threads(): Promise<readonly ThreadSample[] | undefined>;
  /** Bytes the kit has taken on for the hand-in and not yet handed over (relays, proxies). */
  kitInFlight(): number;
  /**
   * CPU time (ns) every process of the hand-in has used so far, this tree's and its other ones' (its
   * resource box); absent when it has no box.
   */
  handInCpuNs?(): Promise<number | undefined>;
  /**
   * How much longer than it should have the latest reading of the threads took (ms). The reading runs
   * on the worker threads that also write the reference server's data and feed the relays, so a slow
   * one is the kit held up; absent when the probe cannot tell.
   */
  readLateMs?(): number;
}

export type WaitVerdict =
  | { kind: 'waiting' }
  /** Every thread blocked on input, nothing in flight, no CPU used, for `quietMs`. */
  | { kind: 'stuck'; ownMs: number; wallMs: number; why: string }
  /** The hand-in's own time reached the budget. */
  | { kind: 'expired'; ownMs: number; wallMs: number }
  /** The wall clock reached its cap before the hand-in's own time reached the budget: the kit's failure. */
  | { kind: 'kit-busy'; ownMs: number; wallMs: number };

export interface OwnClockOptions {
  /** How long the hand-in must look stuck before it is called stuck (several samples). */
  quietMs?: number;
  /** How many quiet samples in a row that takes (default 3). */
  quietSamples?: number;
  /** The wall-clock cap, as a multiple of the budget: beyond it the machine, not the hand-in, is at fault. */
  wallFactor?: number;
  /** The wall-clock cap's floor in ms. */
  minWallCapMs?: number;
  /** The wall-clock cap in ms, exactly: instead of the factor and the floor. */
  wallCapMs?: number;
  /** The clock (ms); tests replay samples on a clock of their own. */
  now?: () => number;
  /** false: never call the hand-in stuck (a process that also holds the kit's own waits, such as the judge). */
  detectStuck?: boolean;
}

interface Snapshot {
  at: number;
  threads: ReadonlyMap<number, ThreadSample>;
  inFlight: number;
  handInCpuNs: number | undefined;
  /** How long the reading of this sample was held up (ProgressProbe.readLateMs). */
  readLateMs: number;
}

const NS_PER_MS = 1_000_000;
/** How late a step of the kit's may end before the kit itself counts as held up. */
const KIT_LATE_MS = 50;
/** How long one slice of waiting lasts before the hand-in's threads are sampled again. */
const SLICE_MS = 100;
const QUIET_MS = 400;
const QUIET_SAMPLES = 3;
/**
 * Settling (waitUntilQuiet) decides nothing, it only waits for the kit's own care, so it needs no
 * margin in time: schedstat counts CPU in ns, and a thread woken by bytes is runnable (R) from the
 * moment they arrive, so two intervals with every thread blocked on input and no CPU used mean the
 * hand-in took everything it was sent. A request written a byte at a time settles after each byte:
 * at 20 ms a window that was 3 s of case 3.3.1's 3.2 s.
 */
const SETTLE_QUIET_MS = 4;
const SETTLE_POLL_MS = 2;

/** A thread that can only be woken by input the kit has not sent (or is gone or stopped). */
const blockedOnInput = (t: ThreadSample) => (t.state === 'S' && t.wait === 'input') || t.state === 'T' || t.state === 't' || t.state === 'Z' || t.state === 'X';

export class OwnClock {
  readonly #probe: ProgressProbe;
  readonly #budgetMs: number;
  readonly #wallCapMs: number;
  readonly #quietMs: number;
  readonly #detectStuck: boolean;
  readonly #quietSamplesNeeded: number;
  readonly #now: () => number;
  readonly #startedAt: number;
  #ownMs = 0;
  #last: Snapshot | undefined;
  #quietSince: number | undefined;
  #quietSamples = 0;
  #unobservable = false;

  constructor(probe: ProgressProbe, budgetMs: number, options: OwnClockOptions = {}) {
    this.#probe = probe;
    this.#budgetMs = budgetMs;
    this.#quietMs = options.quietMs ?? QUIET_MS;
    this.#detectStuck = options.detectStuck ?? true;
    this.#quietSamplesNeeded = options.quietSamples ?? QUIET_SAMPLES;
    this.#wallCapMs = options.wallCapMs ?? Math.max(options.minWallCapMs ?? 60_000, budgetMs * (options.wallFactor ?? 20));
    this.#now = options.now ?? (() => performance.now());
    this.#startedAt = this.#now();
  }

  /** The hand-in's own time so far (ms). */
  get ownMs(): number {
    return this.#ownMs;
  }

  get wallMs(): number {
    return this.#now() - this.#startedAt;
  }

  /**
   * The own time as of the latest sample, and when (on this clock) that sample was taken: a reader
   * elsewhere that gets the figure late must not count the delay as the hand-in's (run-bounded.ts).
   */
  get confirmed(): { ownMs: number; at: number; startedAt: number } {
    return { ownMs: this.#ownMs, at: this.#last?.at ?? this.#startedAt, startedAt: this.#startedAt };
  }

  /** The own time still left, for the next slice of waiting. */
  get remainingMs(): number {
    return Math.max(0, this.#budgetMs - this.#ownMs);
  }

  /**
   * Takes a sample, adds the interval since the last one to the own time, and says where the wait
   * stands. `lateMs`: how late the kit's own step before this sample (a slice, a tick, a probe) ended.
   * Past KIT_LATE_MS the kit was not scheduled, and a reply may have sat unread while the hand-in
   * idled: that time is the machine's, so the interval counts only the hand-in's CPU, as while the
   * kit has bytes in flight.
   */
  async check(lateMs = 0): Promise<WaitVerdict> {
    const now = await this.#snapshot(lateMs);
    const previous = this.#last;
    this.#last = now;
    const wallMs = now.at - this.#startedAt;
    // The first sample is only the baseline: what happened before it cannot be told apart, so it is
    // not counted (a wait is at most one slice longer, never shorter).
    if (this.#unobservable) this.#ownMs = wallMs;
    else if (previous) this.#account(previous, now);
    if (this.#detectStuck && !this.#unobservable && this.#quietSince !== undefined && this.#quietSamples >= this.#quietSamplesNeeded && now.at - this.#quietSince >= this.#quietMs) {
      return { kind: 'stuck', ownMs: this.#ownMs, wallMs, why: describeStuck(now) };
    }
    if (this.#ownMs >= this.#budgetMs) return { kind: 'expired', ownMs: this.#ownMs, wallMs };
    if (wallMs >= this.#wallCapMs) return { kind: 'kit-busy', ownMs: this.#ownMs, wallMs };
    return { kind: 'waiting' };
  }

  async #snapshot(lateMs: number): Promise<Snapshot> {
    const [threads, handInCpuNs] = await Promise.all([this.#probe.threads().catch(() => undefined), this.#probe.handInCpuNs?.().catch(() => undefined)]);
    if (threads === undefined) this.#unobservable = true;
    return {
      at: this.#now(),
      threads: new Map((threads ?? []).map((t) => [t.tid, t])),
      inFlight: this.#probe.kitInFlight() + (lateMs > KIT_LATE_MS ? 1 : 0),
      handInCpuNs,
      readLateMs: this.#probe.readLateMs?.() ?? 0,
    };
  }

  #account(previous: Snapshot, now: Snapshot): void {
    const dtMs = Math.max(0, now.at - previous.at);
    let cpuNs = 0n;
    let worstDelayNs = 0n;
    for (const [tid, t] of now.threads) {
      const before = previous.threads.get(tid);
      // A kit thread's CPU (the judge's, for flows side by side) is the kit's work, not the hand-in's.
      if (!t.kit) cpuNs += t.cpuNs - (before?.cpuNs ?? 0n);
      const delay = t.runDelayNs - (before?.runDelayNs ?? 0n);
      if (delay > worstDelayNs) worstDelayNs = delay;
    }
    const cpuMs = handInCpuMs(previous, now) ?? Math.min(dtMs, Number(cpuNs) / NS_PER_MS);
    const starvedMs = Math.min(dtMs, Number(worstDelayNs) / NS_PER_MS);
    // A kit thread runnable (or in D) at either end of the interval may have held the hand-in up
    // for all of it: its delay is booked only once it runs, perhaps in a later interval, where
    // starvedMs is capped at that interval's length. Under 8 busy loops, a judge caught runnable at
    // only one end left image-single-recv's wait counted whole, and its 90 s ran out.
    const kitWorking = (t: ThreadSample) => t.kit === true && (t.state === 'R' || t.state === 'D');
    const kitHeld = [...previous.threads.values(), ...now.threads.values()].some(kitWorking);
    const kitBusy = previous.inFlight > 0 || now.inFlight > 0 || kitHeld;
    // A runnable thread may be waiting for a CPU whose delay is booked only once it runs; a thread in
    // uninterruptible sleep (D) waits for the disk or for memory, which a neighbour's memory pressure
    // slows as it slows a CPU (a correct client's import took 8 s of wall clock beside a memfd hog).
    // While the hand-in waits for the machine (or on the kit), only the CPU it actually got counts.
    const wantsCpu = [...now.threads.values()].some((t) => !t.kit && (t.state === 'R' || t.state === 'D'));
    // The reading that ends the interval runs on the kit's worker threads, which also write the
    // reference server's data and feed the relays: the time it was held up, the hand-in may have
    // waited on the kit (seen: 1.1 s readings beside 8 busy loops, in which a client's 2 MiB upload
    // waited on the reference server while the interval counted whole, 1.7 s of its 3 s). Only that
    // part is taken off: the rest of the interval still counts, so a hand-in that never answers
    // still runs out of time on a busy machine rather than at the wall clock's cap.
    const heldUpMs = Math.min(dtMs, Math.max(starvedMs, now.readLateMs));
    this.#ownMs += kitBusy || wantsCpu ? cpuMs : dtMs - heldUpMs;
    this.#trackQuiet(previous, now, cpuNs, worstDelayNs, kitBusy);
  }

  #trackQuiet(previous: Snapshot, now: Snapshot, cpuNs: bigint, delayNs: bigint, kitBusy: boolean): void {
    const threads = [...now.threads.values()];
    const sameThreads = threads.length > 0 && threads.length === previous.threads.size && threads.every((t) => previous.threads.has(t.tid));
    const quiet = sameThreads && !kitBusy && cpuNs === 0n && delayNs === 0n && threads.every(blockedOnInput);
    if (!quiet) {
      this.#quietSince = undefined;
      this.#quietSamples = 0;
      return;
    }
    this.#quietSince ??= previous.at;
    this.#quietSamples += 1;
  }
}

/** The CPU all of the hand-in's processes used between two snapshots (ms); undefined without a box. */
function handInCpuMs(previous: Snapshot, now: Snapshot): number | undefined {
  if (previous.handInCpuNs === undefined || now.handInCpuNs === undefined) return undefined;
  return Math.max(0, now.handInCpuNs - previous.handInCpuNs) / NS_PER_MS;
}

function describeStuck(now: Snapshot): string {
  const n = now.threads.size;
  return `every thread of the server (${n}) is blocked waiting for input, nothing more is on its way from the kit, and no CPU was used`;
}

/**
 * Waits for `attempt` in slices of own time: `attempt(sliceMs)` resolves with a value, or with
 * `undefined` when its slice ran out (the partial state it holds must survive for the next slice).
 * A slice that ends late is the kit held up (OwnClock.check): a reply may then sit unread behind
 * the slice's timer while the hand-in idles.
 */
export async function waitInOwnTime<T>(
  clock: OwnClock,
  attempt: (sliceMs: number) => Promise<T | undefined>,
): Promise<{ kind: 'value'; value: T } | Exclude<WaitVerdict, { kind: 'waiting' }>> {
  for (;;) {
    const sliceMs = Math.max(10, Math.min(SLICE_MS, clock.remainingMs || SLICE_MS));
    const startedAt = performance.now();
    const value = await attempt(sliceMs);
    if (value !== undefined) return { kind: 'value', value };
    const verdict = await clock.check(performance.now() - startedAt - sliceMs);
    if (verdict.kind !== 'waiting') return verdict;
  }
}

/**
 * Waits until the hand-in is quiet (every thread blocked on input, no CPU used, nothing of the kit's
 * in flight: the stuck rule, on two short samples) for at most `budgetMs` of its own time, and
 * `wallFactor` times that on the clock. True when it settled; false when it did not in time (a thread
 * busy for good, or a machine too busy to tell). Charges nothing: the kit waits for its own care.
 */
export async function waitUntilQuiet(probe: ProgressProbe, budgetMs: number, wallFactor: number): Promise<boolean> {
  const clock = new OwnClock(probe, budgetMs, { quietMs: SETTLE_QUIET_MS, quietSamples: 2, wallCapMs: budgetMs * wallFactor });
  for (;;) {
    const verdict = await clock.check();
    if (verdict.kind !== 'waiting') return verdict.kind === 'stuck';
    await new Promise<void>((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
  }
}
