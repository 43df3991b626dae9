import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TargetStartError, type Target, type TargetInstance } from '../../targets/target.ts';
import { RELAY_SOCKET, type RelayEndpoint, type SandboxCommand } from '../../sandbox/sandbox.ts';
import { SandboxFailedError } from '../../sandbox/errors.ts';
import { freePort } from '../../process/free-port.ts';
import { ServerProcess, type StartFailure } from '../../process/server-process.ts';
import type { OutputVolume } from '../../process/timed-lines.ts';
import { isOutputFlood } from './floods.ts';

// The grader's own Target (the harness contract in harness/targets/target.ts): each start() is a
// fresh copy of the submission's prepared workspace, run under the sandbox on a free port. Owning
// it here keeps every grader-specific guard (disk quota, capped output, abort, process sweep) in one
// place.

export type GraderTarget = Target;
export type GraderTargetInstance = TargetInstance;

/** How a grader start failed, in the statuses a grade has (a lost port race is a crash, as before). */
export type GraderStartFailure = { status: 'no-listen' | 'crashed' | 'disk-quota' | 'aborted'; detail: string };

function graderFailure(failure: Exclude<StartFailure, { status: 'sandbox-failed' }>): GraderStartFailure {
  if (failure.status === 'port-taken') return { status: 'crashed', detail: failure.detail };
  if (failure.status === 'wrong-port') return { status: 'no-listen', detail: failure.detail };
  return failure;
}

/** The grader's start failures carry their classification (no-listen, crashed, ...) for the status. */
export class ServerStartError extends TargetStartError {
  readonly failure: GraderStartFailure;
  constructor(failure: GraderStartFailure, output: { stdout: string; stderr: string }) {
    super(`${failure.status}: ${failure.detail}`, output);
    this.failure = failure;
  }
  get stdout(): string {
    return this.output.stdout;
  }
  get stderr(): string {
    return this.output.stderr;
  }
}

export interface SandboxedTargetOptions {
  /** Prepared workspace (code + fresh data/) copied for every start. */
  baseWorkspace: string;
  /** Folder the per-start copies go in. */
  scratch: string;
  /** The argv to run, {port} replaced, before sandbox wrapping. */
  command: readonly string[];
  /**
   * Sandbox wrapping. `expose` is where a server in its own network namespace can be reached: pass it
   * to sandboxCommand (`expose: [expose]`) and return its result, and the harness reaches the server
   * through the relay on the same port; a plain argv means the server shares the host's network.
   */
  wrap: (argv: string[], workspace: string, expose: RelayEndpoint) => string[] | SandboxCommand;
  readyMs: number;
  outputLimitBytes: number;
  diskLimitBytes: number;
  description: string;
  /** CPU (ns) of every process of the hand-in (its resource box): its servers' own time counts it. */
  handInCpuNs?: () => Promise<number>;
}

export class SandboxedTarget implements GraderTarget {
  readonly description: string;
  private count = 0;
  private readonly live = new Set<ServerProcess>();
  private readonly relayDirs = new Map<ServerProcess, string | undefined>();
  private aborted = false;
  /** Quota breaches and crashes seen while cases ran: they explain failures in the report. */
  readonly incidents: string[] = [];
  /** What each instance that flooded its output printed (floods.ts names the worst). */
  readonly outputFloods: OutputVolume[] = [];

  constructor(private readonly options: SandboxedTargetOptions) {
    this.description = options.description;
  }

