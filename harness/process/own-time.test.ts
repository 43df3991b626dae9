import { describe, expect, it } from 'vitest';
import { OwnClock, waitInOwnTime, type OwnClockOptions, type ProgressProbe, type WaitVerdict } from './own-time.ts';
import { classifyWait, type ThreadSample } from './thread-sample.ts';

// The rule that replaces wall-clock timeouts, replayed on scripted /proc samples and a clock of the
// test's own, so every expectation follows from the rule, not from how busy this machine is.

describe('classifyWait (x86_64 /proc/<tid>/syscall)', () => {
  const cases: [string, string, ReturnType<typeof classifyWait>][] = [
    ['recvfrom: waits for bytes only a peer can send', '45 0x4 0x7f00 0x1000 0x0 0x0 0x0 0x7ffd 0x7f01', 'input'],
    ['read', '0 0x3 0x7f00 0x1000 0x0 0x0 0x0 0x7ffd 0x7f01', 'input'],
    ['accept4', '288 0x3 0x0 0x0 0x80000 0x0 0x0 0x7ffd 0x7f01', 'input'],
    ['nanosleep: time.sleep is the hand-in’s own choice of time', '35 0x7ffd 0x0 0x0 0x0 0x0 0x0 0x7ffd 0x7f01', 'timer'],
    ['clock_nanosleep', '230 0x1 0x0 0x7ffd 0x0 0x0 0x0 0x7ffd 0x7f01', 'timer'],
    ['poll with timeout -1 (32-bit)', '7 0x7ffd 0x1 0xffffffff 0x0 0x0 0x0 0x7ffd 0x7f01', 'input'],
    ['poll with timeout -1 (sign-extended)', '7 0x7ffd 0x1 0xffffffffffffffff 0x0 0x0 0x0 0x7ffd 0x7f01', 'input'],
    ['poll with a 5 s timeout (socket.settimeout)', '7 0x7ffd 0x1 0x1388 0x0 0x0 0x0 0x7ffd 0x7f01', 'timer'],
    ['select without a timeval', '23 0x5 0x7ffd 0x0 0x0 0x0 0x0 0x7ffd 0x7f01', 'input'],
    ['select with a timeval', '23 0x5 0x7ffd 0x0 0x0 0x7ffe 0x0 0x7ffd 0x7f01', 'timer'],
    ['futex WAIT_PRIVATE without timeout (a lock, an Event.wait())', '202 0x7f00 0x80 0x0 0x0 0x0 0x0 0x7ffd 0x7f01', 'input'],
    ['futex WAIT_BITSET_PRIVATE with a timeout (the GIL’s timed wait)', '202 0x7f00 0x89 0x0 0x7ffd 0x0 0xffffffff 0x7ffd 0x7f01', 'timer'],
    ['a thread on a CPU', 'running', 'unknown'],
    ['blocked outside a system call', '-1 0x7ffd 0x7f01', 'unknown'],
  ];
  it.runIf(process.platform === 'linux' && process.arch === 'x64').each(cases)('%s', (_, text, kind) => {
    expect(classifyWait(text)).toBe(kind);
  });
});

/** One thread of a scripted hand-in: its state and cumulative counters (ms) at each sample. */
interface Script {
  state: string;
  wait?: ThreadSample['wait'];
  cpuMs: number;
  delayMs: number;
  inFlight?: number;
  /** CPU of every process of the hand-in (its resource box), when it has one. */
  handInCpuMs?: number;
  /** How long the kit's reading of this sample was held up. */
  readLateMs?: number;
}

/** What the probe reports at one sample: the threads, the kit's bytes in flight, the box's CPU (ns). */
interface Sampled {
  threads: ThreadSample[];
  inFlight?: number;
  handInCpuNs?: number;
  readLateMs?: number;
}

