import { performance } from 'node:perf_hooks';
import { CappedOutput } from './capped-output.ts';
import { mib, watchQuota, type QuotaLimits } from './disk-quota.ts';
import { OwnClock } from './own-time.ts';
import { spawnGroup, sweepProcesses, type GroupProcess } from './process-groups.ts';
import { delay } from './server-process.ts';
import { treeProbe } from './tree-probe.ts';

// A command that must end: the client half's judge, a test's helper script. It runs in its own
// process group, its output drained (stdout whole up to a ceiling, stderr capped), and past its
// deadline, on abort or past its disk quota the whole tree is killed, and anything left working in
// its folder is swept.

export interface BoundedRun {
  stdout: string;
  stderr: string;
  /** How it ended, in words: "exit code 0", "killed by SIGKILL", "could not start: ...". */
  exit: string;
  /** The exit code when it exited by itself; null when killed or never started. */
  code: number | null;
  timedOut: boolean;
  /**
   * ownTime only: the wall clock ran far past timeoutMs while the command's own time had not (the
   * machine gave it too little CPU to finish): the kit's failure, in words.
   */
  kitBusy?: string;
  /** Set when the watched folders went past their quota and the whole tree was killed for it. */
  quotaHit?: string;
}

/** Folders written by the sandboxed student code, and how much they may hold. */
export interface Quota {
  dirs: readonly string[];
  limits: QuotaLimits;
}

export interface BoundedOptions {
  /** Where it runs; whatever is still working inside this folder afterwards is killed too. */
  cwd: string;
  timeoutMs: number;
  /** stderr is capped to this; stdout to a generous ceiling of at least 8 MiB. */
  outputLimitBytes: number;
  isAborted?: () => boolean;
  quota?: Quota;
  env?: Record<string, string>;
  /**
   * Measure timeoutMs in the hand-in's own time (own-time.ts): the command is the kit's (a judge)
   * and the hand-in is every process it starts, whose CPU alone counts while anything waits; tell
   * it on stdin, as `own OWN AT` lines (ownTimeLine), so its own deadlines can be kept in own time
   * too (the client half's judge).
   */
  ownTime?: boolean;
}

const TICK_MS = 200;

/** performance.now() is CLOCK_MONOTONIC from an origin of its own; process.hrtime is CLOCK_MONOTONIC itself. */
const MONOTONIC_OFFSET_MS = Number(process.hrtime.bigint()) / 1e6 - performance.now();

/**
 * `own OWN AT`: at CLOCK_MONOTONIC second AT (the sample the figure comes from), the command's own
 * time stood at OWN, on the monotonic scale (the clock's start plus the own time since). Python's
 * time.monotonic() reads the same clock, so the reader counts from AT, not from when the line
 * reached it: a line that sat in the pipe while the reader was starved (it said `grace SECONDS`,
 * read on arrival, before) adds nothing to the hand-in's time.
 */
export function ownTimeLine(confirmed: { ownMs: number; at: number; startedAt: number }): string {
  const own = (confirmed.startedAt + MONOTONIC_OFFSET_MS + confirmed.ownMs) / 1000;
  const at = (confirmed.at + MONOTONIC_OFFSET_MS) / 1000;
  return `own ${own.toFixed(6)} ${at.toFixed(6)}\n`;
}

/** Decides, tick by tick, whether a bounded run is over its time: by the wall clock or in own time. */
interface Timekeeper {
  /** Called every tick with how late the tick came; returns why the run must end, if it must. */
  tick(lateMs: number): Promise<'timeout' | 'kit-busy' | undefined>;
  describe(): string;
}

function wallTimekeeper(timeoutMs: number): Timekeeper {
  const deadline = Date.now() + timeoutMs;
  return { tick: async () => (Date.now() > deadline ? 'timeout' : undefined), describe: () => `${timeoutMs} ms` };
}

