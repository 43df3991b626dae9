import path from 'node:path';
import { listenInbound, type InboundRelay } from '../sandbox/sandbox-relay.ts';
import { canConnect } from './can-connect.ts';
import { CappedOutput } from './capped-output.ts';
import { DEFAULT_FILE_LIMIT, mib, quotaBreach } from './disk-quota.ts';
import { throttleOutput } from './output-throttle.ts';
import { listenerOwnedBy } from './port-owner.ts';
import { spawnGroup, sweepProcesses, type ExitInfo, type GroupProcess } from './process-groups.ts';
import { KitBusyError } from '../errors.ts';
import { OwnClock, type ProgressProbe } from './own-time.ts';
import { TimedLines } from './timed-lines.ts';
import { treeProbe } from './tree-probe.ts';

// One server process, whoever starts it (the spawned target of `instanet test --server`, the
// grader's sandboxed target): started in its workspace on a given port, watched until it listens,
// exits or runs out of time, and always stopped with its whole process tree.

export type StartFailure =
  /** wallMs: the clock's time for the own-time budget the server spent without listening. */
  | { status: 'no-listen'; detail: string; wallMs: number }
  | { status: 'crashed'; detail: string }
  | { status: 'disk-quota'; detail: string } // bytes or files: "workspace grew past N MiB" / "workspace holds more than N files"
  | { status: 'aborted'; detail: string }
  /** Another process holds the port (it was taken between allocation and bind): retry on a new one. */
  | { status: 'port-taken'; detail: string }
  /** The server says it listens on a port other than the one it was given. */
  | { status: 'wrong-port'; detail: string }
  /** The sandbox ended before its launcher ran the server (startSignal): the kit's failure, not the server's. */
  | { status: 'sandbox-failed'; detail: string };

export interface StopResult {
  status: 'ok' | 'crashed' | 'killed';
  detail?: string;
}

export interface ServerProcessOptions {
  argv: readonly string[];
  workspace: string;
  port: number;
  readyMs: number;
  outputLimitBytes: number;
  /** Past this many bytes in the workspace the server is stopped (`disk-quota`); none when absent. */
  diskLimitBytes?: number;
  /**
   * Files and folders the workspace may hold: a quota on bytes alone lets a server exhaust the
   * filesystem's inodes with empty files. Default DEFAULT_FILE_LIMIT; only with diskLimitBytes.
   */
  fileLimit?: number;
  env?: Record<string, string>;
  /**
   * The server runs in its own network namespace: `port` on the host is a relay into the sandbox
   * through this Unix socket (sandbox-relay.ts), and readiness is probed through it. The socket's
   * folder is writable by the sandbox, so it counts against the quotas too.
   */
  relaySocket?: string;
  /**
   * Fail fast (`wrong-port`) when the server prints that it listens on another port: a hand-run
   * server with a hard-coded port would otherwise be reported only as "did not listen".
   */
  checkAnnouncedPort?: boolean;
  /** How long a SIGTERM is given before SIGKILL (default 300 ms). */
  stopGraceMs?: number;
  /**
   * argv is a sandbox whose launcher signals on fd 3 when it runs the server (sandbox.ts startedFd):
   * an exit without that signal is `sandbox-failed`, never `crashed`.
   */
  startSignal?: boolean;
  /** CPU (ns) of every process of the hand-in this server belongs to (its resource box), for own time. */
  handInCpuNs?: () => Promise<number>;
}

// "Server listening on 127.0.0.1:5000", "listening on port 5000": what servers print when bound.
const LISTENING_ON = /listening on (?:port\s+|\[?[\w.:-]*?\]?:)(\d{1,5})\b/i;
const PROBE_MS = 1000;
/** The pause between two probes. */
const PAUSE_MS = 50;