/** Drives a clock of the test's own: `sample(i)` is what /proc shows 100·i ms in, until a verdict. */
async function drive(budgetMs: number, sample: (i: number) => Sampled, options: OwnClockOptions, maxSamples = 2000): Promise<{ verdict: WaitVerdict; atMs: number }> {
  let t = 0;
  let current = sample(0);
  const probe: ProgressProbe = {
    threads: async () => current.threads,
    kitInFlight: () => current.inFlight ?? 0,
    handInCpuNs: async () => current.handInCpuNs,
    readLateMs: () => current.readLateMs ?? 0,
  };
  const clock = new OwnClock(probe, budgetMs, { now: () => t, ...options });
  for (let i = 0; i < maxSamples; i++) {
    t = i * 100;
    current = sample(i);
    const verdict = await clock.check();
    if (verdict.kind !== 'waiting') return { verdict, atMs: t };
  }
  throw new Error('no verdict');
}

/** Replays `step(i)` as the i-th sample of one thread, 100 ms apart, until the clock gives a verdict. */
function replay(budgetMs: number, step: (i: number) => Script, maxSamples = 2000): Promise<{ verdict: WaitVerdict; atMs: number }> {
  const sample = (i: number): Sampled => {
    const s = step(i);
    const thread = { tid: 1, state: s.state, wait: s.wait ?? 'unknown', cpuNs: BigInt(Math.round(s.cpuMs * 1e6)), runDelayNs: BigInt(Math.round(s.delayMs * 1e6)) } satisfies ThreadSample;
    return { threads: [thread], inFlight: s.inFlight ?? 0, readLateMs: s.readLateMs ?? 0, ...(s.handInCpuMs !== undefined ? { handInCpuNs: s.handInCpuMs * 1e6 } : {}) };
  };
  return drive(budgetMs, sample, { minWallCapMs: 5000, wallFactor: 5 }, maxSamples);
}

