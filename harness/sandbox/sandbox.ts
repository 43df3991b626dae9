import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SandboxUnavailableError } from './errors.ts';
import type { Box } from './resource-box.ts';
import { allocateSandboxUid, chownTree } from './sandbox-uid.ts';
import { HIDDEN_FOLDERS, launcherInside, relayFolderInside } from './sandbox-layout.ts';

// Student code is untrusted. bubblewrap gives each server a read-only view of the system, its own
// workspace as the only writable place, its own PID namespace (so a fork or a stray child dies with
// it), no view of the kit, the rubric or other submissions, an empty environment, a small /dev/shm
// and, when asked, its own network namespace reached only through the kit's relays. A grader running
// as root runs each sandbox as its own unprivileged uid (sandbox-uid.ts), inside its own user
// namespace. prlimit caps CPU, memory, processes and file size. Without bwrap the grader still runs,
// under prlimit only, and says so.

const run = promisify(execFile);

export type SandboxMode = 'auto' | 'bwrap' | 'container' | 'none';
export type SandboxKind = 'bwrap' | 'container' | 'none';

export interface SandboxLimits {
  cpuSeconds: number;
  memoryMiB: number;
  processes: number;
  fileSizeMiB: number;
}

/** The Python interpreter to run, resolved once: pyenv shims are shell scripts under /root. */
export interface PythonRuntime {
  executable: string;
  /** Folders the interpreter needs that may sit under a folder the sandbox hides. */
  prefixes: string[];
}

export async function resolvePython(command = 'python3'): Promise<PythonRuntime> {
  // Once a run, and through a pyenv shim (a shell script) on some machines: a busy machine may take
  // many seconds, and a kit that gives up here fails a whole class, so the bound is generous.
  const { stdout } = await run(command, ['-c', 'import sys; print(sys.executable); print(sys.prefix); print(sys.base_prefix)'], {
    timeout: 120_000,
  });
  const [executable, prefix, basePrefix] = stdout.trim().split('\n');
  if (!executable) throw new SandboxUnavailableError(`${command} did not report its executable`);
  return { executable, prefixes: [...new Set([prefix, basePrefix].filter((p): p is string => !!p))] };
}

export interface SandboxPlan {
  kind: SandboxKind;
  /** Printed once per run when the sandbox is weaker than asked for. */
  warning?: string;
  /** bwrap only: the student's code runs in its own user namespace (uid 1000 inside). */
  userNamespace: boolean;
  /**
   * bwrap started by root only: each sandbox drops to its own unprivileged host uid (setpriv) before
   * its user namespace is made, so uid 1000 inside is never host root.
   */
  sandboxUid?: boolean;
  /** bwrap only: --unshare-net works, so `network: 'isolated'` can be honoured. */
  isolatedNetwork?: boolean;
}

export const SANDBOX_LAUNCHER = fileURLToPath(new URL('./python/sandbox_launcher.py', import.meta.url));
/** The Unix socket's name inside a relay folder. */
export const RELAY_SOCKET = 'relay.sock';
/** /dev/shm is RAM: without a size one sandbox could take half the machine's memory through it. */
export const SHM_BYTES = 16 * 1024 * 1024;

type Identity = 'sandbox-uid' | 'userns' | 'none';

interface ProbeResult {
  ok: boolean;
  userNamespace: boolean;
  sandboxUid: boolean;
  isolatedNetwork: boolean;
  reason: string;
}

let probeCache: Promise<ProbeResult> | undefined;

/** Limits for the probe's trivial command: generous, it only has to start. */
const PROBE_LIMITS: SandboxLimits = { cpuSeconds: 30, memoryMiB: 1024, processes: 64, fileSizeMiB: 16 };
/** A probe's bound: a busy machine may take seconds to start Python; a hung bwrap must not hang the kit. */
const PROBE_MS = 60_000;

/**
 * Runs a trivial command through the exact chain servers use (sandboxCommand: the kit folder and its
 * launcher, the hidden folders, a scratch workspace, a relay folder when the network is isolated),
 * strongest identity first, and keeps the first that works. A sandbox that cannot start on this
 * machine is found here, at plan time, never as a student's crash.
 */
export function probeBwrap(): Promise<ProbeResult> {
  probeCache ??= (async () => {
    const none = { ok: false, userNamespace: false, sandboxUid: false, isolatedNetwork: false };
    if (!findOnPath('bwrap')) return { ...none, reason: 'bwrap is not installed (apt-get install bubblewrap)' };
    const python = await resolvePython().catch((error: Error) => error);
    if (python instanceof Error) return { ...none, reason: `bwrap was not tried: ${python.message}` };
    const identities: Identity[] = process.getuid?.() === 0 ? ['sandbox-uid', 'userns', 'none'] : ['userns', 'none'];
    let reason = '';
    for (const identity of identities) {
      for (const network of [true, false]) {
        const plan: SandboxPlan = { kind: 'bwrap', userNamespace: identity !== 'none', sandboxUid: identity === 'sandbox-uid', isolatedNetwork: network };
        const failure = await probeOnce(plan, python);
        if (failure === undefined) return { ok: true, userNamespace: plan.userNamespace, sandboxUid: !!plan.sandboxUid, isolatedNetwork: network, reason: '' };
        reason = failure;
      }
    }
    return { ...none, reason: `bwrap cannot create a sandbox here: ${reason}` };
  })();
  return probeCache;
}

