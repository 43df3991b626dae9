import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { KIT_VERSION } from '../../base/kit-version.ts';
import { KitBusyError } from '../../errors.ts';
import { runSuiteParallel } from '../../runner/run-parallel.ts';
import { secondLook, type SecondLook, type SecondLookSummary } from '../../runner/second-look.ts';
import type { CaseResult, RunReport } from '../../runner/report-format.ts';
import type { LoadedScenario } from '../../scenarios/loader.ts';
import { runSandboxedClientHalf } from '../client-half/sandboxed-client-half.ts';
import { sandboxedImageEncoder } from '../server-half/sandboxed-image-encoder.ts';
import { REFERENCE_FRAMING } from '../../runner/image-framing.ts';
import type { StudentImageEncoder } from '../server-half/student-image-encoder.ts';
import { GraderError } from '../errors.ts';
import { SandboxFailedError } from '../../sandbox/errors.ts';
import { GRADE_FORMAT_VERSION, SubmissionGrade, type GradeStatus, type GradedCase } from '../outputs/grade-format.ts';
import { blameOf, startupCrashBlame } from '../rubric/blame.ts';
import { DOES_NOT_IMPORT, socketUtilsImportError } from '../server-half/import-check.ts';
import { outputFlood, wireFlood, type Flood } from '../server-half/floods.ts';
import { chargeAndScore } from '../rubric/charge-once.ts';
import { probeLogin } from '../server-half/login-probe.ts';
import type { Rubric } from '../rubric/format.ts';
import { costsPoints, scoreSubmission, type CaseOutcome } from '../rubric/score.ts';
import { createBox, type Box, type BoxPlan } from '../../sandbox/resource-box.ts';
import { sandboxCommand, type PythonRuntime, type RelayEndpoint, type SandboxLimits, type SandboxPlan } from '../../sandbox/sandbox.ts';
import { SandboxedTarget, ServerStartError, type GraderTarget } from '../server-half/sandboxed-target.ts';
import { limitStarts } from '../server-half/start-limit.ts';
import { boxLimitsOf } from '../rubric/limits.ts';
import { BoxWatch, boxFindings, type BoxFindings } from './box-findings.ts';
import { extractZip, locateServer, type SubmissionSource } from '../submissions/submissions.ts';
import { delay } from '../../process/server-process.ts';
import { hashSubmission, prepareWorkspace, rubricUsers } from '../submissions/workspace.ts';
import { checkAgainstStarter, type StarterCheck } from '../starter/check.ts';
import type { Starter } from '../starter/starter.ts';

// One submission, start to finish: find the server, copy it into a private workspace, make sure it
// starts and answers, run the rubric's scenarios against it, run the client half, score. Whatever
// the submission does, this returns a grade (status says what went wrong) and leaves no process.

/** A case of the suite as the grader knows it before anything runs (from the scenario files). */
export interface KnownCase {
  id: string;
  title: string;
  requirements: readonly string[];
  hint?: string | undefined;
  depends?: readonly string[];
  assumes?: readonly string[];
}

export interface GradeContext {
  rubric: Rubric;
  rubricHash: string;
  /** Every server case the rubric selects, so cases that could not run still count (as 0). */
  serverCases: readonly KnownCase[];
  /** The suite, loaded once per run (default: the runner reads fixtures/scenarios for each submission). */
  scenarios?: LoadedScenario[];
  /** Client checks seen so far in this run (the driver lists them): same purpose. */
  clientCases: Map<string, KnownCase>;
  plan: SandboxPlan;
  /**
   * Resource boxes (harness/sandbox/resource-box.ts): when the machine has them, each hand-in gets
   * one for both its halves. Absent or 'none': per-process limits only (the run has said so once).
   */
  boxes?: BoxPlan;
  /** The client driver runs on this machine even with --sandbox container: bwrap when it works. */
  clientPlan: SandboxPlan;
  limits: SandboxLimits;
  python: PythonRuntime;
  /** Folders hidden inside the sandbox: the kit, the submissions folder, the output folder. */
  hide: readonly string[];
  scratchRoot: string;
  /** --timeout: per-submission budget, overriding the rubric's. */
  submissionMs: number;
  caseMs: number;
  readyMs: number;
  /** How many scenario groups run side by side against one submission (each on its own instance). */
  serverParts: number;
  /** The course's files every hand-in runs with (--starter, or the class's most common); absent: as handed in. */
  starter?: Starter | undefined;
  /** Builds the server target for --sandbox container (harness/targets/container-target.ts). */
  containerTarget?: (workspace: string, command: readonly string[]) => GraderTarget;
  log: (line: string) => void;
  /** A server case of a submission finished (the progress display moves per case). */
  onCase?: (submission: string, caseId: string) => void;
}

