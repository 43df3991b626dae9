import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { startServer } from '../../../reference/server/index.ts';
import { freePort } from '../../process/free-port.ts';
import { DEFAULT_FILE_LIMIT } from '../../process/disk-quota.ts';
import { runBounded, type Quota } from '../../process/run-bounded.ts';
import { listenOutbound, type OutboundRelay } from '../../sandbox/sandbox-relay.ts';
import type { RelayEndpoint, SandboxCommand } from '../../sandbox/sandbox.ts';
import type { CaseOutcome } from '../rubric/score.ts';
import type { SecondLookSummary } from '../../runner/second-look.ts';
import { ProxyPortError } from '../errors.ts';

// The students' socket_utils.py is also their client's socket layer. The kit's Python driver (the
// judge, trusted, on this machine) plays the course client's flows against the reference server (in
// this process); only its student runner, inside the sandbox, imports the student's code. The verdict
// leaves through the judge's stdout, which the student's process cannot reach.

export const CLIENT_DRIVER_DIR = fileURLToPath(new URL('../python/', import.meta.url));
export const CLIENT_DRIVER = path.join(CLIENT_DRIVER_DIR, 'client_driver.py');
export const STUDENT_RUNNER = path.join(CLIENT_DRIVER_DIR, 'student_runner.py');
const SAMPLE_IMAGE = fileURLToPath(new URL('../../../fixtures/images/small.jpg', import.meta.url));

const DriverCheck = z
  .object({
    id: z.string(),
    title: z.string(),
    requirements: z.array(z.string()).default([]),
    task: z.union([z.number(), z.string()]).optional(),
    passed: z.boolean(),
    detail: z.string().nullish(),
    hint: z.string().nullish(),
    blame: z.string().nullish(),
    assumes: z.array(z.string()).default([]),
    /** Failed by running out of time, not by a wrong answer (see second-look in sandboxed-client-half.ts). */
    timed_out: z.boolean().default(false),
    /** A second look stopped before this check: it keeps its first verdict. */
    not_rerun: z.boolean().default(false),
    /** The judge's own side failed (its set-up, its own error): ERROR, never the student's points. */
    kit_error: z.boolean().default(false),
  })
  .passthrough();

const DriverOutput = z
  .object({
    checks: z.array(DriverCheck),
    import_error: z.string().nullish(),
    port_taken: z.string().nullish(),
    sandbox_failed: z.string().nullish(),
    own_time_feed: z.object({ lines: z.number(), latest_ms: z.number() }).nullish(),
  })
  .passthrough();

/** Runs of the judge when another process takes one of its proxy ports first (the kit's fault). */
const PORT_ATTEMPTS = 3;

export interface ClientHalfOptions {
  /** A private copy of the submission folder (the driver imports socket_utils from it). */
  workspace: string;
  python: string;
  users: Record<string, unknown>;
  timeoutMs: number;
  /** Per-check timeout handed to the driver. */
  checkTimeoutSeconds: number;
  outputLimitBytes: number;
  /**
   * The runner's workspace (and its relay folders) may hold this much: past it the judge is stopped
   * and the client half fails, as a server past its quota is stopped.
   */
  diskLimitBytes: number;
  /** Entries the same folders may hold (default DEFAULT_FILE_LIMIT). */
  fileLimit?: number;
  /**
   * Sandbox wrapper for the student runner (the only process that imports student code); `connect`
   * are the relays out of an isolated sandbox to the judge's recording proxies.
   */
  wrap: (argv: string[], workspace: string, connect: RelayEndpoint[]) => SandboxCommand;
  /** student_runner.py as seen inside the sandbox. */
  runnerPathInside: string;
  /** Where the reference server keeps its data: outside the student's workspace. */
  scratch: string;
  isAborted?: () => boolean;
  /** Only these checks (default: all). */
  checks?: readonly string[];
  /** The checks one after another, each alone, rather than side by side. */
  oneAtATime?: boolean;
}