/** One try of the chain under `plan`: undefined when `true` ran and exited 0, else why not. */
async function probeOnce(plan: SandboxPlan, python: PythonRuntime): Promise<string | undefined> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'instanet-sandbox-probe-'));
  try {
    const workspace = path.join(scratch, 'workspace');
    mkdirSync(workspace);
    const relay = plan.isolatedNetwork ? { expose: [{ socketDir: path.join(scratch, 'relay'), port: 9 }] } : {};
    const command = sandboxCommand([findOnPath('true') ?? '/bin/true'], workspace, { plan, limits: PROBE_LIMITS, python, ...relay });
    return await runProbe(command.argv, workspace);
  } catch (error) {
    return (error as Error).message;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Runs argv in its own process group, bounded; undefined when it exits 0, else its first stderr line. */
function runProbe(argv: readonly string[], cwd: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const [command, ...args] = argv;
    const child = spawn(command as string, args, { cwd, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString();
    });
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      killGroup();
      stderr = `no answer within ${PROBE_MS / 1000} s\n${stderr}`;
    }, PROBE_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve(error.message);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      // Anything the chain left in its group (it should leave nothing) goes with it.
      killGroup();
      const first = stderr.trim().split('\n')[0];
      resolve(code === 0 ? undefined : first || (signal ? `killed by ${signal}` : `exit code ${code}`));
    });
  });
}

export async function planSandbox(mode: SandboxMode): Promise<SandboxPlan> {
  if (mode === 'none') {
    return { kind: 'none', userNamespace: false, warning: 'sandbox disabled (--sandbox none): student code runs as plain processes under prlimit only' };
  }
  if (mode === 'container') return { kind: 'container', userNamespace: false };
  const probe = await probeBwrap();
  if (probe.ok) {
    const plan: SandboxPlan = {
      kind: 'bwrap',
      userNamespace: probe.userNamespace,
      sandboxUid: probe.sandboxUid,
      isolatedNetwork: probe.isolatedNetwork,
    };
    const weak: string[] = [];
    if (!probe.userNamespace) weak.push('without a user namespace: student code runs as this user and the process-count limit does not apply to root');
    if (!probe.isolatedNetwork) weak.push('without a network namespace: student servers share this machine\'s loopback');
    return weak.length > 0 ? { ...plan, warning: `bwrap runs ${weak.join('; ')}` } : plan;
  }
  if (mode === 'bwrap') throw new SandboxUnavailableError(probe.reason);
  return {
    kind: 'none',
    userNamespace: false,
    warning: `WARNING: ${probe.reason}; student code runs as plain processes under prlimit only, with full view of this machine`,
  };
}

function identityOf(plan: SandboxPlan): Identity {
  if (plan.sandboxUid) return 'sandbox-uid';
  return plan.userNamespace ? 'userns' : 'none';
}

function bwrapBase(identity: Identity, network: boolean, hide: readonly string[]): string[] {
  const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc'];
  for (const dir of hide) args.push('--tmpfs', dir);
  args.push('--perms', '1777', '--size', String(SHM_BYTES), '--tmpfs', '/dev/shm');
  args.push('--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--new-session');
  if (network) args.push('--unshare-net');
  if (identity === 'sandbox-uid') {
    // bwrap runs as root to make the mounts (it can read what root can, e.g. a Python under /root);
    // it keeps only what setpriv needs to become the sandbox's uid, and setpriv drops even that.
    args.push('--cap-drop', 'ALL', '--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID', '--cap-add', 'CAP_SETPCAP');
  } else {
    args.push('--cap-drop', 'ALL');
    if (identity === 'userns') args.push('--unshare-user', '--uid', '1000', '--gid', '1000');
  }
  return args;
}

/** What runs between bwrap and the launcher: the drop to the sandbox's uid, then its user namespace. */
function identityPrefix(identity: Identity, uid: number | undefined): string[] {
  if (identity !== 'sandbox-uid' || uid === undefined) return [];
  return [
    findOnPath('setpriv') ?? 'setpriv',
    `--reuid=${uid}`,
    `--regid=${uid}`,
    '--clear-groups',
    '--nnp',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--',
    findOnPath('unshare') ?? 'unshare',
    '--map-user=1000',
    '--map-group=1000',
    '--',
  ];
}