describe('OwnClock: a wait measured in the hand-in’s own time', () => {
  it('a server sleeping by its own choice (timer) uses up its budget at the wall clock’s pace', async () => {
    const { verdict, atMs } = await replay(1000, () => ({ state: 'S', wait: 'timer', cpuMs: 0, delayMs: 0 }));
    expect(verdict.kind).toBe('expired');
    // sample 0 (t = 0) is the baseline; ten whole intervals of 100 ms make the 1000 ms budget
    expect(atMs).toBe(1000);
  });

  it('a server that is runnable but never gets a CPU is never charged: the kit says it could not judge', async () => {
    const { verdict } = await replay(1000, (i) => ({ state: 'R', cpuMs: 0, delayMs: i * 100 }));
    expect(verdict.kind).toBe('kit-busy');
    expect((verdict as { ownMs: number }).ownMs).toBe(0);
  });

  it('a server waiting on the disk or on memory (D) is waiting for the machine: only the CPU it gets counts', async () => {
    const { verdict } = await replay(1000, () => ({ state: 'D', cpuMs: 0, delayMs: 0 }));
    expect(verdict.kind).toBe('kit-busy');
  });

  it('a spinning server is charged the CPU it got: the full budget on an idle core', async () => {
    const { verdict, atMs } = await replay(1000, (i) => ({ state: 'R', cpuMs: i * 100, delayMs: 0 }));
    expect(verdict.kind).toBe('expired');
    expect(atMs).toBe(1000);
  });

  it('a spinning server that gets half a CPU takes twice the wall time to use up the same budget', async () => {
    const { verdict, atMs } = await replay(1000, (i) => ({ state: 'R', cpuMs: i * 50, delayMs: i * 50 }));
    expect(verdict.kind).toBe('expired');
    expect(atMs).toBe(2000);
  });

  it('an interval in which the server waited for a CPU counts only the part it did not wait', async () => {
    // asleep at each sample, but 30 ms of each 100 ms spent waiting to be scheduled: 70 ms count
    const { verdict, atMs } = await replay(700, (i) => ({ state: 'S', wait: 'timer', cpuMs: i * 5, delayMs: i * 30 }));
    expect(verdict.kind).toBe('expired');
    expect(atMs).toBe(1000);
  });

  it('an interval in which the kit’s reading of /proc was held up counts only the part it was not', async () => {
    // Asleep by its own choice, but each reading came 60 ms late: the kit's worker threads, which also
    // write the reference server's data, were held up, and the hand-in may have waited on them.
    const { verdict, atMs } = await replay(400, () => ({ state: 'S', wait: 'timer', cpuMs: 0, delayMs: 0, readLateMs: 60 }));
    expect(verdict.kind).toBe('expired');
    expect(atMs).toBe(1000);
  });

  it('slow readings of /proc neither stop a silent server from running out of time nor from being called stuck', async () => {
    // Held up for all but 10 ms of each interval: a server that never answers still expires, in ten
    // times the wall time, well within the wall clock's cap (the kit's error).
    const slow = await replay(300, () => ({ state: 'S', wait: 'timer', cpuMs: 0, delayMs: 0, readLateMs: 90 }));
    expect(slow.verdict.kind).toBe('expired');
    expect(slow.atMs).toBe(3000);
    const stuck = await replay(10_000, () => ({ state: 'S', wait: 'input', cpuMs: 0, delayMs: 0, readLateMs: 90 }));
    expect(stuck.verdict.kind).toBe('stuck');
    expect(stuck.atMs).toBe(400);
  });

  it('every thread blocked on input, no CPU, nothing in flight: stuck after three quiet samples, long before the budget', async () => {
    const { verdict, atMs } = await replay(10_000, () => ({ state: 'S', wait: 'input', cpuMs: 40, delayMs: 3 }));
    expect(verdict.kind).toBe('stuck');
    expect(atMs).toBe(400);
  });

  it('blocked on input while the kit still has bytes on their way is not stuck, and that time is not charged', async () => {
    const { verdict } = await replay(1000, () => ({ state: 'S', wait: 'input', cpuMs: 0, delayMs: 0, inFlight: 10 }));
    expect(verdict.kind).toBe('kit-busy');
  });

  it('a server that uses CPU between samples is not stuck, even if each sample finds it blocked', async () => {
    const { verdict } = await replay(1000, (i) => ({ state: 'S', wait: 'input', cpuMs: i, delayMs: 0 }));
    expect(verdict.kind).toBe('expired');
  });
});

describe('waitInOwnTime: a slice that ends late is the kit held up', () => {
  it('a hand-in idle by its own choice while the kit’s slices end late never runs out of its own time', async () => {
    const idle: ProgressProbe = {
      threads: async () => [{ tid: 1, state: 'S', wait: 'timer', cpuNs: 0n, runDelayNs: 0n }],
      kitInFlight: () => 0,
    };
    // Budget 300 ms; the wall cap (4x) ends the wait as the kit's failure. Each attempt takes 200 ms
    // more than its slice, as when the kit is not scheduled and its read's timer fires late: those
    // intervals count only the hand-in's CPU (none), so the budget can never be spent.
    const clock = new OwnClock(idle, 300, { detectStuck: false, wallFactor: 4, minWallCapMs: 0 });
    const outcome = await waitInOwnTime<string>(clock, (sliceMs) => new Promise((r) => setTimeout(() => r(undefined), sliceMs + 200)));
    expect(outcome.kind).toBe('kit-busy');
    expect(clock.ownMs).toBe(0);
  });

  it('in a resource box, a server starved by its own busy loops is charged all the CPU its box got, two cores in an interval of one', async () => {
    // Its own thread never ran (runnable throughout); its loops took both cores: 200 ms a sample.
    const { verdict, atMs } = await replay(1000, (i) => ({ state: 'R', cpuMs: 0, delayMs: i * 100, handInCpuMs: i * 200 }));
    expect(verdict.kind).toBe('expired');
    expect(atMs).toBe(500);
  });

  it('the same hand-in beside eight busy loops gets a smaller share, and the same own time for the same CPU: the verdict does not move', async () => {
    const quiet = await replay(1000, (i) => ({ state: 'R', cpuMs: i * 10, delayMs: i * 90, handInCpuMs: i * 200 }));
    const loaded = await replay(1000, (i) => ({ state: 'R', cpuMs: i * 2, delayMs: i * 98, handInCpuMs: i * 25 }));
    expect([quiet.verdict.kind, loaded.verdict.kind]).toEqual(['expired', 'expired']);
    // 1000 ms of its box's CPU either way: five samples quietly, forty beside the loops.
    expect([quiet.atMs, loaded.atMs]).toEqual([500, 4000]);
  });
});

