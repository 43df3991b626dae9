import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { listenInbound, type InboundRelay } from './sandbox-relay.ts';
import { canConnect } from '../targets/can-connect.ts';
import { listenerOwnedBy } from '../targets/port-owner.ts';
import { CappedOutput } from './capped-output.ts';
import { TimedLines } from '../targets/timed-lines.ts';
import { DEFAULT_FILE_LIMIT, mib, quotaBreach } from './disk-quota.ts';
import { killGroup, sweepProcesses, trackGroup, untrackGroup } from './process-tree.ts';

// One student server process: started in its workspace on a free port, watched until it listens,
// exits or runs out of time, and always stopped with its whole process tree.

export type StartFailure =
  | { status: 'no-listen'; detail: string }
  | { status: 'crashed'; detail: string }
  | { status: 'disk-quota'; detail: string }  // bytes or files: "workspace grew past N MiB" / "workspace holds more than N files"
  | { status: 'aborted'; detail: string };

export interface ServerProcessOptions {
  argv: string[];
  workspace: string;
  port: number;
  readyMs: number;
  outputLimitBytes: number;
  diskLimitBytes: number;
  /**
   * Files and folders the workspace may hold: a quota on bytes alone lets a server exhaust the
   * filesystem's inodes with empty files. Default DEFAULT_FILE_LIMIT.
   */
  fileLimit?: number;
  env?: Record<string, string>;
  /**
   * The server runs in its own network namespace: `port` on the host is a relay into the sandbox
   * through this Unix socket (sandbox-relay.ts), and readiness is probed through it. The socket's
   * folder is writable by the sandbox, so it counts against the quotas too.
   */
  relaySocket?: string;
}

// Moved to disk-quota.ts (the client half watches its workspace too); kept here for existing imports.
export { DEFAULT_FILE_LIMIT, directorySize, directoryUsage } from './disk-quota.ts';

// One allocator for the whole process, so the grader and the harness never hand out one port twice.
export { freePort } from '../targets/free-port.ts';

export class ServerProcess {
  readonly stdout: CappedOutput;
  readonly stderr: CappedOutput;
  /** The same output as lines stamped on arrival, for the case that was running when it came. */
  readonly lines = new TimedLines();
  private readonly child: ChildProcess;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;
  /** 'close': the output pipes are read to the end too ('exit' can come before the last lines). */
  private readonly outputEnded: Promise<void>;
  private diskTimer: NodeJS.Timeout | undefined;
  private quotaHit: string | undefined;
  private stopping = false;
  private readonly relay: Promise<InboundRelay | Error> | undefined;