function ownTimekeeper(group: GroupProcess, timeoutMs: number): Timekeeper {
  // The command is the kit's judge; the hand-in is what it starts (rootIsKit).
  const probe = treeProbe({ pid: () => group.pid, running: () => group.exit() === undefined, rootIsKit: true });
  // The judge waits on timers of its own, so it never looks stuck; only its budget can run out.
  const clock = new OwnClock(probe, timeoutMs, { detectStuck: false, wallFactor: 5, minWallCapMs: 0 });
  return {
    tick: async (lateMs) => {
      // A late tick means this process (the kit: the reference server, the relays) was starved.
      const verdict = await clock.check(lateMs);
      if (group.child.stdin?.writable) group.child.stdin.write(ownTimeLine(clock.confirmed));
      if (verdict.kind === 'expired') return 'timeout';
      if (verdict.kind === 'kit-busy') return 'kit-busy';
      return undefined;
    },
    describe: () => `${Math.round(clock.ownMs)} ms of its own time in ${Math.round(clock.wallMs)} ms on the clock`,
  };
}

/**
 * Runs argv in its own process group; past the deadline, on abort, or once the quota's folders grow
 * past it, the whole tree is killed.
 */
export async function runBounded(argv: readonly string[], options: BoundedOptions): Promise<BoundedRun> {
  const { cwd, timeoutMs, outputLimitBytes, quota } = options;
  const isAborted = options.isAborted ?? (() => false);
  const stdoutChunks: Buffer[] = [];
  let stdoutBytes = 0;
  const stderr = new CappedOutput(outputLimitBytes);
  const group = spawnGroup(argv, { cwd, env: { PYTHONDONTWRITEBYTECODE: '1', ...options.env }, stdin: options.ownTime ? 'pipe' : 'ignore' });
  // stdout is the driver's JSON and must stay whole; it is bounded by a generous ceiling instead.
  const stdoutCeiling = Math.max(outputLimitBytes, 8 * 1024 * 1024);
  group.child.stdout?.on('data', (c: Buffer) => {
    stdoutBytes += c.length;
    if (stdoutBytes <= stdoutCeiling) stdoutChunks.push(c);
  });
  group.child.stderr?.on('data', (c: Buffer) => stderr.push(c));
  let timedOut = false;
  let quotaHit: string | undefined;
  const watch = quota
    ? watchQuota(quota.dirs, quota.limits, (breach) => {
        quotaHit =
          breach.kind === 'bytes'
            ? `wrote past its disk quota (${mib(breach.limit)} MiB)`
            : `created more than ${breach.limit} files (too many files)`;
        group.signal('SIGKILL');
      })
    : undefined;
  let code: number | null = null;
  const exited = group.closed.then((info) => {
    code = info.spawnError || info.signal ? null : info.code;
    return info.spawnError ? `could not start: ${info.spawnError.message}` : info.signal ? `killed by ${info.signal}` : `exit code ${info.code}`;
  });
  const timekeeper = options.ownTime ? ownTimekeeper(group, timeoutMs) : wallTimekeeper(timeoutMs);
  let kitBusy: string | undefined;
  let exit: string | undefined;
  while (exit === undefined) {
    const tickAt = performance.now();
    exit = await Promise.race([exited, delay(TICK_MS).then(() => undefined)]);
    if (exit !== undefined) break;
    const over = await timekeeper.tick(performance.now() - tickAt - TICK_MS);
    if (over || isAborted()) {
      timedOut = true;
      if (over === 'kit-busy') kitBusy = `the machine gave it too little CPU to finish (${timekeeper.describe()})`;
      group.signal('SIGKILL');
      exit = await Promise.race([exited, delay(3000).then(() => 'killed')]);
    }
  }
  group.child.stdin?.end();
  watch?.stop();
  group.signal('SIGKILL');
  await sweepProcesses(cwd);
  group.release();
  return {
    stdout: Buffer.concat(stdoutChunks).toString('utf8'),
    stderr: stderr.text(),
    exit,
    code,
    timedOut,
    ...(kitBusy ? { kitBusy } : {}),
    ...(quotaHit ? { quotaHit } : {}),
  };
}
