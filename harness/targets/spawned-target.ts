import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { UsersFile } from '../../spec/messages/index.ts';
import { rmSync } from 'node:fs';
import { canConnect } from '../process/can-connect.ts';
import { EnvironmentError, InstaNetError } from '../errors.ts';
import { isPlainEntry } from '../workspace-files/index.ts';
import { findExecutable } from './find-executable.ts';
import { freePort } from '../process/free-port.ts';
import { listenerOwnedBy } from '../process/port-owner.ts';
import { splitCommand } from './split-command.ts';
import { TimedLines } from '../process/timed-lines.ts';
import { TargetConfigError, TargetStartError, type Target, type TargetInstance } from './target.ts';

export interface SpawnedTargetOptions {
  /** The command line; {port} (and {host}) are replaced, e.g. "python3 server.py --port {port}". */
  command: string;
  /** The submission folder; every start runs in a fresh temporary copy of it. */
  cwd: string;
  /** data/users/users.json to write into each copy (default user1..user6, password "123"). */
  users?: UsersFile;
  readyTimeoutMs?: number;
  /** Turns the argv into a sandboxed one (the grader's jail); gets the temporary workspace. */
  wrap?: (argv: string[], workspace: string) => string[];
  env?: Record<string, string>;
  /** Empty posts, messages and images in each copy (default true), so every group starts clean. */
  resetData?: boolean;
  /** Leave the temporary copies on disk (for debugging a submission). */
  keepWorkspace?: boolean;
}

export const DEFAULT_USERS: UsersFile = Object.fromEntries(
  [1, 2, 3, 4, 5, 6].map((i) => [`user${i}`, { password: '123', friends: [], requests: [] }]),
) as UsersFile;

const OUTPUT_LIMIT = 256 * 1024;
const PORT_ATTEMPTS = 3;

/** Our server lost its port to another process; the launch is retried on a fresh one. */
class PortTakenError extends InstaNetError<'INSTANET_ERR_PORT_TAKEN'> {
  constructor(readonly port: number) {
    super('INSTANET_ERR_PORT_TAKEN', `port ${port} was taken by another process`);
  }
}
const live = new Set<ChildProcess>();
const liveWorkspaces = new Set<string>();
let exitHookInstalled = false;

// A harness that exits mid-run (a second Ctrl-C, process.exit in a test runner) must not leave
// servers holding ports or copies of a submission in the temp folder.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
    for (const workspace of liveWorkspaces) rmSync(workspace, { recursive: true, force: true });
  });
}

// "Server listening on 127.0.0.1:5000", "listening on port 5000": what servers print when bound.
const LISTENING_ON = /listening on (?:port\s+|\[?[\w.:-]*?\]?:)(\d{1,5})\b/i;