export interface GradeOutcome {
  grade: SubmissionGrade;
  report?: RunReport;
}

export async function submissionKey(serverDir: string, rubricHash: string, starterHash?: string): Promise<string> {
  const files = await hashSubmission(serverDir);
  // Another starter runs other course files: another grade. No starter keeps the key it always had.
  return createHash('sha256').update(`${files}\n${rubricHash}\n${KIT_VERSION}${starterHash ? `\n${starterHash}` : ''}`).digest('hex');
}

/** Resolves a hand-in to the folder holding server.py (extracting a zip into scratch first). */
export async function resolveSource(
  source: SubmissionSource,
  scratch: string,
): Promise<{ ok: true; dir: string; located: string } | { ok: false; status: GradeStatus; detail: string }> {
  if (source.refused) return { ok: false, status: 'no-server', detail: source.refused };
  let root = source.path;
  if (source.kind === 'zip') {
    root = path.join(scratch, 'unzipped');
    try {
      await extractZip(source.path, root);
    } catch (error) {
      return { ok: false, status: 'bad-archive', detail: (error as Error).message };
    }
  }
  const found = await locateServer(root);
  if (!found.found) return { ok: false, status: 'no-server', detail: found.reason };
  return { ok: true, dir: found.dir, located: found.relative };
}

export function serverPatterns(rubric: Rubric): string[] {
  const out = new Set<string>();
  for (const task of rubric.tasks)
    for (const item of task.items)
      for (const ref of item.cases) {
        const match = typeof ref === 'string' ? ref : ref.match;
        if (!match.startsWith('client.')) out.add(match);
      }
  for (const group of rubric.ungraded) for (const match of group.cases) if (!match.startsWith('client.')) out.add(match);
  return [...out];
}

type Prepared =
  | { ok: true; dir: string; located: string; key: string; scratch: string }
  | { ok: false; status: GradeStatus; detail: string; scratch: string };

/** Where the hand-in's server is, or why it cannot be graded at all. */
type Located = { ok: true; serverDir: string; located: string; key: string } | { ok: false; status: GradeStatus; detail: string };

/** What the server half found: its status, its cases, its output and what went wrong on the way. */
interface ServerHalf {
  status: GradeStatus;
  detail?: string | undefined;
  outcomes: Map<string, CaseOutcome>;
  report?: RunReport | undefined;
  output: { stdout: string; stderr: string };
  incidents: string[];
  /** Every case not run is charged to this (socket_utils.py does not import). */
  blameAll?: string;
  /** A flood of output or of bytes on the wire (floods.ts): named by the status, never charged. */
  flood?: Flood | undefined;
  /** The framing the student's send_image wrote (student-image-encoder.ts), when it framed any image. */
  framing?: string;
}

/** What the client half found (sandboxed-client-half.ts), reduced to what the grade needs. */
interface ClientHalf {
  outcomes: CaseOutcome[];
  assumes: Map<string, readonly string[]>;
  output: string;
  failure?: string | undefined;
  quotaHit?: string | undefined;
  /** The kit's own failure while judging the client half (client-half.ts). */
  kitError?: string | undefined;
  incidents: string[];
}

/**
 * How many lanes a submission may still have busy in its tail. Two: the suite's last lanes are its
 * longest waits (the robustness group, 7.9.1's 2.5 s idle limit) and with one the tail came only once
 * the second of them was over.
 */
const TAIL_LANES = 2;

/**
 * A submission's server instances starting at the same time (start-limit.ts); its probe's counts.
 * Three, as many as before the suite had five lanes: a hand-in that forks up to its process limit
 * at start-up (fixtures/hostile-submissions/fork-bomb) starved its own cases with six.
 */
const STARTING_AT_ONCE = 3;

/**
 * Every sandbox of one hand-in that may be alive at once, which its resource box must hold at the
 * rubric's process count each (rubric/limits.ts): a server instance in each lane and one started
 * ahead for each (run-parallel.ts's pool), the start-up probe's, the client half's runner, and two
 * being stopped while their last processes are reaped.
 */
function sandboxesAtOnce(serverParts: number): number {
  return 2 * serverParts + 1 + 1 + 2;
}

/**
 * The per-submission budget and the "only waiting is left" signal the worker uses to start the next
 * submission early (grade-run.ts). Both halves read `aborted`; the budget aborts the server target.
 * The tail comes when the submission is down to its last TAIL_LANES lanes: the client half counts as
 * one, the server half as TAIL_LANES once its suite is in its tail and as none once it is over (a
 * start-up probe that failed, or every case run), so a client half still waiting out its flow
 * timeouts after the server half ended no longer holds the job.
 */