  constructor(private readonly options: ServerProcessOptions) {
    this.stdout = new CappedOutput(options.outputLimitBytes);
    this.stderr = new CappedOutput(options.outputLimitBytes);
    const [command, ...args] = options.argv;
    if (!command) throw new Error('empty server command');
    this.child = spawn(command, args, {
      cwd: options.workspace,
      detached: true, // own process group, so the whole tree can be signalled at once
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...options.env },
    });
    trackGroup(this.child.pid);
    this.child.stdout?.on('data', (c: Buffer) => {
      this.stdout.push(c);
      this.lines.push('stdout', c);
    });
    this.child.stderr?.on('data', (c: Buffer) => {
      this.stderr.push(c);
      this.lines.push('stderr', c);
    });
    this.outputEnded = new Promise((resolve) => this.child.on('close', () => resolve()));
    this.exited = new Promise((resolve) => {
      this.child.on('error', (error) => {
        this.stderr.push(Buffer.from(`${error.message}\n`));
        this.exitInfo ??= { code: -1, signal: null };
        resolve();
      });
      this.child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve();
      });
    });
    if (options.relaySocket) {
      // Bound before the sandbox starts: the port is ours from the start, and a port taken meanwhile
      // fails here as "address already in use", which the sandboxed target retries on a new port.
      this.relay = listenInbound({ port: options.port, socketPath: options.relaySocket }).catch((error: Error) => error);
    }
    this.diskTimer = setInterval(() => void this.checkDisk(), 500);
    this.diskTimer.unref();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  get diskQuotaExceeded(): string | undefined {
    return this.quotaHit;
  }

  private async checkDisk(): Promise<void> {
    if (this.quotaHit || !this.running) return;
    const dirs = [this.options.workspace, ...(this.options.relaySocket ? [path.dirname(this.options.relaySocket)] : [])];
    const breach = await quotaBreach(dirs, { bytes: this.options.diskLimitBytes, files: this.options.fileLimit ?? DEFAULT_FILE_LIMIT });
    if (this.quotaHit || !breach) return;
    this.quotaHit =
      breach.kind === 'bytes' ? `workspace grew past ${mib(breach.limit)} MiB` : `workspace holds more than ${breach.limit} files (too many files)`;
    await this.stop();
  }

  /** Resolves when the port accepts a connection; otherwise a classified failure. */
  async waitListening(isAborted: () => boolean = () => false): Promise<StartFailure | undefined> {
    const deadline = Date.now() + this.options.readyMs;
    while (Date.now() < deadline) {
      if (isAborted()) return { status: 'aborted', detail: 'the submission ran out of time' };
      if (this.quotaHit) return { status: 'disk-quota', detail: this.quotaHit };
      if (!this.running) return { status: 'crashed', detail: await this.finalCrashLine() };
      if (this.relay) {
        const relay = await this.relay;
        if (relay instanceof Error) return { status: 'crashed', detail: `relay on port ${this.options.port}: ${relay.message}` };
        // Inside its own network namespace only the student's processes can listen: no ownership check.
        if (await relay.probe(1000)) return undefined;
      } else if (await canConnect(this.options.port, 1000)) {
        // A probe that reaches another process's server (the port was taken before ours bound it)
        // is not readiness: keep waiting, and ours exits with "address already in use", which the
        // sandboxed target retries on a new port.
        const owned = this.child.pid === undefined ? undefined : await listenerOwnedBy(this.options.port, this.child.pid);
        if (owned !== false) return undefined;
      }
      await Promise.race([this.exited, delay(50)]);
    }
    if (!this.running) return { status: 'crashed', detail: await this.finalCrashLine() };
    // One last look: a server busy filling its workspace is past its quota, not merely slow to listen.
    await this.checkDisk();
    if (this.quotaHit) return { status: 'disk-quota', detail: this.quotaHit };
    return {
      status: 'no-listen',
      detail: `did not listen on port ${this.options.port} within ${this.options.readyMs / 1000} s (server.py must take the port from --port)`,
    };
  }

  /** The crash line once the output written before the exit is read (bounded: a child may hold the pipe). */
  private async finalCrashLine(): Promise<string> {
    await Promise.race([this.outputEnded, delay(1000)]);
    return this.crashLine();
  }

  crashLine(): string {
    const info = this.exitInfo;
    const last = this.stderr.lastLine() ?? this.stdout.lastLine();
    if (last) return last;
    if (info?.signal) return `killed by ${info.signal}`;
    if (info?.code === 0) return 'exited with code 0 (server.py must keep running in the foreground)';
    return `exited with code ${info?.code ?? '?'}`;
  }

  exitDescription(): string | undefined {
    if (!this.exitInfo) return undefined;
    return this.exitInfo.signal ? `killed by ${this.exitInfo.signal}` : `exit code ${this.exitInfo.code}`;
  }

  /** SIGTERM, a short grace, SIGKILL; then anything left with its cwd in the workspace. */
  async stop(): Promise<void> {
    if (this.diskTimer) clearInterval(this.diskTimer);
    this.diskTimer = undefined;
    if (this.stopping) {
      await this.exited;
      return;
    }
    this.stopping = true;
    if (this.running) {
      killGroup(this.child.pid, 'SIGTERM');
      await Promise.race([this.exited, delay(300)]);
      killGroup(this.child.pid, 'SIGKILL');
      await Promise.race([this.exited, delay(2000)]);
    }
    await sweepProcesses(this.options.workspace);
    untrackGroup(this.child.pid);
    const relay = await this.relay;
    if (relay && !(relay instanceof Error)) await relay.close();
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
