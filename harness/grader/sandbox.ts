import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { SandboxUnavailableError } from './errors.ts';
import type { Rubric } from './rubric-format.ts';

// Student code is untrusted. bubblewrap gives each server a read-only view of the system, its own
// workspace as the only writable place, its own PID namespace (so a fork or a stray child dies with
// it) and no view of the kit, the rubric or other submissions; prlimit caps CPU, memory, processes
// and file size. Without bwrap the grader still runs, under prlimit only, and says so.

const run = promisify(execFile);

export type SandboxMode = 'auto' | 'bwrap' | 'container' | 'none';
export type SandboxKind = 'bwrap' | 'container' | 'none';

export interface SandboxLimits {
  cpuSeconds: number;
  memoryMiB: number;
  processes: number;
  fileSizeMiB: number;
}

export function limitsOf(rubric: Rubric): SandboxLimits {
  const { cpuSeconds, memoryMiB, processes, fileSizeMiB } = rubric.limits;
  return { cpuSeconds, memoryMiB, processes, fileSizeMiB };
}

/** The Python interpreter to run, resolved once: pyenv shims are shell scripts under /root. */
export interface PythonRuntime {
  executable: string;
  /** Folders the interpreter needs that may sit under a folder the sandbox hides. */
  prefixes: string[];
}

export async function resolvePython(command = 'python3'): Promise<PythonRuntime> {
  const { stdout } = await run(command, ['-c', 'import sys; print(sys.executable); print(sys.prefix); print(sys.base_prefix)'], {
    timeout: 15_000,
  });
  const [executable, prefix, basePrefix] = stdout.trim().split('\n');
  if (!executable) throw new SandboxUnavailableError(`${command} did not report its executable`);
  return { executable, prefixes: [...new Set([prefix, basePrefix].filter((p): p is string => !!p))] };
}

export interface SandboxPlan {
  kind: SandboxKind;
  /** Printed once per run when the sandbox is weaker than asked for. */
  warning?: string;
  /** bwrap only: whether a user namespace is available (it makes the process-count limit bite for root). */
  userNamespace: boolean;
}

/** Folders hidden from every sandboxed process (when they exist). */
const HIDDEN = ['/tmp', '/var/tmp', '/home', '/root', '/work', '/run', '/mnt', '/media', '/srv', '/opt', '/autograder'];

let probeCache: Promise<{ ok: boolean; userNamespace: boolean; reason: string }> | undefined;

/** Runs `true` under the exact bwrap flags used for servers, with and without a user namespace. */
export function probeBwrap(): Promise<{ ok: boolean; userNamespace: boolean; reason: string }> {
  probeCache ??= (async () => {
    const bwrap = findOnPath('bwrap');
    if (!bwrap) return { ok: false, userNamespace: false, reason: 'bwrap is not installed (apt-get install bubblewrap)' };
    let reason = '';
    for (const userNamespace of [true, false]) {
      try {
        await run(bwrap, [...baseBwrapArgs(userNamespace, []), '--', 'true'], { timeout: 10_000 });
        return { ok: true, userNamespace, reason: '' };
      } catch (error) {
        reason = ((error as { stderr?: string }).stderr ?? (error as Error).message).trim().split('\n')[0] ?? 'failed';
      }
    }
    return { ok: false, userNamespace: false, reason: `bwrap cannot create a sandbox here: ${reason}` };
  })();
  return probeCache;
}

export async function planSandbox(mode: SandboxMode): Promise<SandboxPlan> {
  if (mode === 'none') {
    return { kind: 'none', userNamespace: false, warning: 'sandbox disabled (--sandbox none): student code runs as plain processes under prlimit only' };
  }
  if (mode === 'container') return { kind: 'container', userNamespace: false };
  const probe = await probeBwrap();
  if (probe.ok) {
    return probe.userNamespace
      ? { kind: 'bwrap', userNamespace: true }
      : {
          kind: 'bwrap',
          userNamespace: false,
          warning: 'bwrap runs without a user namespace: the process-count limit does not apply to root',
        };
  }
  if (mode === 'bwrap') throw new SandboxUnavailableError(probe.reason);
  return {
    kind: 'none',
    userNamespace: false,
    warning: `WARNING: ${probe.reason}; student code runs as plain processes under prlimit only, with full view of this machine`,
  };
}

function baseBwrapArgs(userNamespace: boolean, hide: readonly string[]): string[] {
  const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc'];
  for (const dir of hide) args.push('--tmpfs', dir);
  args.push('--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--new-session', '--cap-drop', 'ALL');
  if (userNamespace) args.push('--unshare-user', '--uid', '1000', '--gid', '1000');
  return args;
}

export function prlimitArgs(limits: SandboxLimits): string[] {
  const mib = 1024 * 1024;
  return [
    findOnPath('prlimit') ?? 'prlimit',
    `--cpu=${limits.cpuSeconds}`,
    `--as=${limits.memoryMiB * mib}`,
    `--nproc=${limits.processes}`,
    `--fsize=${limits.fileSizeMiB * mib}`,
    '--core=0',
    '--',
  ];
}

export interface WrapOptions {
  plan: SandboxPlan;
  limits: SandboxLimits;
  python: PythonRuntime;
  /** Extra folders to hide (the kit, the submissions folder, the output folder). */
  hide?: readonly string[];
  /** Files or folders to show read-only inside (e.g. the client driver script): [source, dest]. */
  readOnly?: readonly (readonly [string, string])[];
}

/**
 * The argv that runs `argv` inside `workspace` under the plan. Only the workspace is writable; its
 * `.tmp` is the process's TMPDIR, so temporary files count against the workspace's disk quota.
 */
export function wrapCommand(argv: readonly string[], workspace: string, options: WrapOptions): string[] {
  const limited = [...prlimitArgs(options.limits), ...argv];
  if (options.plan.kind !== 'bwrap') return limited;
  const ws = path.resolve(workspace);
  const candidates = [...new Set([...HIDDEN, ...(options.hide ?? [])].map((d) => path.resolve(d)))];
  // Never hide the workspace itself or anything inside it; a folder inside another hidden one is
  // hidden already.
  const hide = candidates
    .filter((dir) => dir !== '/' && existsSync(dir) && !isInside(dir, ws))
    .filter((dir, _, all) => !all.some((other) => other !== dir && isInside(dir, other)))
    .sort();
  mkdirSync(path.join(ws, '.tmp'), { recursive: true });
  const args = [findOnPath('bwrap') ?? 'bwrap', ...baseBwrapArgs(options.plan.userNamespace, hide)];
  for (const prefix of options.python.prefixes) {
    if (hide.some((dir) => isInside(prefix, dir))) args.push('--ro-bind', prefix, prefix);
  }
  for (const [src, dest] of options.readOnly ?? []) args.push('--ro-bind', src, dest);
  args.push('--bind', ws, ws);
  // Read-only again after the binds have created their mount points inside the hidden folders.
  for (const dir of hide) args.push('--remount-ro', dir);
  args.push('--chdir', ws, '--setenv', 'TMPDIR', path.join(ws, '.tmp'), '--setenv', 'HOME', ws);
  args.push('--setenv', 'PYTHONDONTWRITEBYTECODE', '1', '--setenv', 'MALLOC_ARENA_MAX', '2');
  return [...args, '--', ...limited];
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