export class ServerProcess {
  readonly stdout: CappedOutput;
  readonly stderr: CappedOutput;
  /** The same output as lines stamped on arrival, for the case that was running when it came. */
  readonly lines = new TimedLines();
  private readonly group: GroupProcess;
  private diskTimer: NodeJS.Timeout | undefined;
  private quotaHit: string | undefined;
  private stopped: Promise<StopResult> | undefined;
  private readonly relay: Promise<InboundRelay | Error> | undefined;
  private inbound: InboundRelay | undefined;

  constructor(private readonly options: ServerProcessOptions) {
    this.progress = treeProbe({
      pid: () => this.group.pid,
      running: () => this.running,
      ...(options.handInCpuNs ? { handInCpuNs: options.handInCpuNs } : {}),
    });
    this.stdout = new CappedOutput(options.outputLimitBytes);
    this.stderr = new CappedOutput(options.outputLimitBytes);
    this.group = spawnGroup(options.argv, {
      cwd: options.workspace,
      env: { PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...options.env },
      ...(options.startSignal ? { startSignal: true } : {}),
    });
    this.group.child.stdout?.on('data', (c: Buffer) => {
      this.stdout.push(c);
      this.lines.push('stdout', c);
    });
    this.group.child.stderr?.on('data', (c: Buffer) => {
      this.stderr.push(c);
      this.lines.push('stderr', c);
    });
    throttleOutput(this.group.child.stdout);
    throttleOutput(this.group.child.stderr);
    void this.group.exited.then((info) => {
      if (info.spawnError) this.stderr.push(Buffer.from(`${info.spawnError.message}\n`));
    });
    if (options.relaySocket) {
      // Bound before the sandbox starts: the port is ours from the start, and a port taken meanwhile
      // fails here as "address already in use", which the sandboxed target retries on a new port.
      this.relay = listenInbound({ port: options.port, socketPath: options.relaySocket }).catch((error: Error) => error);
      void this.relay.then((relay) => {
        if (!(relay instanceof Error)) this.inbound = relay;
      });
    }
    if (options.diskLimitBytes !== undefined) {
      this.diskTimer = setInterval(() => void this.checkDisk(), 500);
      this.diskTimer.unref();
    }
  }

  get pid(): number | undefined {
    return this.group.pid;
  }

  /** The server's threads (its whole process tree), for waits measured in its own time. */
  readonly progress: ProgressProbe;

  /**
   * The client port the server sees for a connection the kit opened from `clientPort`: the same one
   * without a relay; behind the sandbox's relay the one it dialled from inside, undefined while (or
   * when) the relay cannot say.
   */
  serverSidePort(clientPort: number): number | undefined {
    if (!this.options.relaySocket) return clientPort;
    return this.inbound?.seenAs(clientPort);
  }

  /** How the server ended; undefined while it runs. */
  get exitInfo(): ExitInfo | undefined {
    return this.group.exit();
  }

  get running(): boolean {
    return this.group.exit() === undefined;
  }

  get diskQuotaExceeded(): string | undefined {
    return this.quotaHit;
  }

  private async checkDisk(): Promise<void> {
    const limit = this.options.diskLimitBytes;
    if (limit === undefined || this.quotaHit || !this.running) return;
    const dirs = [this.options.workspace, ...(this.options.relaySocket ? [path.dirname(this.options.relaySocket)] : [])];
    const breach = await quotaBreach(dirs, { bytes: limit, files: this.options.fileLimit ?? DEFAULT_FILE_LIMIT });
    if (this.quotaHit || !breach) return;
    this.quotaHit =
      breach.kind === 'bytes' ? `workspace grew past ${mib(breach.limit)} MiB` : `workspace holds more than ${breach.limit} files (too many files)`;
    await this.stop();
  }

