import { readFile, readdir } from 'node:fs/promises';

// What /proc says about every thread of a hand-in at one instant: enough to tell "running",
// "waiting for the CPU", "asleep by its own choice (a timer)" and "blocked until input arrives".
// Linux only; anything unreadable is reported as unknown, never as blocked, so a machine or
// permission we cannot read makes the kit wait longer, never charge a student sooner.

/** How a sleeping thread waits: for input (only the kit could wake it) or for a timer. */
export type WaitKind = 'input' | 'timer' | 'unknown';

export interface ThreadSample {
  tid: number;
  /** /proc state letter: R running or runnable, S sleeping, D disk, T stopped, Z zombie, … */
  state: string;
  /** ns on a CPU so far (schedstat field 1). */
  cpuNs: bigint;
  /** ns spent runnable but waiting for a CPU so far (schedstat field 2): the machine's doing. */
  runDelayNs: bigint;
  wait: WaitKind;
  /** A thread of the kit's own (a judge that starts the hand-in): its CPU is never the hand-in's time. */
  kit?: boolean;
}

// x86_64 system calls a blocked thread can sit in, and which argument (0-based) says whether it
// has a timeout. A timed wait is the hand-in's own choice of time; an untimed one ends only on input.
const ALWAYS_TIMER = new Set([35 /* nanosleep */, 230 /* clock_nanosleep */]);
const TIMEOUT_ARG: ReadonlyMap<number, { arg: number; infinite: 'null' | 'minus-one' }> = new Map([
  [7, { arg: 2, infinite: 'minus-one' }], // poll(fds, n, timeout_ms)
  [232, { arg: 3, infinite: 'minus-one' }], // epoll_wait(ep, events, max, timeout_ms)
  [281, { arg: 3, infinite: 'minus-one' }], // epoll_pwait
  [23, { arg: 4, infinite: 'null' }], // select(n, r, w, e, timeval*)
  [270, { arg: 4, infinite: 'null' }], // pselect6(n, r, w, e, timespec*, sig)
  [271, { arg: 2, infinite: 'null' }], // ppoll(fds, n, timespec*, sig)
  [441, { arg: 3, infinite: 'null' }], // epoll_pwait2(ep, events, max, timespec*)
  [202, { arg: 3, infinite: 'null' }], // futex(addr, op, val, timespec*) — wait ops only, see below
  [128, { arg: 2, infinite: 'null' }], // rt_sigtimedwait(set, info, timespec*)
]);
const FUTEX_WAIT_OPS = new Set([0 /* WAIT */, 9 /* WAIT_BITSET */]);
const CAN_READ_SYSCALLS = process.platform === 'linux' && process.arch === 'x64';

/** Classifies /proc/<tid>/syscall text ("nr a0 a1 a2 a3 a4 a5 sp pc", "running", "-1 sp pc"). */
export function classifyWait(syscallText: string): WaitKind {
  if (!CAN_READ_SYSCALLS) return 'unknown';
  const fields = syscallText.trim().split(/\s+/);
  const nr = Number(fields[0]);
  if (!Number.isInteger(nr) || nr < 0) return 'unknown';
  if (ALWAYS_TIMER.has(nr)) return 'timer';
  const rule = TIMEOUT_ARG.get(nr);
  if (!rule) return 'input';
  const raw = fields[1 + rule.arg];
  if (raw === undefined) return 'unknown';
  if (nr === 202) {
    const op = Number(BigInt(fields[2] ?? '0x0') & 0x7fn);
    if (!FUTEX_WAIT_OPS.has(op)) return 'input';
  }
  const value = BigInt(raw);
  const infinite = rule.infinite === 'null' ? value === 0n : BigInt.asIntN(32, value) < 0n;
  return infinite ? 'input' : 'timer';
}

const readText = (file: string) => readFile(file, 'utf8').catch(() => undefined);

/** The state letter: the field after the parenthesised command name, which may hold spaces. */
export function stateOf(stat: string): string {
  const close = stat.lastIndexOf(')');
  return close === -1 ? '?' : stat.slice(close + 2, close + 3);
}

async function sampleThread(pid: number, tid: number): Promise<ThreadSample | undefined> {
  const base = `/proc/${pid}/task/${tid}`;
  const [stat, schedstat, syscall] = await Promise.all([readText(`${base}/stat`), readText(`${base}/schedstat`), readText(`${base}/syscall`)]);
  if (stat === undefined || schedstat === undefined) return undefined;
  const [cpu = '0', delay = '0'] = schedstat.trim().split(/\s+/);
  const state = stateOf(stat);
  return {
    tid,
    state,
    cpuNs: BigInt(cpu),
    runDelayNs: BigInt(delay),
    wait: state === 'S' && syscall !== undefined ? classifyWait(syscall) : 'unknown',
  };
}

/** Every thread of the given processes that still exists; those of `kitPids` marked as the kit's. */
export async function sampleThreads(pids: readonly number[], kitPids?: ReadonlySet<number>): Promise<ThreadSample[]> {
  const perProcess = await Promise.all(
    pids.map(async (pid) => {
      const tids = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
      const samples = await Promise.all(tids.map((t) => sampleThread(pid, Number(t))));
      return kitPids?.has(pid) ? samples.map((s) => s && { ...s, kit: true }) : samples;
    }),
  );
  return perProcess.flat().filter((s): s is ThreadSample => s !== undefined);
}

/** The process and every descendant, found through /proc/<pid>/task/<tid>/children (setsid'd ones included). */
export async function processTree(root: number): Promise<number[]> {
  const seen = new Set<number>();
  let frontier = [root];
  while (frontier.length > 0 && seen.size < 4096) {
    for (const pid of frontier) seen.add(pid);
    const children = await Promise.all(
      frontier.map(async (pid) => {
        const tids = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
        const lists = await Promise.all(tids.map((t) => readText(`/proc/${pid}/task/${t}/children`)));
        return lists.flatMap((l) => (l ?? '').split(/\s+/).filter(Boolean).map(Number));
      }),
    );
    frontier = [...new Set(children.flat())].filter((p) => !seen.has(p));
  }
  return [...seen];
}