export function prlimitArgs(limits: SandboxLimits, extraProcesses = 0): string[] {
  const mib = 1024 * 1024;
  return [
    findOnPath('prlimit') ?? 'prlimit',
    `--cpu=${limits.cpuSeconds}`,
    `--as=${limits.memoryMiB * mib}`,
    `--nproc=${limits.processes + extraProcesses}`,
    `--fsize=${limits.fileSizeMiB * mib}`,
    '--core=0',
    '--',
  ];
}

export type SandboxNetwork = 'isolated' | 'shared';

/** One relay through an isolated sandbox's network namespace. */
export interface RelayEndpoint {
  /** Host folder (created, and given to the sandbox's uid) holding the relay's Unix socket `relay.sock`. */
  socketDir: string;
  /** The TCP port inside the sandbox: the one its server listens on, or the one its code dials. */
  port: number;
}

export interface WrapOptions {
  plan: SandboxPlan;
  limits: SandboxLimits;
  python: PythonRuntime;
  /** Extra folders to hide (the kit, the submissions folder, the output folder). */
  hide?: readonly string[];
  /** Files or folders to show read-only inside (e.g. the client driver script): [source, dest]. */
  readOnly?: readonly (readonly [string, string])[];
  /**
   * 'isolated': the sandbox's own network namespace (only its loopback); the relays below are the
   * only ways in or out. Default: isolated when a relay is asked for and the plan can, else shared.
   */
  network?: SandboxNetwork;
  /** Inbound relays: the grader connects to socketDir/relay.sock, forwarded to 127.0.0.1:port inside. */
  expose?: readonly RelayEndpoint[];
  /** Outbound relays: code inside dials 127.0.0.1:port, forwarded to socketDir/relay.sock on the host. */
  connect?: readonly RelayEndpoint[];
  /** Variables on top of the sandbox's own (the grader's environment never reaches student code). */
  env?: Readonly<Record<string, string>>;
  /**
   * The hand-in's resource box (resource-box.ts): the command joins it before bwrap starts, so
   * everything inside, whatever it forks or setsid()s, is in it. None: per-process limits only.
   */
  box?: Pick<Box, 'enter'> | undefined;
}

export interface SandboxCommand {
  argv: string[];
  /** The network the command gets: 'shared' means relays were not set up (dial host ports directly). */
  network: SandboxNetwork;
  /** Host paths of the relay sockets, in the order of `expose` and `connect` (isolated only). */
  exposeSockets: string[];
  connectSockets: string[];
  /** The host uid the sandbox runs as, when it has its own. */
  uid?: number;
  /**
   * bwrap only: the launcher writes one byte to this fd right before it execs the command (spawn it
   * with a pipe there: spawnGroup's startSignal). A sandbox that ends without it never ran the
   * command: the kit's failure, not the command's.
   */
  startedFd?: number;
}

/** The fd the launcher signals on (the first after stdin, stdout, stderr). */
export const STARTED_FD = 3;

/** The argv that runs `argv` inside `workspace` under the plan (see sandboxCommand). */
export function wrapCommand(argv: readonly string[], workspace: string, options: WrapOptions): string[] {
  return sandboxCommand(argv, workspace, options).argv;
}

/**
 * The argv that runs `argv` inside `workspace` under the plan. Only the workspace (and relay folders)
 * are writable; its `.tmp` is the process's TMPDIR, so temporary files count against its quota.
 */