/** The port the server says it listens on, when it says one that is not the port it was given. */
function announcedOtherPort(stdout: string, port: number): { port: number; line: string } | undefined {
  for (const line of stdout.split('\n')) {
    const match = LISTENING_ON.exec(line);
    if (match && Number(match[1]) !== port) return { port: Number(match[1]), line: line.trim() };
  }
  return undefined;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** The course's data layout with a known set of users; json.dump(indent=4) style like the starter. */
async function prepareData(workspace: string, users: UsersFile, reset: boolean): Promise<void> {
  const data = path.join(workspace, 'data');
  for (const sub of ['users', 'posts', 'messages', 'images']) await mkdir(path.join(data, sub), { recursive: true });
  await writeFile(path.join(data, 'users', 'users.json'), JSON.stringify(users, null, 4));
  if (!reset) return;
  await writeFile(path.join(data, 'posts', 'posts.json'), '[]');
  for (const sub of ['messages', 'images']) {
    for (const name of await readdir(path.join(data, sub))) {
      if (name !== '.gitkeep') await rm(path.join(data, sub, name), { recursive: true, force: true });
    }
  }
}

export function spawnedTarget(options: SpawnedTargetOptions): Target {
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  const users = options.users ?? DEFAULT_USERS;
  if (!options.command.trim()) throw new TargetConfigError('--server needs a command, e.g. "python3 server.py --port {port}"');
  return {
    description: `${options.command} (in ${options.cwd})`,
    async preflight(): Promise<void> {
      if (!options.command.includes('{port}')) {
        throw new TargetConfigError(`--server must contain {port}, where the kit puts the free port it picked for each run, e.g. "python3 server.py --port {port}"`);
      }
      const info = await stat(path.resolve(options.cwd)).catch(() => undefined);
      if (!info?.isDirectory()) throw new TargetConfigError(`--cwd ${options.cwd} is not a directory`);
      const [file] = splitCommand(options.command);
      if (file && !file.includes('/') && !findExecutable(file)) {
        throw new EnvironmentError(`${file} (the first word of --server) is not on PATH; install it or give its full path`);
      }
    },
    async start(): Promise<TargetInstance> {
      installExitHook();
      const source = path.resolve(options.cwd);
      const info = await stat(source).catch(() => undefined);
      if (!info?.isDirectory()) throw new TargetConfigError(`--cwd ${options.cwd} is not a directory`);
      const workspace = await mkdtemp(path.join(os.tmpdir(), 'instanet-target-'));
      if (!options.keepWorkspace) liveWorkspaces.add(workspace);
      const cleanup = async () => {
        if (options.keepWorkspace) return;
        await rm(workspace, { recursive: true, force: true }).catch(() => undefined);
        liveWorkspaces.delete(workspace);
      };
      try {
        // Only folders and regular files: a copied link would let prepareData write through it (as
        // root, into /etc/shadow) and the file checks read through it; a FIFO or device blocks cp.
        const copied = async (src: string) => !/(^|[\\/])(__pycache__|\.git|node_modules|\.venv|venv)$/.test(src) && (src === source || (await isPlainEntry(src)));
        await cp(source, workspace, { recursive: true, filter: copied });
        await prepareData(workspace, users, options.resetData ?? true);
      } catch (error) {
        await cleanup();
        throw error;
      }
      // The port was free when picked, but another process may bind it before our server does:
      // then ours exits with "address already in use" while a probe reaches the stranger. Either
      // way the launch is retried on a new port, in the same workspace.
      for (let attempt = 1; ; attempt++) {
        try {
          return await launch(workspace, cleanup, attempt < PORT_ATTEMPTS);
        } catch (error) {
          if (error instanceof PortTakenError) continue;
          throw error;
        }
      }
    },
  };

  async function launch(workspace: string, cleanup: () => Promise<void>, mayRetry: boolean): Promise<TargetInstance> {
      const port = await freePort();
      const argv = splitCommand(options.command.replaceAll('{port}', String(port)).replaceAll('{host}', '127.0.0.1'));
      const finalArgv = options.wrap ? options.wrap(argv, workspace) : argv;
      const [file, ...args] = finalArgv;
      if (!file) throw new TargetConfigError('empty command');

      let stdout = '';
      let stderr = '';
      const lines = new TimedLines();
      const append = (which: 'out' | 'err', chunk: Buffer) => {
        lines.push(which === 'out' ? 'stdout' : 'stderr', chunk);
        const text = chunk.toString('utf8');
        if (which === 'out') stdout = (stdout + text).slice(-OUTPUT_LIMIT);
        else stderr = (stderr + text).slice(-OUTPUT_LIMIT);
      };
      const child = spawn(file, args, {
        cwd: workspace,
        detached: true, // its own process group, so stop() reaches the children it forks too
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...options.env },
      });
      live.add(child);
      child.stdout?.on('data', (c: Buffer) => append('out', c));
      child.stderr?.on('data', (c: Buffer) => append('err', c));
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      let spawnError: Error | undefined;
      const exited = new Promise<void>((resolve) => {
        child.once('exit', (code, signal) => {
          exit = { code, signal };
          live.delete(child);
          resolve();
        });
        child.once('error', (error) => {
          spawnError = error;
          live.delete(child);
          resolve();
        });
      });
      const output = () => ({ stdout, stderr });
      let stopped = false;

      const stop = async (keepWorkspace = false): Promise<{ status: 'ok' | 'crashed' | 'killed'; detail?: string }> => {
        if (stopped) return { status: 'ok' };
        stopped = true;
        try {
          if (exit || spawnError) {
            return { status: 'crashed', detail: spawnError ? spawnError.message : `exited by itself (code ${exit?.code}, signal ${exit?.signal})` };
          }
          killGroup(child, 'SIGTERM');
          const graceful = await settlesWithin(exited, 1500);
          if (graceful) return { status: 'ok' };
          killGroup(child, 'SIGKILL');
          await settlesWithin(exited, 2000);
          return { status: 'killed', detail: 'did not stop on SIGTERM; killed' };
        } finally {
          if (!keepWorkspace) await cleanup();
        }
      };

      const deadline = Date.now() + readyTimeoutMs;
      for (;;) {
        if (exit && mayRetry && /address already in use/i.test(stderr)) {
          await stop(true);
          throw new PortTakenError(port);
        }
        if (spawnError || exit) {
          await stop();
          const why = spawnError ? `could not run ${file}: ${spawnError.message}` : `exited before accepting connections (code ${exit?.code}, signal ${exit?.signal})`;
          throw new TargetStartError(`the server ${why}`, output());
        }
        const other = announcedOtherPort(stdout, port);
        if (other) {
          await stop();
          throw new TargetStartError(
            `the server printed "${other.line}": it listens on port ${other.port}, not on ${port}, the port the kit put in place of {port}; make it use the port it is given`,
            output(),
          );
        }
        if (await canConnect(port, 500)) {
          const owned = child.pid === undefined ? undefined : await listenerOwnedBy(port, child.pid);
          if (owned !== false) break;
          if (mayRetry) {
            await stop(true);
            throw new PortTakenError(port);
          }
          await stop();
          throw new TargetStartError(`port ${port} is held by another process, not by the server that was started`, output());
        }
        if (Date.now() > deadline) {
          await stop();
          throw new TargetStartError(`the server did not accept connections on port ${port} within ${readyTimeoutMs} ms`, output());
        }
        await delay(50);
      }
      return {
        host: '127.0.0.1',
        port,
        dataDir: path.join(workspace, 'data'),
        output,
        outputBetween: (from, to) => lines.between(from, to),
        lastOutputAt: () => lines.lastAt,
        stop: () => stop(),
      };
  }
}

// Referenced on purpose: while the harness waits for a server that already died, this timer may be
// the only thing keeping Node alive, and an unreferenced one would end the process mid-await (exit 13).
const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Whether `promise` settles within `ms`; the timer is cleared either way so it never delays exit. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
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
