import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { HostConfig } from 'dockerode';
import { GenericContainer, getContainerRuntimeClient, Wait, type StartedTestContainer } from 'testcontainers';
import { InstaNetError } from '../errors.ts';
import { SANDBOX_LAUNCHER, RELAY_SOCKET } from '../sandbox/sandbox.ts';
import { listenInbound, type InboundRelay } from '../sandbox/sandbox-relay.ts';
import { allocateSandboxUid, chownTree } from '../sandbox/sandbox-uid.ts';
import { freePort } from '../process/free-port.ts';
import { TargetStartError, type Target, type TargetInstance } from './target.ts';

// A submission run in a container (`instanet grade --sandbox container`): for machines without
// bubblewrap, or a course that wants the exact Python of its lab image. The guarantees are bwrap's:
// no network at all (NetworkMode none; the harness reaches the server only through the kit's relay
// on a Unix socket in a bound folder, python/sandbox_launcher.py inside, sandbox-relay.ts outside),
// never root (a sandbox uid of its own, sandbox-uid.ts, so RLIMIT_NPROC binds per submission), no
// capabilities, no-new-privileges, a read-only image with the workspace as the only writable place,
// and limits on processes (pids cgroup and nproc), memory (cgroup, no swap), open files, file size
// and CPU seconds. Each start() gets a fresh copy of the workspace.

const MOUNT = '/submission';
const RELAY_INSIDE = '/run/instanet-relay';
const LAUNCHER_INSIDE = '/run/instanet/sandbox_launcher.py';
/** The server's port inside; its network namespace is its own, so any fixed port will do. */
const SERVER_PORT = 5000;
/** Every container the kit starts carries it, so `container-engine.sh clean` finds leftovers. */
export const CONTAINER_LABEL = { 'instanet.kit': 'sandbox' } as const;
const OPEN_FILES = 1024;
/** Debian's and the official Python images' python3 are both on it. */
const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** /dev/shm and /tmp are RAM: sized, as under bwrap. */
const SHM_BYTES = 16 * 1024 * 1024;

export interface ContainerLimits {
  memoryMiB: number;
  processes: number;
  fileSizeMiB: number;
  cpuSeconds: number;
}

export interface ContainerTargetOptions {
  /** Prepared workspace (code + data/), copied for every start. */
  workspace: string;
  image: string;
  /** argv of the server inside the container; "{port}" is replaced by the server's port. */
  command: readonly string[];
  readyMs: number;
  limits?: ContainerLimits;
  /** Where the per-start copies go (default: the OS's temp folder). */
  scratch?: string;
}

export class ContainerUnavailableError extends InstaNetError<'INSTANET_ERR_CONTAINER_RUNTIME'> {
  constructor(message: string) {
    super('INSTANET_ERR_CONTAINER_RUNTIME', message);
  }
}

/** A start that failed, classified like the bwrap sandbox's (no-listen, crashed) for the grader. */
export class ContainerStartError extends TargetStartError {
  constructor(
    readonly failure: { status: 'no-listen' | 'crashed'; detail: string },
    output: { stdout: string; stderr: string },
  ) {
    super(`${failure.status}: ${failure.detail}`, output);
  }
}

/** Throws a clear error when no container engine answers (testcontainers' own is a stack trace). */
export async function assertContainerRuntime(): Promise<void> {
  try {
    await getContainerRuntimeClient();
  } catch (error) {
    throw new ContainerUnavailableError(`--sandbox container needs a Docker-compatible engine: ${(error as Error).message.split('\n')[0]}`);
  }
}

// testcontainers has no builder for these HostConfig fields; its hostConfig is protected for subclasses.
class HardenedContainer extends GenericContainer {
  withHostConfig(extra: Partial<HostConfig>): this {
    Object.assign(this.hostConfig, extra);
    return this;
  }
}