export function sandboxCommand(argv: readonly string[], workspace: string, options: WrapOptions): SandboxCommand {
  const relayCount = (options.expose?.length ?? 0) + (options.connect?.length ?? 0);
  const isolated =
    options.plan.kind === 'bwrap' && !!options.plan.isolatedNetwork && (options.network ?? (relayCount > 0 ? 'isolated' : 'shared')) === 'isolated';
  const boxed = (full: string[]) => options.box?.enter(full) ?? full;
  if (options.plan.kind !== 'bwrap') {
    return { argv: boxed([...prlimitArgs(options.limits), ...argv]), network: 'shared', exposeSockets: [], connectSockets: [] };
  }
  const identity = identityOf(options.plan);
  const uid = identity === 'sandbox-uid' ? allocateSandboxUid() : undefined;
  const ws = path.resolve(workspace);
  const hide = hiddenFolders(options, ws);
  mkdirSync(path.join(ws, '.tmp'), { recursive: true });
  if (uid !== undefined) chownTree(ws, uid);
  const relays = isolated ? relayBinds(options, uid) : { binds: [], flags: [], exposeSockets: [], connectSockets: [] };
  const binds: Bind[] = [
    ...options.python.prefixes.filter((prefix) => hide.some((dir) => isInside(prefix, dir))).map((prefix): Bind => ['--ro-bind', prefix, prefix]),
    ...(options.readOnly ?? []).map(([src, dest]): Bind => ['--ro-bind', src, dest]),
    ['--ro-bind', SANDBOX_LAUNCHER, launcherInside()],
    ...relays.binds,
    ['--bind', ws, ws],
  ];
  const bwrap = [
    findOnPath('bwrap') ?? 'bwrap',
    ...bwrapBase(identity, isolated, hide),
    ...mountPointDirs(binds, hide),
    ...binds.flat(),
    // Read-only again after the binds have created their mount points inside the hidden folders.
    ...hide.flatMap((dir) => ['--remount-ro', dir]),
    '--clearenv',
    ...Object.entries(sandboxEnv(ws, options.env)).flatMap(([name, value]) => ['--setenv', name, value]),
  ];
  const launcher = [options.python.executable, '-I', '-S', launcherInside(), '--chdir', ws, '--started-fd', String(STARTED_FD), ...relays.flags, '--'];
  // The relay is one more process of the sandbox's uid: the student keeps the rubric's full count.
  const limited = [...prlimitArgs(options.limits, relays.flags.length > 0 ? 1 : 0), ...argv];
  return {
    argv: boxed([...bwrap, '--', ...identityPrefix(identity, uid), ...launcher, ...limited]),
    network: isolated ? 'isolated' : 'shared',
    exposeSockets: relays.exposeSockets,
    connectSockets: relays.connectSockets,
    ...(uid !== undefined ? { uid } : {}),
    startedFd: STARTED_FD,
  };
}

type Bind = [flag: '--bind' | '--ro-bind', src: string, dest: string];

/** The folders to hide: never the workspace itself or anything inside it, and no folder twice. */
function hiddenFolders(options: WrapOptions, ws: string): string[] {
  const candidates = [...new Set([...HIDDEN_FOLDERS, ...(options.hide ?? [])].map((d) => path.resolve(d)))];
  // A folder inside another hidden one is hidden already.
  return candidates
    .filter((dir) => dir !== '/' && existsSync(dir) && !isInside(dir, ws))
    .filter((dir, _, all) => !all.some((other) => other !== dir && isInside(dir, other)))
    .sort();
}

/** Each relay's folder bound into the kit's hidden folder, and the launcher's flags that use it. */
function relayBinds(options: WrapOptions, uid: number | undefined): { binds: Bind[]; flags: string[]; exposeSockets: string[]; connectSockets: string[] } {
  const binds: Bind[] = [];
  const relayDir = (endpoint: RelayEndpoint, name: string): [host: string, inside: string] => {
    mkdirSync(endpoint.socketDir, { recursive: true, mode: 0o700 });
    if (uid !== undefined) chownTree(endpoint.socketDir, uid);
    binds.push(['--bind', endpoint.socketDir, relayFolderInside(name)]);
    return [path.join(endpoint.socketDir, RELAY_SOCKET), path.posix.join(relayFolderInside(name), RELAY_SOCKET)];
  };
  const flags: string[] = [];
  const exposeSockets = (options.expose ?? []).map((endpoint, i) => {
    const [host, inside] = relayDir(endpoint, `expose-${i}`);
    flags.push('--expose', `${inside}=${endpoint.port}`);
    return host;
  });
  const connectSockets = (options.connect ?? []).map((endpoint, i) => {
    const [host, inside] = relayDir(endpoint, `connect-${i}`);
    flags.push('--connect', `${endpoint.port}=${inside}`);
    return host;
  });
  return { binds, flags, exposeSockets, connectSockets };
}

/**
 * Mount points inside a hidden (empty tmpfs) folder are made by bwrap; made explicitly, they are
 * world-searchable, so the sandbox's unprivileged uid can reach what is bound there.
 */
function mountPointDirs(binds: readonly Bind[], hide: readonly string[]): string[] {
  const made = new Set<string>();
  const args: string[] = [];
  for (const [, , dest] of binds) {
    const root = hide.find((dir) => isInside(dest, dir) && dest !== dir);
    if (!root) continue;
    const chain: string[] = [];
    for (let dir = path.dirname(dest); dir !== root && isInside(dir, root); dir = path.dirname(dir)) chain.unshift(dir);
    for (const dir of chain) {
      if (made.has(dir)) continue;
      made.add(dir);
      args.push('--perms', '0755', '--dir', dir);
    }
  }
  return args;
}

/** The sandbox's whole environment (it starts from --clearenv): nothing of the grader's leaks in. */
function sandboxEnv(ws: string, extra: Record<string, string> | undefined): Record<string, string> {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    HOME: ws,
    TMPDIR: path.join(ws, '.tmp'),
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
    MALLOC_ARENA_MAX: '2',
    ...extra,
  };
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const full = path.join(dir, name);
    if (existsSync(full)) return full;
  }
  return undefined;
}