  /**
   * Resolves when the port accepts a connection from this server; otherwise a classified failure.
   * readyMs is the server's own time (own-time.ts): a start-up slowed by a busy machine is waited
   * for; a server that never listens fails once readyMs of its own time is spent. Throws
   * KitBusyError when the machine gave the server too little CPU to tell.
   */
  async waitListening(isAborted: () => boolean = () => false): Promise<StartFailure | undefined> {
    // No "stuck" here: a start-up has no request of the kit's in flight to be stuck on, only its budget.
    const clock = new OwnClock(this.progress, this.options.readyMs, { detectStuck: false });
    for (;;) {
      const early = await this.earlyFailure(isAborted);
      if (early) return early;
      const askedAt = performance.now();
      const probe = await this.probe();
      if (probe === 'ready') return undefined;
      if (probe !== 'not-yet') return probe;
      const probeMs = performance.now() - askedAt;
      const pausedAt = performance.now();
      await Promise.race([this.group.exited, delay(PAUSE_MS)]);
      const pauseMs = performance.now() - pausedAt;
      // A probe or a pause that ended late is the kit held up (OwnClock.check): a listening server idle
      // in accept() can then look unreachable, its probe's timer firing before its connection is seen.
      const verdict = await clock.check(Math.max(probeMs - PROBE_MS, pauseMs - PAUSE_MS));
      if (verdict.kind === 'kit-busy') {
        throw new KitBusyError(`the server on port ${this.options.port} could not be started: the machine gave it too little CPU (${Math.round(verdict.ownMs)} ms of its own time in ${Math.round(verdict.wallMs)} ms)`);
      }
      if (verdict.kind !== 'waiting') return this.lateFailure(verdict);
    }
  }

  /** What ends the wait before the next probe: an abort, a quota, an exit, a wrong port announced. */
  private async earlyFailure(isAborted: () => boolean): Promise<StartFailure | undefined> {
    if (isAborted()) return { status: 'aborted', detail: 'the submission ran out of time' };
    if (this.quotaHit) return { status: 'disk-quota', detail: this.quotaHit };
    if (!this.running) {
      const detail = await this.finalCrashLine();
      if (!(await this.launched())) return sandboxFailed(detail);
      return /address already in use/i.test(this.stderr.text()) ? { status: 'port-taken', detail } : { status: 'crashed', detail };
    }
    return this.options.checkAnnouncedPort ? this.announcedOtherPort() : undefined;
  }

  private async probe(): Promise<'ready' | 'not-yet' | StartFailure> {
    if (this.relay) {
      const relay = await this.relay;
      if (relay instanceof Error) {
        const detail = `relay on port ${this.options.port}: ${relay.message}`;
        return /address already in use/i.test(relay.message) ? { status: 'port-taken', detail } : { status: 'crashed', detail };
      }
      // Inside its own network namespace only the student's processes can listen: no ownership check.
      return (await relay.probe(PROBE_MS)) ? 'ready' : 'not-yet';
    }
    if (!(await canConnect(this.options.port, PROBE_MS))) return 'not-yet';
    // A probe that reaches another process's server (the port was taken before ours bound it) is not
    // readiness: the launch is retried on a new port.
    const owned = this.group.pid === undefined ? undefined : await listenerOwnedBy(this.options.port, this.group.pid);
    if (owned !== false) return 'ready';
    return { status: 'port-taken', detail: `port ${this.options.port} is held by another process, not by the server that was started` };
  }

  private announcedOtherPort(): StartFailure | undefined {
    for (const line of this.stdout.text().split('\n')) {
      const match = LISTENING_ON.exec(line);
      if (match && Number(match[1]) !== this.options.port) {
        return {
          status: 'wrong-port',
          detail: `the server printed "${line.trim()}": it listens on port ${match[1]}, not on ${this.options.port}, the port the kit put in place of {port}; make it use the port it is given`,
        };
      }
    }
    return undefined;
  }