describe('OwnClock under a judge of the kit’s (the client half: the judge starts the student’s runner)', () => {
  /** Samples 100 ms apart of a judge thread (the kit’s) and a runner thread (the hand-in’s). */
  function judged(budgetMs: number, step: (i: number) => { judge: Partial<ThreadSample>; runner: Partial<ThreadSample> }): Promise<{ verdict: WaitVerdict; atMs: number }> {
    const thread = (tid: number, s: Partial<ThreadSample>): ThreadSample => ({ tid, state: 'S', wait: 'input', cpuNs: 0n, runDelayNs: 0n, ...s });
    const sample = (i: number): Sampled => {
      const { judge, runner } = step(i);
      return { threads: [thread(1, { ...judge, kit: true }), thread(2, runner)] };
    };
    return drive(budgetMs, sample, { detectStuck: false, minWallCapMs: 0, wallFactor: 50 });
  }
  const ms = (n: number) => BigInt(Math.round(n * 1e6));

  it('the judge’s CPU for other flows is not the hand-in’s: a runner starved beside a busy judge is charged only its own CPU', async () => {
    // Both want a CPU; the judge gets a whole one (flows side by side), the runner 10 ms a sample.
    // Counting the tree's CPU, 1000 ms would be spent after 10 samples; the runner's alone takes 100.
    const { verdict, atMs } = await judged(1000, (i) => ({
      judge: { state: 'R', cpuNs: ms(i * 100) },
      runner: { state: 'R', cpuNs: ms(i * 10), runDelayNs: ms(i * 90) },
    }));
    expect(verdict.kind).toBe('expired');
    expect(atMs).toBe(10_000);
  });

  it('a runner waiting on a judge caught runnable at either end of an interval is not charged that interval; a judge asleep at both ends holds nothing up', async () => {
    const held = await judged(1000, () => ({ judge: { state: 'R' }, runner: { state: 'S', wait: 'input' } }));
    expect(held.verdict.kind).toBe('kit-busy');
    // The judge runnable at samples 0, 10, 20, …: of each ten intervals the two touching such a
    // sample count nothing (its wait may fall in either), the other eight 100 ms each. 1000 ms are
    // reached with the interval that ends at sample 13: 800 ms by sample 9, then (11,12) and (12,13).
    const sometimes = await judged(1000, (i) => ({ judge: { state: i % 10 ? 'S' : 'R' }, runner: { state: 'S', wait: 'input' } }));
    expect(sometimes.verdict.kind).toBe('expired');
    expect(sometimes.atMs).toBe(1300);
    // In uninterruptible sleep (D) the judge waits for the machine (disk, memory) just the same.
    const disk = await judged(1000, (i) => ({ judge: { state: i % 10 ? 'S' : 'D' }, runner: { state: 'S', wait: 'input' } }));
    expect(disk.atMs).toBe(1300);
    const asleep = await judged(1000, () => ({ judge: { state: 'S' }, runner: { state: 'S', wait: 'input' } }));
    expect(asleep.verdict.kind).toBe('expired');
    expect(asleep.atMs).toBe(1000);
  });
});