  async start(): Promise<GraderTargetInstance> {
    if (this.aborted) throw new ServerStartError({ status: 'aborted', detail: 'the submission ran out of time' }, { stdout: '', stderr: '' });
    const workspace = path.join(this.options.scratch, `instance-${++this.count}`);
    await mkdir(workspace, { recursive: true });
    await cp(this.options.baseWorkspace, workspace, { recursive: true });
    let lastError: ServerStartError | undefined;
    // A port picked as free can be taken by a parallel job before Python binds it: one retry.
    for (let attempt = 0; attempt < 2; attempt++) {
      const port = await freePort();
      const argv = this.options.command.map((a) => a.replaceAll('{port}', String(port)));
      // Outside the workspace (whose copy must not carry a socket), in scratch so it goes with it,
      // unless that is too deep: a Unix socket path has a 108-byte limit.
      const relays = path.join(this.options.scratch, 'relays');
      const deep = path.join(relays, 'r-XXXXXX', RELAY_SOCKET).length > 100;
      if (!deep) await mkdir(relays, { recursive: true });
      const socketDir = await mkdtemp(deep ? path.join(os.tmpdir(), 'instanet-relay-') : path.join(relays, 'r-'));
      const wrapped = this.options.wrap(argv, workspace, { socketDir, port });
      const sandboxed: Pick<SandboxCommand, 'argv' | 'exposeSockets' | 'startedFd'> = Array.isArray(wrapped) ? { argv: wrapped, exposeSockets: [] } : wrapped;
      const relaySocket = sandboxed.exposeSockets[0];
      if (!relaySocket) await rm(socketDir, { recursive: true, force: true });
      const proc = new ServerProcess({
        argv: sandboxed.argv,
        workspace,
        port,
        readyMs: this.options.readyMs,
        outputLimitBytes: this.options.outputLimitBytes,
        diskLimitBytes: this.options.diskLimitBytes,
        ...(relaySocket ? { relaySocket } : {}),
        ...(sandboxed.startedFd !== undefined ? { startSignal: true } : {}),
        ...(this.options.handInCpuNs ? { handInCpuNs: this.options.handInCpuNs } : {}),
      });
      this.relayDirs.set(proc, relaySocket ? socketDir : undefined);
      this.live.add(proc);
      const failure = await proc.waitListening(() => this.aborted);
      if (!failure) return this.instance(proc, port, workspace);
      await this.stopProcess(proc);
      // Not a start failure of the server's (run-suite.ts would charge it to the case): the kit's.
      if (failure.status === 'sandbox-failed') throw new SandboxFailedError(failure.detail);
      lastError = new ServerStartError(graderFailure(failure), { stdout: proc.stdout.text(), stderr: proc.stderr.text() });
      if (failure.status !== 'port-taken') break;
    }
    throw lastError as ServerStartError;
  }

  private instance(proc: ServerProcess, port: number, workspace: string): GraderTargetInstance {
    return {
      host: '127.0.0.1',
      port,
      dataDir: path.join(workspace, 'data'),
      progress: proc.progress,
      output: () => ({ stdout: proc.stdout.text(), stderr: proc.stderr.text() }),
      outputBetween: (from, to) => proc.lines.between(from, to),
      lastOutputAt: () => proc.lines.lastAt,
      serverSidePort: (clientPort) => proc.serverSidePort(clientPort),
      stop: async () => {
        const crashed = !proc.running;
        const quota = proc.diskQuotaExceeded;
        const detail = quota ?? (crashed ? `${proc.exitDescription()}: ${proc.crashLine()}` : undefined);
        await this.stopProcess(proc);
        if (quota) this.incidents.push(`disk-quota: ${quota}`);
        else if (crashed) this.incidents.push(`crashed during the run: ${proc.crashLine()}`);
        if (quota || crashed) return { status: quota ? 'killed' : 'crashed', detail: detail ?? '' };
        return { status: 'ok' };
      },
    };
  }

  private async stopProcess(proc: ServerProcess): Promise<void> {
    await proc.stop();
    if (this.live.has(proc) && isOutputFlood(proc.lines.volume)) this.outputFloods.push(proc.lines.volume);
    this.live.delete(proc);
    const dir = this.relayDirs.get(proc);
    this.relayDirs.delete(proc);
    if (dir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }

  /** Stops every running instance and refuses new ones: the submission's budget is spent. */
  async abort(): Promise<void> {
    this.aborted = true;
    await Promise.all([...this.live].map((p) => this.stopProcess(p)));
  }

  get liveCount(): number {
    return this.live.size;
  }
}
