import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { startServer } from '../../reference/server/index.ts';
import { CappedOutput } from './capped-output.ts';
import { killGroup, sweepProcesses, trackGroup, untrackGroup } from './process-tree.ts';
import type { CaseOutcome } from './rubric-score.ts';
import { delay } from './server-process.ts';

// The students' socket_utils.py is also their client's socket layer. The kit's Python driver
// imports it and plays the course client's flows against the reference server (in this process),
// so Task 2 and the sending side of Tasks 5 and 6 are graded from the student's own code.

export const CLIENT_DRIVER_DIR = fileURLToPath(new URL('./python/', import.meta.url));
export const CLIENT_DRIVER = path.join(CLIENT_DRIVER_DIR, 'client_driver.py');
/** Where the driver folder appears inside the sandbox (the kit itself stays hidden). */
export const SANDBOX_DRIVER_DIR = '/opt/instanet-client-driver';
const SAMPLE_IMAGE = fileURLToPath(new URL('../../fixtures/images/small.jpg', import.meta.url));

const DriverCheck = z
  .object({
    id: z.string(),
    title: z.string(),
    requirements: z.array(z.string()).default([]),
    task: z.union([z.number(), z.string()]).optional(),
    passed: z.boolean(),
    detail: z.string().nullish(),
    hint: z.string().nullish(),
  })
  .passthrough();

const DriverOutput = z.object({ checks: z.array(DriverCheck), import_error: z.string().nullish() }).passthrough();

export interface ClientHalfOptions {
  /** A private copy of the submission folder (the driver imports socket_utils from it). */
  workspace: string;
  python: string;
  users: Record<string, unknown>;
  timeoutMs: number;
  /** Per-check timeout handed to the driver. */
  checkTimeoutSeconds: number;
  outputLimitBytes: number;
  /** Sandbox wrapper; receives the driver path as seen inside the sandbox. */
  wrap: (argv: string[], workspace: string) => string[];
  driverPathInside: string;
  isAborted?: () => boolean;
}

export interface ClientHalfResult {
  outcomes: CaseOutcome[];
  /** Set when the driver did not produce checks: the reason all client cases score 0. */
  failure?: string;
  importError?: string;
  stderr: string;
}

export async function runClientHalf(options: ClientHalfOptions): Promise<ClientHalfResult> {
  // Not inside the workspace: the student's code can write there, and the reference server reads and
  // writes its data on the host (a link planted there would be followed by the host, as root).
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'instanet-client-reference-'));
  await mkdir(path.join(dataDir, 'users'), { recursive: true });
  await writeFile(path.join(dataDir, 'users', 'users.json'), JSON.stringify(options.users, null, 4));
  const server = await startServer({ host: '127.0.0.1', port: 0, dataDir, mode: 'course', logger: false });
  try {
    const seconds = Math.max(1, Math.floor(options.timeoutMs / 1000));
    // The sample photo is copied in: inside the sandbox the kit's fixtures are out of sight.
    const imageArgs: string[] = [];
    if (existsSync(SAMPLE_IMAGE)) {
      const copy = path.join(options.workspace, '.instanet-sample.jpg');
      await copyFile(SAMPLE_IMAGE, copy);
      imageArgs.push('--image', copy);
    }
    const argv = options.wrap(
      [options.python, options.driverPathInside, '--submission', options.workspace, '--host', '127.0.0.1', '--port', String(server.port), '--timeout', String(options.checkTimeoutSeconds), '--deadline', String(Math.max(1, seconds - 3)), ...imageArgs],
      options.workspace,
    );
    const run = await runBounded(argv, options.workspace, options.timeoutMs, options.outputLimitBytes, options.isAborted);
    if (run.timedOut) return { outcomes: [], failure: `the client driver ran out of time (${seconds} s)`, stderr: run.stderr };
    let parsed: z.infer<typeof DriverOutput>;
    try {
      parsed = DriverOutput.parse(JSON.parse(run.stdout));
    } catch (error) {
      const last = run.stderr.trim().split('\n').at(-1) ?? '';
      return { outcomes: [], failure: `the client driver gave no result (${run.exit}${last ? `: ${last}` : ''})`, stderr: run.stderr };
    }
    const outcomes = parsed.checks.map(
      (c): CaseOutcome => ({
        id: c.id,
        title: c.title,
        verdict: c.passed ? 'PASSED' : 'FAILED',
        requirements: c.requirements,
        hint: c.passed ? undefined : (c.hint ?? undefined),
        detail: c.detail ?? undefined,
        source: 'client',
      }),
    );
    return { outcomes, stderr: run.stderr, ...(parsed.import_error ? { importError: parsed.import_error } : {}) };
  } finally {
    await server.close();
    await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

interface BoundedRun {
  stdout: string;
  stderr: string;
  exit: string;
  timedOut: boolean;
}

/** Runs argv in its own process group; past the deadline (or on abort) the whole tree is killed. */
export async function runBounded(
  argv: string[],
  cwd: string,
  timeoutMs: number,
  outputLimitBytes: number,
  isAborted: () => boolean = () => false,
): Promise<BoundedRun> {
  const [command, ...args] = argv;
  if (!command) throw new Error('empty command');
  const stdoutChunks: Buffer[] = [];
  let stdoutBytes = 0;
  const stderr = new CappedOutput(outputLimitBytes);
  const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  // stdout is the driver's JSON and must stay whole; it is bounded by a generous ceiling instead.
  const stdoutCeiling = Math.max(outputLimitBytes, 8 * 1024 * 1024);
  trackGroup(child.pid);
  child.stdout.on('data', (c: Buffer) => {
    stdoutBytes += c.length;
    if (stdoutBytes <= stdoutCeiling) stdoutChunks.push(c);
  });
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  let timedOut = false;
  const exited = new Promise<string>((resolve) => {
    child.on('error', (e) => resolve(`could not start: ${e.message}`));
    child.on('close', (code, signal) => resolve(signal ? `killed by ${signal}` : `exit code ${code}`));
  });
  const deadline = Date.now() + timeoutMs;
  let exit: string | undefined;
  while (exit === undefined) {
    exit = await Promise.race([exited, delay(200).then(() => undefined)]);
    if (exit === undefined && (Date.now() > deadline || isAborted())) {
      timedOut = true;
      killGroup(child.pid, 'SIGKILL');
      exit = await Promise.race([exited, delay(3000).then(() => 'killed')]);
    }
  }
  killGroup(child.pid, 'SIGKILL');
  await sweepProcesses(cwd);
  untrackGroup(child.pid);
  return { stdout: Buffer.concat(stdoutChunks).toString('utf8'), stderr: stderr.text(), exit, timedOut };
}