export interface ClientHalfResult {
  outcomes: CaseOutcome[];
  /** Server cases whose failure already charges a client check's defect (charge-once.ts). */
  assumes?: Map<string, readonly string[]>;
  /** Set when the driver did not produce checks: the reason all client cases score 0. */
  failure?: string;
  /** The runner went past its disk or file quota (also the failure). */
  quotaHit?: string;
  /** The kit failed, not the hand-in (the judge starved past its wall-clock cap, its own errors): re-grade it. */
  kitError?: string;
  importError?: string;
  /** Failed checks of the judge's run that ran out of time rather than got a wrong answer (after a second look: of the first run). */
  timedOut?: ReadonlySet<string>;
  /** Checks a one-at-a-time run did not run again (their first verdict stands). */
  notRerun?: readonly string[];
  /** The checks judged again after running out of time (sandboxed-client-half.ts). */
  secondLook?: SecondLookSummary;
  /** When a check ran out of own time: how the grader's word on own time reached the judge, for the TA. */
  ownTimeFeed?: string;
  stderr: string;
}

export async function runClientHalf(options: ClientHalfOptions): Promise<ClientHalfResult> {
  // The reference server's data never sits where the student's code can write or plant links.
  const dataDir = await mkdtemp(path.join(options.scratch, 'reference-data-'));
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
    const run = (relays: Relays) => judge(judgeArgv(options, server.port, seconds, relays, imageArgs), options, seconds, quotaOf(options, relays));
    return await withFreshPorts(() => openRelays(options), run);
  } finally {
    await server.close();
    await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Ports are chosen before the judge binds them; another process on this machine may take one in
 * between. The judge binds them all before student code runs and says so, so the client half runs
 * again on new ports, and only a clash every time is an error, the kit's, never a student's.
 */
export async function withFreshPorts<R extends { close: () => Promise<void> }>(
  open: () => Promise<R>,
  run: (relays: R) => Promise<ClientHalfResult | PortTaken>,
): Promise<ClientHalfResult> {
  const clashes: string[] = [];
  for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
    const relays = await open();
    try {
      const result = await run(relays);
      if (!('portTaken' in result)) return result;
      clashes.push(result.portTaken);
    } finally {
      await relays.close();
    }
  }
  throw new ProxyPortError(`the client half's proxy ports were taken by other processes ${PORT_ATTEMPTS} times (${clashes.join('; ')})`);
}

function judgeArgv(options: ClientHalfOptions, serverPort: number, seconds: number, relays: Relays, imageArgs: string[]): string[] {
  // The judge is the kit's own standard-library code: isolated (-I), without site's start-up
  // (-S: its .pth files and site-packages), no bytecode written (-B, as PYTHONDONTWRITEBYTECODE,
  // which -I ignores). Student code never runs in this process.
  return [
    options.python, '-I', '-S', '-B', CLIENT_DRIVER,
    '--submission', options.workspace,
    '--host', '127.0.0.1',
    '--port', String(serverPort),
    '--timeout', String(options.checkTimeoutSeconds),
    '--deadline', String(Math.max(1, seconds - 3)),
    '--runner-argv', JSON.stringify(relays.runner),
    '--proxy-ports', relays.ports.join(','),
    // runBounded({ ownTime: true }) feeds it the machine's share of the time on stdin.
    '--own-time',
    ...(options.checks ? ['--checks', options.checks.join(',')] : []),
    ...(options.oneAtATime ? ['--one-at-a-time'] : []),
    ...imageArgs,
  ];
}

function quotaOf(options: ClientHalfOptions, relays: Relays): Quota {
  return {
    dirs: [options.workspace, relays.root],
    limits: { bytes: options.diskLimitBytes, files: options.fileLimit ?? DEFAULT_FILE_LIMIT },
  };
}

/** How many recording proxies the judge may open (one per flow that connects; spares are harmless). */
const PROXY_PORTS = 12;

interface Relays {
  runner: string[];
  ports: number[];
  /** Host folder of the relays' socket folders: writable from inside, so under the quota too. */
  root: string;
  close: () => Promise<void>;
}

/**
 * The runner's way out to the judge's proxies. Each proxy listens on a host port chosen here; in an
 * isolated sandbox, the same port inside is relayed to it over a Unix socket (sandbox-relay.ts), so
 * student code reaches the proxies and nothing else on this machine.
 */
