import { cp, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { UsersFile } from '../../spec/messages/index.ts';
import { rmSync } from 'node:fs';
import { EnvironmentError, InstaNetError } from '../errors.ts';
import { isPlainEntry } from '../workspace-files/index.ts';
import { findExecutable } from './find-executable.ts';
import { freePort } from '../process/free-port.ts';
import { ServerProcess, type StartFailure, type StopResult } from '../process/server-process.ts';
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
const liveWorkspaces = new Set<string>();
let cleanupInstalled = false;

// A harness that exits mid-run (a second Ctrl-C, process.exit in a test runner) must not leave
// copies of a submission in the temp folder; the process layer kills the servers themselves.
function installWorkspaceCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once('exit', () => {
    for (const workspace of liveWorkspaces) rmSync(workspace, { recursive: true, force: true });
  });
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
  if (!options.command.trim()) throw new TargetConfigError('--server needs a command, e.g. "python3 server.py --port {port}"');
  return {
    description: `${options.command} (in ${options.cwd})`,
    preflight: () => preflight(options),
    async start(): Promise<TargetInstance> {
      const copy = await copySubmission(options);
      // The port was free when picked, but another process may bind it before our server does:
      // then ours exits with "address already in use" while a probe reaches the stranger. Either
      // way the launch is retried on a new port, in the same workspace.
      for (let attempt = 1; ; attempt++) {
        try {
          return await launch(options, copy, attempt < PORT_ATTEMPTS);
        } catch (error) {
          if (error instanceof PortTakenError) continue;
          throw error;
        }
      }
    },
  };
}

/** What would make every case fail for a reason that is the user's command, not the server. */
async function preflight(options: SpawnedTargetOptions): Promise<void> {
  if (!options.command.includes('{port}')) {
    throw new TargetConfigError(`--server must contain {port}, where the kit puts the free port it picked for each run, e.g. "python3 server.py --port {port}"`);
  }
  const info = await stat(path.resolve(options.cwd)).catch(() => undefined);
  if (!info?.isDirectory()) throw new TargetConfigError(`--cwd ${options.cwd} is not a directory`);
  const [file] = splitCommand(options.command);
  if (file && !file.includes('/') && !findExecutable(file)) {
    throw new EnvironmentError(`${file} (the first word of --server) is not on PATH; install it or give its full path`);
  }
}

interface WorkspaceCopy {
  workspace: string;
  /** Removes the copy (unless kept for debugging); safe to call twice. */
  cleanup(): Promise<void>;
}

/** A fresh temporary copy of the submission folder with the known users and (by default) no data. */
async function copySubmission(options: SpawnedTargetOptions): Promise<WorkspaceCopy> {
  installWorkspaceCleanup();
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
    await prepareData(workspace, options.users ?? DEFAULT_USERS, options.resetData ?? true);
    return { workspace, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Starts the command in the copy on a fresh port and waits until it listens there. */
async function launch(options: SpawnedTargetOptions, copy: WorkspaceCopy, mayRetry: boolean): Promise<TargetInstance> {
  const readyMs = options.readyTimeoutMs ?? 10_000;
  const port = await freePort();
  const argv = splitCommand(options.command.replaceAll('{port}', String(port)).replaceAll('{host}', '127.0.0.1'));
  if (!argv[0]) throw new TargetConfigError('empty command');
  const proc = new ServerProcess({
    argv,
    workspace: copy.workspace,
    port,
    readyMs,
    outputLimitBytes: OUTPUT_LIMIT,
    checkAnnouncedPort: true,
    stopGraceMs: 1500,
    ...(options.env ? { env: options.env } : {}),
  });
  const stop = async (keepWorkspace = false): Promise<StopResult> => {
    try {
      return await proc.stop();
    } finally {
      if (!keepWorkspace) await copy.cleanup();
    }
  };
  const failure = await proc.waitListening();
  if (failure?.status === 'port-taken' && mayRetry) {
    await stop(true);
    throw new PortTakenError(port);
  }
  if (failure) {
    await stop();
    throw new TargetStartError(startFailureMessage(failure, proc, argv[0], port, readyMs), output(proc));
  }
  return {
    host: '127.0.0.1',
    port,
    dataDir: path.join(copy.workspace, 'data'),
    progress: proc.progress,
    output: () => output(proc),
    outputBetween: (from, to) => proc.lines.between(from, to),
    lastOutputAt: () => proc.lines.lastAt,
    serverSidePort: (clientPort) => proc.serverSidePort(clientPort),
    stop: () => stop(),
  };
}

const output = (proc: ServerProcess) => ({ stdout: proc.stdout.text(), stderr: proc.stderr.text() });

/** What `instanet test --server` says when the server did not come up, in the user's terms. */
function startFailureMessage(failure: StartFailure, proc: ServerProcess, file: string, port: number, readyMs: number): string {
  const exit = proc.exitInfo;
  switch (failure.status) {
    case 'crashed':
    case 'port-taken':
      if (exit?.spawnError) return `the server could not run ${file}: ${exit.spawnError.message}`;
      if (exit) return `the server exited before accepting connections (code ${exit.code}, signal ${exit.signal})`;
      return failure.detail;
    case 'wrong-port':
      return failure.detail;
    case 'no-listen':
      return `the server did not accept connections on port ${port} within ${readyMs} ms of its own time (${Math.round(failure.wallMs)} ms on the clock)`;
    default:
      return `the server did not start: ${failure.detail}`;
  }
}