class SubmissionClock {
  aborted = false;
  readonly started = Date.now();
  readonly abortedSignal: Promise<void>;
  target: SandboxedTarget | GraderTarget | undefined;
  private readonly budget: NodeJS.Timeout;
  private serverLanes: 'many' | 'tail' | 'none' = 'many';
  private clientDone = false;
  private tailSignalled = false;

  constructor(
    private readonly ctx: GradeContext,
    private readonly onTail: (() => void) | undefined,
  ) {
    let signalAbort: () => void = () => undefined;
    this.abortedSignal = new Promise<void>((resolve) => (signalAbort = resolve));
    this.budget = setTimeout(() => {
      this.aborted = true;
      signalAbort();
      if (this.target instanceof SandboxedTarget) void this.target.abort();
    }, ctx.submissionMs);
    this.budget.unref();
  }

  get remainingMs(): number {
    return Math.max(1000, this.ctx.submissionMs - (Date.now() - this.started));
  }

  get timeoutDetail(): string {
    return `ran out of its ${Math.round(this.ctx.submissionMs / 1000)} s budget`;
  }

  suiteTail(): void {
    if (this.serverLanes === 'many') this.serverLanes = 'tail';
    this.maybeTail();
  }

  serverFinished(): void {
    this.serverLanes = 'none';
    this.maybeTail();
  }

  clientFinished(): void {
    this.clientDone = true;
    this.maybeTail();
  }

  private maybeTail(): void {
    if (this.tailSignalled) return;
    const server = this.serverLanes === 'many' ? Infinity : this.serverLanes === 'tail' ? TAIL_LANES : 0;
    if (server + (this.clientDone ? 0 : 1) > TAIL_LANES) return;
    this.tailSignalled = true;
    this.onTail?.();
  }

  stop(): void {
    clearTimeout(this.budget);
  }
}

/**
 * One submission, as a pipeline: locate its server -> prepare a workspace and a target -> run the
 * server half (start-up probe, then the scenarios in lanes) beside the client half -> charge each
 * defect once, score, and assemble the grade. Whatever the submission does, this returns a grade
 * (its status says what went wrong) and leaves no process.
 */