async function openRelays(options: ClientHalfOptions): Promise<Relays> {
  const ports: number[] = [];
  for (let i = 0; i < PROXY_PORTS; i++) ports.push(await freePort());
  // Short: a Unix socket path is limited to 108 bytes.
  const root = await mkdtemp(path.join(os.tmpdir(), 'inr-'));
  const endpoints = ports.map((port, i) => ({ socketDir: path.join(root, String(i)), port }));
  const command = options.wrap([options.python, options.runnerPathInside], options.workspace, endpoints);
  const open: OutboundRelay[] = [];
  const close = async () => {
    await Promise.all(open.map((r) => r.close()));
    await rm(root, { recursive: true, force: true }).catch(() => undefined);
  };
  try {
    for (const [i, socketPath] of command.connectSockets.entries()) {
      open.push(await listenOutbound({ socketPath, port: ports[i] ?? 0 }));
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { runner: command.argv, ports, root, close };
}

/** The judge could not bind one of its proxy ports: run it again on new ones (withFreshPorts). */
export interface PortTaken {
  portTaken: string;
}

/** Runs the judge (trusted, on this machine) and reads its verdicts. */
async function judge(argv: string[], options: ClientHalfOptions, seconds: number, quota: Quota): Promise<ClientHalfResult | PortTaken> {
    const run = await runBounded(argv, { cwd: options.workspace, timeoutMs: options.timeoutMs, outputLimitBytes: options.outputLimitBytes, quota, ownTime: true, ...(options.isAborted ? { isAborted: options.isAborted } : {}) });
    if (run.quotaHit) return { outcomes: [], failure: run.quotaHit, quotaHit: run.quotaHit, stderr: run.stderr };
    if (run.kitBusy) {
      const why = `the kit could not judge the client half: ${run.kitBusy}`;
      return { outcomes: [], failure: why, kitError: why, stderr: run.stderr };
    }
    if (run.timedOut) return { outcomes: [], failure: `the client driver ran out of time (${seconds} s)`, stderr: run.stderr };
    let parsed: z.infer<typeof DriverOutput>;
    try {
      parsed = DriverOutput.parse(JSON.parse(run.stdout));
    } catch (error) {
      const last = run.stderr.trim().split('\n').at(-1) ?? '';
      return { outcomes: [], failure: `the client driver gave no result (${run.exit}${last ? `: ${last}` : ''})`, stderr: run.stderr };
    }
    if (parsed.port_taken) return { portTaken: parsed.port_taken };
    if (parsed.sandbox_failed) {
      // The runner's sandbox never ran the student's code (its launcher did not signal): the kit's failure.
      const last = run.stderr.trim().split('\n').at(-1) ?? '';
      const why = `${parsed.sandbox_failed}${last ? `: ${last}` : ''}`;
      return { outcomes: [], failure: why, kitError: why, stderr: run.stderr };
    }
    const ran = parsed.checks.filter((c) => !c.not_rerun);
    const outcomes = ran.map(
      (c): CaseOutcome => ({
        id: c.id,
        title: c.title,
        verdict: c.passed ? 'PASSED' : c.kit_error ? 'ERROR' : 'FAILED',
        requirements: c.requirements,
        hint: c.passed || c.kit_error ? undefined : (c.hint ?? undefined),
        detail: c.detail ?? undefined,
        blame: c.passed || c.kit_error ? undefined : (c.blame ?? undefined),
        source: 'client',
      }),
    );
    const assumes = new Map(ran.map((c) => [c.id, c.assumes] as const));
    const kitErrors = ran.filter((c) => c.kit_error);
    return {
      outcomes,
      ...(kitErrors.length ? { kitError: `the kit's judge failed in ${kitErrors.map((c) => `${c.id} (${c.detail ?? ''})`).join('; ')}` } : {}),
      assumes,
      stderr: run.stderr,
      // Every deadline of the judge is in the hand-in's own time (runBounded ownTime, --own-time), so a
      // check that ran out of it is the hand-in's: nothing for a second look to doubt.
      timedOut: new Set(),
      notRerun: parsed.checks.filter((c) => c.not_rerun).map((c) => c.id),
      ...(parsed.import_error ? { importError: parsed.import_error } : {}),
      ...(parsed.own_time_feed && ran.some((c) => c.timed_out && !c.passed)
        ? { ownTimeFeed: `a check ran out of the hand-in's own time; the grader's word on it reached the judge ${parsed.own_time_feed.lines} time(s), at most ${parsed.own_time_feed.latest_ms} ms after it was measured` }
        : {}),
    };
}