  private async lateFailure(spent: { ownMs: number; wallMs: number }): Promise<StartFailure> {
    if (!this.running) {
      const detail = await this.finalCrashLine();
      return (await this.launched()) ? { status: 'crashed', detail } : sandboxFailed(detail);
    }
    // One last look: a server busy filling its workspace is past its quota, not merely slow to listen.
    await this.checkDisk();
    if (this.quotaHit) return { status: 'disk-quota', detail: this.quotaHit };
    return {
      status: 'no-listen',
      wallMs: spent.wallMs,
      detail: `did not listen on port ${this.options.port} within ${this.options.readyMs / 1000} s of its own time (${seconds(spent.wallMs)} s on the clock; server.py must take the port from --port)`,
    };
  }

  /**
   * Whether the server was ever run (always, without startSignal). Asked once it has exited, when
   * every holder of fd 3 is gone or going; bounded all the same, a late answer counts as run.
   */
  private async launched(): Promise<boolean> {
    const launched = this.group.launched;
    if (!launched) return true;
    return Promise.race([launched, delay(2000).then(() => true)]);
  }

  /**
   * The crash line once the output written before the exit is read: 'exit' can come before the
   * pipes' last lines. Bounded, because a child the server forked may hold the pipes open.
   */
  private async finalCrashLine(): Promise<string> {
    await Promise.race([this.group.closed, delay(1000)]);
    return this.crashLine();
  }

  crashLine(): string {
    const info = this.group.exit();
    const last = this.stderr.lastLine() ?? this.stdout.lastLine();
    if (last) return last;
    if (info?.signal) return `killed by ${info.signal}`;
    if (info?.code === 0) return 'exited with code 0 (server.py must keep running in the foreground)';
    return `exited with code ${info?.code ?? '?'}`;
  }

  exitDescription(): string | undefined {
    const info = this.group.exit();
    if (!info) return undefined;
    if (info.spawnError) return `could not start: ${info.spawnError.message}`;
    return info.signal ? `killed by ${info.signal}` : `exit code ${info.code}`;
  }

  /**
   * SIGTERM, a short grace, SIGKILL; then anything left with its cwd in the workspace. Says whether
   * the server had already ended by itself (crashed) or had to be killed. Safe to call twice.
   */
  stop(): Promise<StopResult> {
    if (this.diskTimer) clearInterval(this.diskTimer);
    this.diskTimer = undefined;
    this.stopped ??= this.stopOnce();
    return this.stopped;
  }

  private async stopOnce(): Promise<StopResult> {
    const result = await this.endGroup();
    await sweepProcesses(this.options.workspace);
    // What it wrote before it ended may still sit in the pipes: output read after stop() is whole
    // (bounded: a process the sweep did not find could still hold them open).
    await settlesWithin(this.group.closed, 1000);
    this.group.release();
    const relay = await this.relay;
    if (relay && !(relay instanceof Error)) await relay.close();
    return result;
  }

  private async endGroup(): Promise<StopResult> {
    const before = this.group.exit();
    if (before) {
      // The leader is gone but children it forked may still hold the group.
      this.group.signal('SIGKILL');
      return { status: 'crashed', detail: describeExit(before) };
    }
    this.group.signal('SIGTERM');
    const graceful = await settlesWithin(this.group.exited, this.options.stopGraceMs ?? 300);
    // SIGKILL either way: a leader that obeyed SIGTERM may leave children in its group behind.
    this.group.signal('SIGKILL');
    if (graceful) return { status: 'ok' };
    await settlesWithin(this.group.exited, 2000);
    return { status: 'killed', detail: 'did not stop on SIGTERM; killed' };
  }
}

function sandboxFailed(lastLine: string): StartFailure {
  return { status: 'sandbox-failed', detail: `the sandbox could not start the server (${lastLine})` };
}

function describeExit(info: ExitInfo): string {
  if (info.spawnError) return `could not start: ${info.spawnError.message}`;
  return `exited by itself (code ${info.code}, signal ${info.signal})`;
}

const seconds = (ms: number) => (Math.round(ms / 100) / 10).toString();

/** An unreferenced wait: it never keeps the kit alive by itself. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Whether `promise` settles within `ms`; the timer is cleared either way so it never delays exit. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