export async function gradeSubmission(
  source: SubmissionSource,
  folder: string,
  ctx: GradeContext,
  prepared?: Prepared,
  hooks: {
    /** Called once when the submission is down to its last lanes: its suite's last TAIL_LANES, or its client half (see grade-run.ts). */
    onTail?: () => void;
  } = {},
): Promise<GradeOutcome> {
  const clock = new SubmissionClock(ctx, hooks.onTail);
  const scratch = prepared?.scratch ?? (await mkdtemp(path.join(ctx.scratchRoot, 'sub-')));
  const base: { source: SubmissionSource; folder: string; ctx: GradeContext; clock: SubmissionClock; checked?: StarterCheck } = { source, folder, ctx, clock };
  let where: Located | undefined;
  let box: Box | undefined;
  let watch: BoxWatch | undefined;
  let encoder: StudentImageEncoder | undefined;
  try {
    where = await locate(source, scratch, ctx, prepared);
    if (!where.ok) return assembleGrade({ ...base, where, server: notGraded(where.status, where.detail) });
    const importError = await socketUtilsImportError(where.serverDir, scratch, ctx.python.executable);
    if (importError) {
      return assembleGrade({ ...base, where, server: { ...notGraded('crashed', `socket_utils.py does not import: ${importError}`), blameAll: DOES_NOT_IMPORT } });
    }
    const checked = ctx.starter ? await checkAgainstStarter(where.serverDir, ctx.starter, ctx.python.executable, scratch) : undefined;
    if (checked) Object.assign(base, { checked });
    box = ctx.boxes?.kind && ctx.boxes.kind !== 'none' ? await createBox(source.name, boxLimitsOf(ctx.limits, sandboxesAtOnce(ctx.serverParts))) : undefined;
    watch = box ? new BoxWatch(box) : undefined;
    // A container keeps its own limits (that is its box); the client half still runs here, boxed.
    const target = await prepareTarget(source, where.serverDir, scratch, ctx, ctx.plan.kind === 'container' ? undefined : box);
    clock.target = target;
    const clientHalf = runClientHalfOf(where.serverDir, scratch, ctx, clock, box);
    void clientHalf.finally(() => clock.clientFinished()).catch(() => undefined);
    // The image bytes the server half sends are the student's own send_image's (their framing).
    encoder = await sandboxedImageEncoder({ serverDir: where.serverDir, rubric: ctx.rubric, plan: ctx.clientPlan, limits: ctx.limits, python: ctx.python, hide: ctx.hide, scratch });
    const server = await runServerHalf(source, target, ctx, clock, encoder);
    await encoder.close();
    if (encoder.lastFraming) server.framing = encoder.lastFraming;
    if (encoder.incident) server.incidents.push(encoder.incident);
    clock.serverFinished();
    const client = await clientHalf;
    const boxed = box ? await boxFindings(box, watch?.stop() ?? { mostRunnable: 0, mostThreads: 0 }, ctx.limits.processes) : undefined;
    return assembleGrade({ ...base, where, server, client, ...(boxed ? { boxed } : {}) });
  } catch (error) {
    const detail = error instanceof GraderError ? `${error.code}: ${error.message}` : (error as Error).message;
    ctx.log(`ERROR ${source.name}: ${(error as Error).stack ?? detail}`);
    return assembleGrade({ ...base, ...(where ? { where } : {}), server: notGraded('error', detail) });
  } finally {
    clock.stop();
    watch?.stop();
    await encoder?.close();
    if (clock.target instanceof SandboxedTarget) await clock.target.abort();
    // Whatever the hand-in left (a daemon, a process stuck past its group's kill) goes with its box.
    await box?.destroy().catch((error: unknown) => ctx.log(`resource box of ${source.name}: ${(error as Error).message}`));
    await rm(scratch, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  }
}

/**
 * The row of a hand-in whose grading threw past gradeSubmission (writing its files, say): status
 * `error` with what went wrong, no points, no key (so the next run grades it again).
 */
export function kitErrorGrade(source: SubmissionSource, folder: string, ctx: GradeContext, detail: string): SubmissionGrade {
  const clock = new SubmissionClock(ctx, undefined);
  clock.stop();
  return assembleGrade({ source, folder, ctx, clock, server: notGraded('kit-error', detail) }).grade;
}

function notGraded(status: GradeStatus, detail: string | undefined): ServerHalf {
  return { status, detail, outcomes: new Map(), output: { stdout: '', stderr: '' }, incidents: [] };
}

/** The folder holding server.py (a zip extracted first), or the status that ends grading here. */
async function locate(source: SubmissionSource, scratch: string, ctx: GradeContext, prepared: Prepared | undefined): Promise<Located> {
  if (prepared && !prepared.ok) return { ok: false, status: prepared.status, detail: prepared.detail };
  if (prepared) return { ok: true, serverDir: prepared.dir, located: prepared.located, key: prepared.key };
  const resolved = await resolveSource(source, scratch);
  if (!resolved.ok) return { ok: false, status: resolved.status, detail: resolved.detail };
  return { ok: true, serverDir: resolved.dir, located: resolved.located, key: await submissionKey(resolved.dir, ctx.rubricHash, ctx.starter?.hash) };
}

/** A private workspace and the target that starts `python3 server.py --port {port}` in it, sandboxed. */
async function prepareTarget(
  source: SubmissionSource,
  serverDir: string,
  scratch: string,
  ctx: GradeContext,
  box: Box | undefined,
): Promise<SandboxedTarget | GraderTarget> {
  const base = path.join(scratch, 'base');
  await prepareWorkspace(serverDir, base, ctx.rubric, ctx.starter?.files);
  const command = [ctx.python.executable, 'server.py', '--port', '{port}'];
  if (ctx.plan.kind === 'container' && ctx.containerTarget) return ctx.containerTarget(base, command);
  return new SandboxedTarget({
    baseWorkspace: base,
    scratch: path.join(scratch, 'instances'),
    command,
    // Sandbox hook (sandbox.ts): `expose` puts the server in its own network namespace behind the kit's relay.
    wrap: (argv: string[], workspace: string, expose: RelayEndpoint) =>
      sandboxCommand(argv, workspace, { plan: ctx.plan, limits: ctx.limits, python: ctx.python, hide: ctx.hide, expose: [expose], box }),
    readyMs: ctx.readyMs,
    outputLimitBytes: ctx.rubric.limits.outputKiB * 1024,
    diskLimitBytes: ctx.rubric.limits.diskMiB * 1024 * 1024,
    description: `${source.name} (python3 server.py, sandbox ${ctx.plan.kind})`,
    ...(box ? { handInCpuNs: () => box.cpuUsageNs() } : {}),
  });
}

/**
 * The client half, independent of the server half (it runs against a reference server of its own),
 * so it runs alongside it, and a server that crashes still earns its client points.
 */
async function runClientHalfOf(serverDir: string, scratch: string, ctx: GradeContext, clock: SubmissionClock, box: Box | undefined): Promise<ClientHalf> {
  const client = await runSandboxedClientHalf({
    serverDir,
    courseFiles: ctx.starter?.files,
    rubric: ctx.rubric,
    plan: ctx.clientPlan,
    limits: ctx.limits,
    python: ctx.python,
    hide: ctx.hide,
    scratch,
    timeoutMs: Math.min(ctx.rubric.timeouts.clientSeconds * 1000, clock.remainingMs),
    caseMs: ctx.caseMs,
    isAborted: () => clock.aborted,
    mayCost: costsPoints(ctx.rubric),
    box,
  });
  for (const c of client.outcomes) if (!ctx.clientCases.has(c.id)) ctx.clientCases.set(c.id, { id: c.id, title: c.title, requirements: c.requirements, hint: c.hint });
  const incidents = [
    ...(client.failure ? [`client half: ${client.failure}`] : []),
    ...(client.importError ? [`client half: socket_utils could not be imported: ${client.importError}`] : []),
    ...(client.secondLook ? secondLookIncidents(client.secondLook).map((line) => `client half: ${line}`) : []),
    ...(client.ownTimeFeed ? [`client half: ${client.ownTimeFeed}`] : []),
  ];
  return { outcomes: client.outcomes, assumes: client.assumes ?? new Map(), output: client.stderr, failure: client.failure, quotaHit: client.quotaHit, kitError: client.kitError, incidents };
}

/**
 * The start-up probe (it classifies the hopeless cases quickly) and the scenarios in lanes. The suite
 * starts beside the probe, so its first servers start while the probe's does (at most
 * STARTING_AT_ONCE at a time, the probe's first): each start is a fresh copy of the workspace, so no
 * verdict depends on it. Until the probe has passed, the suite's cases
 * and its tail are held back; a probe that fails stops the suite and its report is dropped, as if it
 * had never begun.
 */
async function runServerHalf(source: SubmissionSource, target: SandboxedTarget | GraderTarget, ctx: GradeContext, clock: SubmissionClock, imageEncoder: StudentImageEncoder): Promise<ServerHalf> {
  const starts = limitStarts(target, STARTING_AT_ONCE);
  // The probe's start is asked for first, so it is never queued behind the suite's.
  const probing = preflightServer(starts, ctx);
  const probed = new AbortController();
  let passed = false;
  const held: (() => void)[] = [];
  const afterProbe = (event: () => void) => (passed ? event() : held.push(event));
  // Scenario groups in lanes, each on fresh instances started ahead (run-parallel.ts): the same
  // verdicts as one sequential suite, without running the shared login case once per part.
  const suite =
    ctx.serverCases.length === 0
      ? undefined
      : runSuiteParallel({
          target: starts,
          // Exact ids, not the rubric's globs: a glob the suite lacks is a rubric warning, not a failed run.
          cases: ctx.serverCases.map((c) => c.id),
          ...(ctx.scenarios ? { scenarios: ctx.scenarios } : {}),
          timeoutMs: ctx.caseMs,
          password: ctx.rubric.users.password,
          parallel: ctx.serverParts,
          signal: probed.signal,
          onCase: (r) => afterProbe(() => ctx.onCase?.(source.name, r.id)),
          onTail: () => afterProbe(() => clock.suiteTail()),
          tailLanes: TAIL_LANES,
          imageEncoder,
        });
  suite?.catch(() => undefined);
  const preflight = await probing.catch(async (error: unknown) => {
    probed.abort();
    await suite?.catch(() => undefined);
    throw error;
  });
  const half: ServerHalf = { status: preflight.status, detail: preflight.detail, outcomes: new Map(), output: preflight.output, incidents: [] };
  // A start-up crash that names a socket_utils.py function is charged to it, not "not attributed".
  const crashBlame = preflight.status === 'crashed' ? startupCrashBlame(preflight.output.stderr) : undefined;
  if (crashBlame) half.blameAll = crashBlame;
  if (!suite) return withFlood(half, target);
  if (preflight.status !== 'ok') {
    probed.abort();
    await suite.catch(() => undefined);
    return withFlood(half, target);
  }
  passed = true;
  for (const event of held.splice(0)) event();
  const budget = <T>(work: Promise<T>) => Promise.race([work, clock.abortedSignal.then(() => delay(15_000)).then(() => undefined)]);
  half.report = await budget(suite);
  if (half.report && !clock.aborted) {
    const looked = await budget(lookAgain(half.report, starts, ctx, clock, imageEncoder));
    if (looked) {
      half.report = looked.report;
      half.incidents.push(...secondLookIncidents(looked.summary));
    }
  }
  if (half.report) {
    for (const c of half.report.cases) half.outcomes.set(c.id, outcomeOf(c));
    const firstOutput = half.report.instances[0];
    if (firstOutput) half.output = { stdout: firstOutput.stdout, stderr: firstOutput.stderr };
  }
  if (target instanceof SandboxedTarget) half.incidents.push(...target.incidents);
  if (clock.aborted) Object.assign(half, { status: 'timeout', detail: clock.timeoutDetail });
  return withFlood(half, target);
}

/**
 * A flood seen in this half: the wire flood first (it cost the cases it hit), then the output flood.
 * Both are incidents; the status names one only when nothing worse (a crash, no-listen) does.
 */
function withFlood(half: ServerHalf, target: SandboxedTarget | GraderTarget): ServerHalf {
  const floods = [wireFlood(half.report), target instanceof SandboxedTarget ? outputFlood(target.outputFloods) : undefined].filter((f): f is Flood => !!f);
  half.flood = floods[0];
  half.incidents.push(...floods.map((f) => `${f.status}: ${f.detail}`));
  return half;
}

/**
 * Timeouts that cost points, judged again alone (harness/runner/second-look.ts): this grader runs
 * many servers at once, so a late reply may be the machine's doing, never to be charged to a student.
 */
function lookAgain(report: RunReport, target: GraderTarget, ctx: GradeContext, clock: SubmissionClock, imageEncoder: StudentImageEncoder): Promise<SecondLook> {
  const stop = new AbortController();
  void clock.abortedSignal.then(() => stop.abort());
  return secondLook(report, {
    target,
    ...(ctx.scenarios ? { scenarios: ctx.scenarios } : {}),
    timeoutMs: ctx.caseMs,
    password: ctx.rubric.users.password,
    signal: stop.signal,
    mayCost: costsPoints(ctx.rubric),
    imageEncoder,
  });
}

function secondLookIncidents(summary: SecondLookSummary): string[] {
  // A dependent skipped both times says nothing new: its prerequisite's line says it all.
  const ran = summary.judged.filter((j) => !(j.first === 'SKIPPED' && j.second === 'SKIPPED'));
  if (ran.length === 0) return [];
  const list = (pick: (j: (typeof ran)[number]) => boolean) => ran.filter(pick).map((j) => j.id).join(', ');
  const passed = list((j) => j.second === 'PASSED');
  const again = list((j) => j.second !== 'PASSED');
  const parts = [
    ...(passed ? [`passed: ${passed}`] : []),
    ...(again ? [`failed again: ${again}`] : []),
    ...(summary.notRerun.length ? [`not run again, once two re-runs in a row had timed out again: ${summary.notRerun.join(', ')}`] : []),
  ];
  return [`second look at failures a busy machine may have caused, by timeout or as the kit's ERROR (judged again alone, the second verdict stands): ${parts.join('; ')}`];
}

/**
 * The grade's status: its resource box's memory limit hit says most (what crashed did so because
 * of it); then the kit's own failure (a grade it could not judge is no grade: re-grade it); then an
 * output flood that made it fail; then the server half's own failure; then a run out of its budget;
 * then a client half past its disk quota; then a flood (floods.ts), which costs no points by itself.
 */
function statusOf(
  server: ServerHalf,
  client: ClientHalf | undefined,
  clock: SubmissionClock,
  boxed: BoxFindings | undefined,
): { status: GradeStatus; detail?: string | undefined } {
  // Its memory limit hit, a process of it was killed: whatever crashed or stalled after, that is why.
  if (boxed?.memory) return { status: 'memory', detail: boxed.memory };
  const kitError = kitErrorOf(server, client);
  if (kitError) return { status: 'kit-error', detail: `${kitError}; re-grade it (the kit failed, not the hand-in)` };
  // A server that never answered while it flooded its output failed because of the flood: the
  // status names the flood, then what it cost (a crash or a quota says more, and stays).
  if (server.flood?.status === 'output-flood' && (server.status === 'timeout' || server.status === 'no-listen')) {
    return { status: 'output-flood', detail: `${server.flood.detail}; meanwhile it failed: ${server.status}: ${server.detail ?? ''}` };
  }
  if (server.status !== 'ok') return { status: server.status, detail: server.detail };
  if (clock.aborted) return { status: 'timeout', detail: clock.timeoutDetail };
  if (client?.quotaHit) return { status: 'disk-quota', detail: `client half: ${client.quotaHit}` };
  if (server.flood) return server.flood;
  return { status: 'ok' };
}

/** The kit's failures in either half: a case the harness could not run (ERROR), the judge's own failure. */
function kitErrorOf(server: ServerHalf, client: ClientHalf | undefined): string | undefined {
  const errored = [...server.outcomes.values()].filter((o) => o.verdict === 'ERROR');
  const parts = [
    ...(errored.length ? [`the harness failed in ${errored.map((o) => `${o.id} (${o.detail ?? 'no detail'})`).join('; ')}`] : []),
    ...(client?.kitError ? [client.kitError] : []),
  ];
  return parts.length ? parts.join('; ') : undefined;
}

/** Every case the grade rests on: the rubric's server cases and the client checks, run or not. */
function allOutcomes(ctx: GradeContext, server: ServerHalf, client: ClientHalf | undefined, serverWhy: string): CaseOutcome[] {
  const notRun = (why: string) => `not run: ${why}`;
  const outcomes: CaseOutcome[] = ctx.serverCases.map(
    (known) =>
      server.outcomes.get(known.id) ?? {
        id: known.id,
        title: known.title,
        verdict: 'SKIPPED',
        requirements: known.requirements,
        detail: notRun(serverWhy),
        source: 'server',
        ...(server.blameAll ? { blame: server.blameAll } : {}),
      },
  );
  for (const [id, o] of server.outcomes) if (!ctx.serverCases.some((k) => k.id === id)) outcomes.push(o);
  const clientOutcomes = client?.outcomes ?? [];
  const clientIds = new Set(clientOutcomes.map((c) => c.id));
  outcomes.push(...clientOutcomes);
  for (const known of ctx.clientCases.values()) {
    if (clientIds.has(known.id)) continue;
    outcomes.push({
      id: known.id,
      title: known.title,
      verdict: 'SKIPPED',
      requirements: known.requirements,
      detail: notRun(client?.failure ?? serverWhy),
      source: 'client',
      ...(server.blameAll ? { blame: server.blameAll } : {}),
    });
  }
  return outcomes;
}

/** Charge each defect once, score with the rubric, and write it all down as grade.json's content. */
function assembleGrade(run: {
  source: SubmissionSource;
  folder: string;
  ctx: GradeContext;
  clock: SubmissionClock;
  where?: Located;
  checked?: StarterCheck;
  server: ServerHalf;
  client?: ClientHalf;
  boxed?: BoxFindings;
}): GradeOutcome {
  const { source, folder, ctx, clock, where, server, client, boxed, checked } = run;
  const { status, detail } = statusOf(server, client, clock, boxed);
  const serverWhy = status === 'ok' ? 'the run did not report this case' : `${status}${detail ? ` (${detail})` : ''}`;
  const prerequisites = new Map<string, readonly string[]>([
    ...ctx.serverCases.map((k) => [k.id, [...(k.depends ?? []), ...(k.assumes ?? [])]] as const),
    ...(client?.assumes ?? []),
  ]);
  const { outcomes: charged, score } = chargeAndScore(ctx.rubric, allOutcomes(ctx, server, client, serverWhy), prerequisites);
  const warnings = score.tasks.flatMap((task) =>
    task.items.flatMap((item) =>
      item.unmatched
        .filter((u) => !u.startsWith('client.') || ctx.clientCases.size > 0)
        .map((u) => `rubric: "${u}" (${task.id} / ${item.name}) matched no case`),
    ),
  );
  const grade: SubmissionGrade = {
    format: GRADE_FORMAT_VERSION,
    kit: KIT_VERSION,
    rubric: ctx.rubric.name,
    name: source.name,
    folder,
    source: source.kind,
    ...(where?.ok ? { located: where.located } : {}),
    key: where?.ok ? where.key : '',
    status,
    ...(ctx.starter && checked ? { starter: { origin: ctx.starter.origin, ...checked } } : {}),
    ...(detail !== undefined ? { detail } : {}),
    sandbox: ctx.plan.kind,
    gradedAt: new Date().toISOString(),
    durationMs: Date.now() - clock.started,
    total: score.total,
    max: score.max,
    tasks: score.tasks.map((t) => ({
      id: t.id,
      title: t.title,
      points: t.points,
      earned: t.earned,
      items: t.items.map((i) => ({
        name: i.name,
        points: i.points,
        earned: i.earned,
        cases: i.cases.map((c) => ({ id: c.id, weight: c.weight, credit: c.credit, ...(c.excused ? { excused: true } : {}) })),
        unmatched: [...i.unmatched],
      })),
    })),
    ungraded: score.ungraded.map((g) => ({ id: g.id, title: g.title, cases: g.cases.map((c) => c.id), passed: g.passed })),
    cases: charged.map(toGradedCase),
    incidents: [...(boxed?.incidents ?? []), ...(client?.incidents ?? []), ...server.incidents],
    warnings,
    ...(server.framing ? { imageFraming: framingLine(server.framing, charged) } : {}),
    output: server.output,
    clientOutput: client?.output ?? '',
  };
  return { grade: SubmissionGrade.parse(grade), ...(server.report ? { report: server.report } : {}) };
}

/**
 * The report's informational line on the image framing: the course fixes no byte order or encoding
 * (only the student's receive_image reads what their send_image writes), so a framing unlike the
 * reference's is named, never charged; whether the pair agrees shows in the first image cases.
 */
function framingLine(framing: string, cases: readonly CaseOutcome[]): string {
  const reference = framing === REFERENCE_FRAMING ? ' (as the reference does)' : '; the reference uses an 8-byte big-endian length, then the raw bytes';
  const passed = (id: string) => cases.find((c) => c.id === id)?.verdict === 'PASSED';
  // 5.1.1 and 6.1.1 hand the student's receive_image what their send_image wrote, in one piece:
  // they pass exactly when the pair agrees (the client checks can fail for other reasons).
  const agree = ['5.1.1', '6.1.1'].every(passed);
  const verdict = agree
    ? 'your sender and receiver agree, so the course app works'
    : 'the first image cases (5.1.1, 6.1.1), which hand your receive_image what your send_image wrote, did not pass: see them';
  return `Image framing (informational): your send_image writes ${framing}${reference}; ${verdict}.`;
}

async function preflightServer(
  target: GraderTarget,
  ctx: GradeContext,
): Promise<{ status: GradeStatus; detail?: string; output: { stdout: string; stderr: string } }> {
  let instance;
  try {
    instance = await target.start();
  } catch (error) {
    if (error instanceof ServerStartError) {
      const kind = error.failure.status;
      const status: GradeStatus = kind === 'aborted' ? 'timeout' : kind;
      return { status, detail: error.failure.detail, output: { stdout: error.stdout, stderr: error.stderr } };
    }
    if (error instanceof KitBusyError) return { status: 'kit-error', detail: error.message, output: { stdout: '', stderr: '' } };
    if (error instanceof SandboxFailedError) return { status: 'kit-error', detail: `${error.message}; re-grade it (the kit failed, not the hand-in)`, output: { stdout: '', stderr: '' } };
    throw error;
  }
  try {
    const users = Object.entries(rubricUsers(ctx.rubric));
    const [username, record] = users[0] ?? ['user1', { password: '123' }];
    const probe = await probeLogin(instance.port, username, record.password, Math.max(2000, ctx.caseMs), instance.progress).catch((error: unknown) => {
      if (error instanceof KitBusyError) return { ok: false as const, kitBusy: error.message, detail: error.message };
      throw error;
    });
    if ('kitBusy' in probe) return { status: 'kit-error', detail: probe.kitBusy, output: instance.output() };
    if (!probe.ok) return { status: 'timeout', detail: probe.detail, output: instance.output() };
    return { status: 'ok', output: instance.output() };
  } finally {
    const stopped = await instance.stop();
    if (stopped.status !== 'ok' && stopped.detail?.startsWith('workspace grew')) {
      // A quota breach during the probe itself is rare but is still the submission's doing.
      ctx.log(`preflight: ${stopped.detail}`);
    }
  }
}

function outcomeOf(c: CaseResult): CaseOutcome {
  return {
    id: c.id,
    title: c.title,
    verdict: c.verdict,
    requirements: c.requirements,
    hint: c.verdict === 'PASSED' ? undefined : c.hint,
    blame: blameOf(c, c.serverOutput?.join('\n')),
    detail: c.reason,
    expected: c.failure?.expected,
    actual: c.failure?.actual,
    serverOutput: c.serverOutput,
    source: 'server',
  };
}

const CAP = 2000;
const cap = (s: unknown): string | undefined => {
  if (s === undefined || s === null) return undefined;
  const text = typeof s === 'string' ? s : JSON.stringify(s);
  return text.length > CAP ? `${text.slice(0, CAP)}… (${text.length - CAP} more characters)` : text;
};

function toGradedCase(o: CaseOutcome): GradedCase {
  const out: GradedCase = { id: o.id, title: o.title, source: o.source, verdict: o.verdict, requirements: [...o.requirements] };
  if (o.hint) out.hint = o.hint;
  if (o.blame && !o.excusedBy) out.blame = o.blame;
  if (o.excusedBy) out.excusedBy = [...o.excusedBy];
  const d = cap(o.detail);
  if (d) out.detail = d;
  const e = cap(o.expected);
  if (e) out.expected = e;
  const a = cap(o.actual);
  if (a) out.actual = a;
  if (o.serverOutput?.length) out.serverOutput = o.serverOutput.map((line) => cap(line) ?? '');
  return out;
}

/** A previous grade.json whose key matches: the submission, rubric and kit are unchanged. */
export async function readPreviousGrade(file: string): Promise<SubmissionGrade | undefined> {
  try {
    return SubmissionGrade.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    return undefined;
  }
}