function hostConfigFor(limits: ContainerLimits | undefined): Partial<HostConfig> {
  const config: Partial<HostConfig> = {
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges'],
    ReadonlyRootfs: true,
    Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${SHM_BYTES}` },
    ShmSize: SHM_BYTES,
  };
  if (!limits) return config;
  const mib = 1024 * 1024;
  // Headroom of a few tasks for the kit's launcher, as under bwrap.
  const tasks = limits.processes + 8;
  return {
    ...config,
    Memory: limits.memoryMiB * mib,
    MemorySwap: limits.memoryMiB * mib,
    PidsLimit: tasks,
    // Explicit nofile and nproc: without them podman copies the engine's own, which runc may not set here.
    Ulimits: [
      { Name: 'nofile', Soft: OPEN_FILES, Hard: OPEN_FILES },
      { Name: 'nproc', Soft: tasks, Hard: tasks },
      { Name: 'fsize', Soft: limits.fileSizeMiB * mib, Hard: limits.fileSizeMiB * mib },
      { Name: 'cpu', Soft: limits.cpuSeconds, Hard: limits.cpuSeconds },
    ],
  };
}

function lastLine(text: string): string | undefined {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).at(-1);
}

export function containerTarget(options: ContainerTargetOptions): Target {
  return {
    description: `${options.command.join(' ')} in ${options.image}`,
    profile: 'course',
    async start(): Promise<TargetInstance> {
      const copy = await prepareCopy(options);
      const logs = new ContainerLogs();
      let container: StartedTestContainer | undefined;
      let relay: InboundRelay | undefined;
      // Stops are kills (timeout 0): the server is PID 1 in its container, which ignores SIGTERM, so a
      // grace period would cost every instance its full length; nothing of a server's is read after.
      const cleanup = async () => {
        await relay?.close();
        await container?.stop({ timeout: 0, remove: true }).catch(() => undefined);
        await rm(copy.root, { recursive: true, force: true }).catch(() => undefined);
      };
      try {
        container = await containerFor(options, copy, logs).start();
        const port = await freePort();
        relay = await listenInbound({ port, socketPath: path.join(copy.relayDir, RELAY_SOCKET) });
        const running = await runningCheck(container.getId());
        const failure = await waitReady(relay, running, options.readyMs, () => logs.crashLine());
        if (failure) {
          await cleanup();
          throw new ContainerStartError(failure, logs.result());
        }
        return instanceOf(container, relay, running, copy, port, logs);
      } catch (error) {
        if (error instanceof ContainerStartError) throw error;
        await cleanup();
        throw new ContainerStartError({ status: 'no-listen', detail: `the container did not start: ${(error as Error).message.split('\n')[0]}` }, logs.result());
      }
    },
  };
}

interface ContainerCopy {
  /** Holds both folders below; removed when the instance stops. */
  root: string;
  /** The submission's copy, bound read-write as the container's working folder. */
  workspace: string;
  /** Where the launcher inside creates the relay's Unix socket. */
  relayDir: string;
  /** The host uid the container runs as (a sandbox uid of its own when the kit runs as root). */
  uid: number | undefined;
}

async function prepareCopy(options: ContainerTargetOptions): Promise<ContainerCopy> {
  const root = await mkdtemp(path.join(options.scratch ?? os.tmpdir(), 'instanet-container-'));
  const workspace = path.join(root, 'ws');
  const relayDir = path.join(root, 'relay');
  await mkdir(relayDir, { recursive: true });
  await cp(options.workspace, workspace, { recursive: true });
  const uid = process.getuid?.() === 0 ? allocateSandboxUid() : undefined;
  if (uid !== undefined) chownTree(root, uid);
  return { root, workspace, relayDir, uid };
}

/** The engine's log stream, kept to its last 256 KiB: it interleaves stdout and stderr. */
class ContainerLogs {
  private text = '';
  private ended!: () => void;
  private readonly done = new Promise<void>((resolve) => (this.ended = resolve));

  consume(stream: Readable): void {
    stream.on('data', (c: Buffer | string) => (this.text = (this.text + c.toString()).slice(-256 * 1024)));
    stream.once('end', () => this.ended());
    stream.once('error', () => this.ended());
  }

  result(): { stdout: string; stderr: string } {
    return { stdout: this.text, stderr: '' };
  }

  lastLine(): string | undefined {
    return lastLine(this.text);
  }

  /** The crash line is the log's last line, once the stream has ended (or 2 s have passed). */
  async crashLine(): Promise<string | undefined> {
    await Promise.race([this.done, new Promise((r) => setTimeout(r, 2000).unref())]);
    return this.lastLine();
  }
}

function containerFor(options: ContainerTargetOptions, copy: ContainerCopy, logs: ContainerLogs): GenericContainer {
  const argv = options.command.map((a) => a.replaceAll('{port}', String(SERVER_PORT)));
  // The launcher execs without a PATH search; env finds python3 wherever the image keeps it.
  const serverArgv = argv[0]?.startsWith('/') ? argv : ['/usr/bin/env', ...argv];
  const builder = new HardenedContainer(options.image)
    .withHostConfig(hostConfigFor(options.limits))
    // Through the builder: start() overwrites HostConfig.NetworkMode with the builder's value.
    .withNetworkMode('none')
    .withLabels({ ...CONTAINER_LABEL })
    .withBindMounts([
      { source: copy.workspace, target: MOUNT, mode: 'rw' },
      { source: copy.relayDir, target: RELAY_INSIDE, mode: 'rw' },
      { source: SANDBOX_LAUNCHER, target: LAUNCHER_INSIDE, mode: 'ro' },
    ])
    .withWorkingDir(MOUNT)
    .withCommand(['python3', '-I', '-S', LAUNCHER_INSIDE, '--chdir', MOUNT, '--expose', `${RELAY_INSIDE}/${RELAY_SOCKET}=${SERVER_PORT}`, '--', ...serverArgv])
    // PATH is explicit: podman 4.3's Docker API drops the image's own Env once a container sets any.
    .withEnvironment({ PATH: CONTAINER_PATH, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', HOME: MOUNT, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' })
    // Readiness is the relay's (waitReady): nothing is published, so there is no port to wait on.
    .withWaitStrategy(Wait.forListeningPorts())
    .withStartupTimeout(options.readyMs)
    .withLogConsumer((stream: Readable) => logs.consume(stream));
  return copy.uid !== undefined ? builder.withUser(`${copy.uid}:${copy.uid}`) : builder;
}

async function runningCheck(id: string): Promise<() => Promise<boolean>> {
  const client = await getContainerRuntimeClient();
  return async () => (await client.container.inspect(client.container.getById(id))).State.Running;
}

function instanceOf(
  container: StartedTestContainer,
  relay: InboundRelay,
  running: () => Promise<boolean>,
  copy: ContainerCopy,
  port: number,
  logs: ContainerLogs,
): TargetInstance {
  return {
    host: '127.0.0.1',
    port,
    dataDir: path.join(copy.workspace, 'data'),
    output: () => logs.result(),
    async stop() {
      const crashed = !(await running().catch(() => false));
      try {
        await relay.close();
        await container.stop({ timeout: 0, remove: true });
        if (crashed) return { status: 'crashed', detail: `crashed during the run: ${logs.lastLine() ?? 'exited'}` };
        return { status: 'ok' };
      } catch (error) {
        return { status: 'killed', detail: (error as Error).message };
      } finally {
        await rm(copy.root, { recursive: true, force: true }).catch(() => undefined);
      }
    },
  };
}

async function waitReady(
  relay: InboundRelay,
  running: () => Promise<boolean>,
  readyMs: number,
  crashLine: () => Promise<string | undefined>,
): Promise<{ status: 'no-listen' | 'crashed'; detail: string } | undefined> {
  const deadline = Date.now() + readyMs;
  while (Date.now() < deadline) {
    if (await relay.probe(1000)) return undefined;
    if (!(await running())) return { status: 'crashed', detail: (await crashLine()) ?? 'the container exited' };
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!(await running())) return { status: 'crashed', detail: (await crashLine()) ?? 'the container exited' };
  return { status: 'no-listen', detail: `did not listen within ${readyMs / 1000} s (server.py must take the port from --port)` };
}
