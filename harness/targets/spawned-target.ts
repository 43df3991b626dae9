import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { UsersFile } from '../../spec/messages/index.ts';
import { canConnect } from './can-connect.ts';
import { InstaNetError } from '../errors.ts';
import { isPlainEntry } from '../workspace-files/index.ts';
import { freePort } from './free-port.ts';
import { listenerOwnedBy } from './port-owner.ts';
import { splitCommand } from './split-command.ts';
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
let exitHookInstalled = false;

// A harness killed by Ctrl-C or a test runner must not leave servers holding ports.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
  });
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
    async start(): Promise<TargetInstance> {
      installExitHook();
      const source = path.resolve(options.cwd);
      const info = await stat(source).catch(() => undefined);
      if (!info?.isDirectory()) throw new TargetConfigError(`--cwd ${options.cwd} is not a directory`);
      const workspace = await mkdtemp(path.join(os.tmpdir(), 'instanet-target-'));
      const cleanup = async () => {
        if (!options.keepWorkspace) await rm(workspace, { recursive: true, force: true }).catch(() => undefined);
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
      const append = (which: 'out' | 'err', chunk: Buffer) => {
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
      return { host: '127.0.0.1', port, dataDir: path.join(workspace, 'data'), output, stop: () => stop() };
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
