import { CappedOutput } from './capped-output.ts';
import { mib, watchQuota, type QuotaLimits } from './disk-quota.ts';
import { spawnGroup, sweepProcesses } from './process-groups.ts';
import { delay } from './server-process.ts';

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
  const group = spawnGroup(argv, { cwd, env: { PYTHONDONTWRITEBYTECODE: '1', ...options.env } });
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
  const deadline = Date.now() + timeoutMs;
  let exit: string | undefined;
  while (exit === undefined) {
    exit = await Promise.race([exited, delay(200).then(() => undefined)]);
    if (exit === undefined && (Date.now() > deadline || isAborted())) {
      timedOut = true;
      group.signal('SIGKILL');
      exit = await Promise.race([exited, delay(3000).then(() => 'killed')]);
    }
  }
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
    ...(quotaHit ? { quotaHit } : {}),
  };
}
