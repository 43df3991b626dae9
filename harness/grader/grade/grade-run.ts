import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { oneLine } from '../../base/safe-text.ts';
import { renderHtml } from '../../reporters/html.ts';
import type { RunReport } from '../../runner/report-format.ts';
import { DEFAULT_SCENARIO_DIR, loadScenarios, type LoadedScenario } from '../../scenarios/loader.ts';
import { dashboardHtml } from '../outputs/dashboard.ts';
import { SubmissionsFolderError } from '../errors.ts';
import { kitFailed, statusText, type SubmissionGrade } from '../outputs/grade-format.ts';
import { GradeLog } from './grade-log.ts';
import { KIT_ROOT } from '../kit-root.ts';
import { gradebookCsv, taskColumns } from '../outputs/gradebook-csv.ts';
import { gradescopeResults, writeJsonAtomic } from '../outputs/gradescope-results.ts';
import {
  gradeSubmission,
  kitErrorGrade,
  readPreviousGrade,
  resolveSource,
  serverPatterns,
  submissionKey,
  type GradeContext,
  type KnownCase,
} from './grade-submission.ts';
import { killTrackedGroups } from '../../process/process-groups.ts';
import { createProgress } from './progress.ts';
import { loadRubric, type LoadedRubric } from '../rubric/loader.ts';
import { caseMatcher, unmatchedPatterns } from '../rubric/score.ts';
import { leaveKitBox, planBoxes } from '../../sandbox/resource-box.ts';
import { planSandbox, resolvePython, type SandboxMode } from '../../sandbox/sandbox.ts';
import { limitsOf } from '../rubric/limits.ts';
import { inShard, type Shard } from './shard.ts';
import { studentReportHtml } from '../outputs/student-report.ts';
import { listSubmissions, type SubmissionSource } from '../submissions/submissions.ts';
import { folderNames } from '../outputs/folder-names.ts';
import { classFlags, type ClassFlags } from '../outputs/class-flags.ts';
import { fingerprintsOf, writeFingerprints } from './similar-hand-ins.ts';
import { similarPairs } from '../outputs/similarity.ts';
import { classStarter } from './class-starter.ts';
import { loadStarter, type Starter } from '../starter/starter.ts';
import { ServerStartError, type GraderTarget } from '../server-half/sandboxed-target.ts';
import { DEFAULT_CONTAINER_IMAGE } from '../../targets/container-image.ts';
import { loadContainerTarget } from '../../targets/load-container-target.ts';

// The whole class: discover, shard, resume, grade N at a time, write every output. Each student's
// files are written as soon as that student is graded, so an interrupted run loses nothing and a
// re-run picks up where it stopped.

export interface GradeRunOptions {
  submissions: string;
  rubricFile?: string;
  out: string;
  jobs: number;
  sandbox: SandboxMode;
  image?: string;
  /** Per-submission budget in seconds (default: the rubric's). */
  timeoutSeconds?: number;
  /** Per-case timeout in seconds (default: the rubric's). */
  caseTimeoutSeconds?: number;
  readySeconds?: number;
  force: boolean;
  shard?: Shard;
  progress: 'auto' | 'bar' | 'lines' | 'none';
  /** Where the progress and warnings go (stderr by default). */
  stream?: NodeJS.WritableStream;
  scenarioDir?: string;
  /** Only submissions whose name matches (a glob); for regrading one student. */
  only?: string;
  /** Suites run side by side against one submission, each with its own instances (default 5). */
  serverParts?: number;
  /** Identical hand-ins (same files) are graded once and the grade is shared (default true). */
  dedupe?: boolean;
  /** Grade exactly these instead of listing `submissions` (the Gradescope wrapper's single hand-in). */
  sources?: SubmissionSource[];
  /** The course's starter folder: its server.py, client.py, constants.py run with every hand-in (starter.ts). */
  starter?: string;
}

export interface GradeRunResult {
  out: string;
  grades: SubmissionGrade[];
  graded: number;
  reused: number;
  /** Copies of an identical hand-in that share its grade. */
  shared: number;
  durationMs: number;
  warnings: string[];
  /** Hand-ins whose grading the kit itself failed (each has a row with status `error`): exit 3. */
  kitErrors: string[];
  /** The grader process's peak resident memory so far (maxRSS), in MiB: bounded whatever a hand-in does. */
  peakMemoryMiB: number;
}

/** maxRSS of this process (kibibytes on Linux), in MiB. */
export const peakMemoryMiB = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

export async function writeStudentFiles(out: string, grade: SubmissionGrade, report?: RunReport): Promise<void> {
  const dir = path.join(out, grade.folder);
  await mkdir(dir, { recursive: true });
  await writeJsonAtomic(path.join(dir, 'results.json'), gradescopeResults(grade));
  const links = report
    ? [
        { href: 'suite.html', label: 'every case with its transcript' },
        { href: 'suite-report.json', label: 'suite report (JSON)' },
      ]
    : [];
  await writeFile(path.join(dir, 'report.html'), studentReportHtml(grade, links));
  if (report) {
    // The harness's own report: every byte each way, for a TA answering "but it works for me".
    await writeFile(path.join(dir, 'suite.html'), renderHtml(report));
    await writeJsonAtomic(path.join(dir, 'suite-report.json'), report);
  }
  // grade.json last: its presence (with the key) is what marks the submission as done.
  await writeJsonAtomic(path.join(dir, 'grade.json'), grade);
}

export async function writeClassFiles(out: string, loaded: LoadedRubric, grades: readonly SubmissionGrade[], flags: ClassFlags = classFlags(grades)): Promise<void> {
  const columns = taskColumns(loaded.rubric);
  await writeFile(path.join(out, 'gradebook.csv'), gradebookCsv(columns, grades, flags));
  await writeFile(path.join(out, 'index.html'), dashboardHtml(loaded.rubric.name, columns, grades, flags));
}

export async function runGrade(options: GradeRunOptions): Promise<GradeRunResult> {
  const started = Date.now();
  const stream = options.stream ?? process.stderr;
  const loaded = await loadRubric(options.rubricFile);
  const out = path.resolve(options.out);
  const { all, sources, scope, names } = await selectSources(options, out);
  // A wrong --starter is the user's to fix before anything is written (exit 2).
  const given = options.starter ? await loadStarter(options.starter, (await resolvePython()).executable, os.tmpdir()) : undefined;
  await mkdir(out, { recursive: true });
  const log = new GradeLog(path.join(out, 'grade.log'));
  const warnings: string[] = [];
  const warn = (w: string) => {
    warnings.push(w);
    log.warn(w);
    stream.write(`warning: ${oneLine(w)}\n`);
  };
  const scratchRoot = await mkdtemp(path.join(os.tmpdir(), 'instanet-grade-'));
  const interrupt = onInterrupt(scratchRoot, stream, out);
  const progress = createProgress(sources.length, stream, options.progress);
  try {
    const ctx = await gradeContext(options, loaded, out, scratchRoot, warn, log);
    ctx.onCase = (name) => progress.caseDone(name);
    ctx.starter = await chooseStarter(given, all, scratchRoot, warn, (note) => {
      log.info(note);
      if (!given) stream.write(`note: ${note}\n`);
    });
    log.info(
      `grading ${sources.length} submission(s) from ${options.submissions} with ${loaded.file} (${ctx.serverCases.length} server cases), `
        + `sandbox ${ctx.plan.kind}, ${options.jobs} job(s)${options.shard ? `, shard ${options.shard.index}/${options.shard.count}` : ''}`,
    );
    const run = new ClassRun({ options, loaded, ctx, out, names, log, progress, warn, warnings });
    await run.gradeAll(sources);
    const ordered = sources.map((s) => run.grades.get(s)).filter((g): g is SubmissionGrade => !!g);
    const everyone = await classGrades(out, scope, names, run.grades);
    const fingerprints = await fingerprintsOf(scope, scratchRoot);
    await writeFingerprints(out, fingerprints);
    const flags = classFlags(everyone, similarPairs(fingerprints));
    await writeClassFiles(out, loaded, everyone, flags);
    const durationMs = Date.now() - started;
    const peak = peakMemoryMiB();
    log.info(`done: ${run.graded} graded, ${run.reused} kept, ${run.shared} shared, in ${(durationMs / 1000).toFixed(1)} s; grader peak memory: ${peak} MiB`);
    await log.close();
    return { out, grades: ordered, graded: run.graded, reused: run.reused, shared: run.shared, durationMs, warnings, kitErrors: run.kitErrors, peakMemoryMiB: peak };
  } finally {
    interrupt.remove();
    progress.stop();
    await leaveKitBox();
    await rm(scratchRoot, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  }
}

/**
 * The class files cover the whole shard: this run's grades, and for a student --only left out, the
 * grade already in the output folder (a regrade of four students must not drop the other rows).
 */
async function classGrades(
  out: string,
  scope: readonly SubmissionSource[],
  names: Map<SubmissionSource, string>,
  graded: Map<SubmissionSource, SubmissionGrade>,
): Promise<SubmissionGrade[]> {
  const grades: SubmissionGrade[] = [];
  for (const s of scope) {
    const grade = graded.get(s) ?? (await readPreviousGrade(path.join(out, names.get(s) as string, 'grade.json')));
    if (grade && grade.name === s.name) grades.push(grade);
  }
  return grades;
}

/** The class, this run's submissions (the shard, --only), the shard they belong to, and each one's folder in the output. */
async function selectSources(
  options: GradeRunOptions,
  out: string,
): Promise<{ all: SubmissionSource[]; sources: SubmissionSource[]; scope: SubmissionSource[]; names: Map<SubmissionSource, string> }> {
  // An output folder inside the submissions folder is not a student.
  const all = (options.sources ?? (await listSubmissions(options.submissions))).filter((s) => path.resolve(s.path) !== out);
  if (all.length === 0) throw new SubmissionsFolderError(`no submissions in ${options.submissions} (expected one folder or .zip per student)`);
  const names = folderNames(all);
  const only = options.only ? caseMatcher(options.only) : undefined;
  // A shard may be empty (more shards than students); a pattern that matches no one is a typo.
  if (only && !all.some((s) => only(s.name))) {
    throw new SubmissionsFolderError(`--only ${JSON.stringify(options.only)} matches none of the ${all.length} submissions in ${options.submissions} (it matches whole names, as a glob: e.g. "user*" or "{alice,bob}")`);
  }
  const scope = all.filter((s) => inShard(s.name, options.shard));
  const sources = scope.filter((s) => !only || only(s.name));
  return { all, sources, scope, names };
}

/**
 * The course files every hand-in runs with: --starter's, else the class's most common (counted over
 * the whole class, so the shards of a class agree), else none, with a warning.
 */
async function chooseStarter(
  given: Starter | undefined,
  all: readonly SubmissionSource[],
  scratchRoot: string,
  warn: (w: string) => void,
  note: (line: string) => void,
): Promise<Starter | undefined> {
  if (given) {
    note(given.note);
    return given;
  }
  const fromClass = await classStarter(all, scratchRoot);
  if (!fromClass.ok) {
    warn(fromClass.warning);
    return undefined;
  }
  note(fromClass.starter.note);
  return fromClass.starter;
}

/**
 * Ctrl-C or a CI cancel: kill every student process, drop the scratch folder, keep what is graded
 * (each student's files are already written; a re-run resumes from them).
 */
function onInterrupt(scratchRoot: string, stream: NodeJS.WritableStream, out: string): { remove: () => void } {
  const onSignal = (signal: NodeJS.Signals) => {
    const killed = killTrackedGroups();
    rmSync(scratchRoot, { recursive: true, force: true });
    stream.write(`\ninterrupted (${signal}): stopped ${killed} running process group(s); graded submissions are kept in ${out}, re-run to resume\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    remove: () => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    },
  };
}

/** The sandbox plans, the interpreter, the rubric's server cases and the budgets every submission shares. */
async function gradeContext(
  options: GradeRunOptions,
  loaded: LoadedRubric,
  out: string,
  scratchRoot: string,
  warn: (w: string) => void,
  log: GradeLog,
): Promise<GradeContext> {
  const { rubric } = loaded;
  const plan = await planSandbox(options.sandbox);
  if (plan.warning) warn(plan.warning);
  const clientPlan = plan.kind === 'container' ? await planSandbox('auto') : plan;
  if (plan.kind === 'container' && clientPlan.warning) warn(`client half: ${clientPlan.warning}`);
  // One box per hand-in where the machine has cgroups; where not, one line says what that means.
  const boxes = await planBoxes();
  if (boxes.warning) warn(boxes.warning);
  const python = await resolvePython();
  // Read once per run: every submission's suite runs from these (parsing the YAML is ~40 ms a time).
  const scenarios = await loadScenarios(options.scenarioDir ?? DEFAULT_SCENARIO_DIR);
  const serverCases = serverCasesOf(loaded, scenarios, warn);
  const containerTarget = plan.kind === 'container' ? await containerTargetFactory(options, rubric) : undefined;
  return {
    rubric,
    rubricHash: loaded.hash,
    serverCases,
    scenarios,
    clientCases: new Map(),
    plan,
    boxes,
    clientPlan,
    limits: limitsOf(rubric),
    python,
    hide: [KIT_ROOT, path.resolve(options.submissions), out],
    scratchRoot,
    submissionMs: (options.timeoutSeconds ?? rubric.timeouts.submissionSeconds) * 1000,
    caseMs: (options.caseTimeoutSeconds ?? rubric.timeouts.caseSeconds) * 1000,
    readyMs: (options.readySeconds ?? rubric.timeouts.readySeconds) * 1000,
    serverParts: options.serverParts ?? 5,
    ...(containerTarget ? { containerTarget } : {}),
    log: (line) => log.info(line),
  };
}

/** The scenarios the rubric selects; a rubric pattern that matches none is a warning. */
function serverCasesOf(loaded: LoadedRubric, all: readonly LoadedScenario[], warn: (w: string) => void): KnownCase[] {
  const matchers = serverPatterns(loaded.rubric).map(caseMatcher);
  for (const drift of unmatchedPatterns(loaded.rubric, all.map((s) => s.id)).filter((d) => !d.includes(': client.'))) {
    warn(`rubric ${loaded.file}: ${drift} matches no scenario`);
  }
  return all
    .filter((s) => matchers.some((m) => m(s.id)))
    .map((s) => ({ id: s.id, title: s.title, requirements: s.requirements ?? [], depends: s.depends ?? [], assumes: s.assumes ?? [] }));
}

/** --sandbox container: a target per workspace, its start errors turned into the grader's statuses. */
async function containerTargetFactory(options: GradeRunOptions, rubric: LoadedRubric['rubric']): Promise<(ws: string, command: readonly string[]) => GraderTarget> {
  const { containerTarget: make, assertContainerRuntime, ContainerStartError } = await loadContainerTarget();
  await assertContainerRuntime();
  return (ws, command) => {
    const target = make({
      workspace: ws,
      image: options.image ?? DEFAULT_CONTAINER_IMAGE,
      command: ['python3', ...command.slice(1)],
      readyMs: (options.readySeconds ?? rubric.timeouts.readySeconds) * 1000,
      limits: limitsOf(rubric),
    });
    // The start-up probe classifies the grader's own start error (no-listen, crashed: <line>).
    return {
      ...target,
      start: () =>
        target.start().catch((error: unknown) => {
          throw error instanceof ContainerStartError ? new ServerStartError(error.failure, error.output) : error;
        }),
    };
  };
}

/**
 * Submissions of one job that may be down to their last lane at once (waiting out timeouts) while
 * it grades the next. One held a job idle whenever a long tail (a hang's client half, a slow
 * robustness group) outlasted the next submission's busy part.
 */
const MAX_TAILS = 2;

/** The suite's target line starts with the hand-in's name ("alice (python3 server.py, …)"). */
function renamedTarget(target: string, from: string, to: string): string {
  return target.startsWith(`${from} (`) ? `${to}${target.slice(from.length)}` : target.split(from).join(to);
}

/** A class being graded: the jobs, what each submission came to, and the counts the summary gives. */
class ClassRun {
  readonly grades = new Map<SubmissionSource, SubmissionGrade>();
  graded = 0;
  reused = 0;
  shared = 0;
  /**
   * What the kit failed at, one line per hand-in. Grading goes on: whatever one hand-in does, the
   * class files are written with a row for every hand-in (a flood once ended a run with none).
   */
  readonly kitErrors: string[] = [];
  // Same files, same rubric, same kit: the same grade. Grading them once is faster and fairer (no
  // scheduling noise between two copies of the starter), and each copy says whose grade it shares.
  private readonly byKey = new Map<string, Promise<{ grade: SubmissionGrade; folder: string } | undefined>>();

  constructor(
    private readonly run: {
      options: GradeRunOptions;
      loaded: LoadedRubric;
      ctx: GradeContext;
      out: string;
      names: Map<SubmissionSource, string>;
      log: GradeLog;
      progress: ReturnType<typeof createProgress>;
      warn: (w: string) => void;
      warnings: string[];
    },
  ) {}

  async gradeAll(sources: readonly SubmissionSource[]): Promise<void> {
    const queue = [...sources];
    const jobs = Math.max(1, Math.min(this.run.options.jobs, sources.length));
    await Promise.all(Array.from({ length: jobs }, () => this.worker(queue)));
  }

  /** A hand-in the kit failed to grade: logged whole, and a row with status `kit-error` that says so. */
  private async kitError(source: SubmissionSource, folder: string, scratch: string, error: unknown): Promise<void> {
    const { ctx, out, log, progress } = this.run;
    log.error(`${source.name}: ${(error as Error).stack ?? String(error)}`);
    progress.done(source.name, 'grader error');
    await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
    const detail = `the kit failed while grading this hand-in (${(error as Error).message ?? String(error)}); re-grade it`;
    this.kitErrors.push(`${source.name}: ${detail}`);
    const grade = kitErrorGrade(source, folder, ctx, detail);
    this.grades.set(source, grade);
    // Best effort: the failure may be the writing itself; the class files carry the row anyway.
    await writeStudentFiles(out, grade).catch(() => undefined);
  }

  private async worker(queue: SubmissionSource[]): Promise<void> {
    const tails = new Set<Promise<void>>();
    for (let source = queue.shift(); source; source = queue.shift()) {
      const folder = this.run.names.get(source) as string;
      const scratch = await mkdtemp(path.join(this.run.ctx.scratchRoot, 'sub-'));
      try {
        const resolved = await resolveSource(source, scratch);
        const key = resolved.ok ? await submissionKey(resolved.dir, this.run.loaded.hash, this.run.ctx.starter?.hash) : '';
        const known = await this.keptOrShared(source, folder, resolved, key);
        if (known) {
          await rm(scratch, { recursive: true, force: true });
          this.grades.set(source, known);
          continue;
        }
        // A submission down to its last lane (mostly waiting out timeouts) lets this worker start
        // the next one beside it (at most MAX_TAILS such tails per worker), so waiting overlaps work.
        let reachedTail: () => void = () => undefined;
        const tail = new Promise<void>((resolve) => (reachedTail = resolve));
        const whole = this.gradeOne(source, folder, scratch, resolved, key, reachedTail);
        await Promise.race([whole, tail]);
        while (tails.size >= MAX_TAILS) await Promise.race(tails);
        tails.add(whole);
        void whole.finally(() => tails.delete(whole));
      } catch (error) {
        await this.kitError(source, folder, scratch, error);
      }
    }
    await Promise.all(tails);
  }

  /** The grade kept from an earlier run (same key), or shared with an identical hand-in of this run. */
  private async keptOrShared(
    source: SubmissionSource,
    folder: string,
    resolved: Awaited<ReturnType<typeof resolveSource>>,
    key: string,
  ): Promise<SubmissionGrade | undefined> {
    const { options, out, log, progress } = this.run;
    const previous = options.force || !resolved.ok ? undefined : await readPreviousGrade(path.join(out, folder, 'grade.json'));
    // A grade the kit could not finish is never kept: a re-run is how it gets graded.
    if (previous && previous.key === key && previous.name === source.name && !kitFailed(previous)) {
      this.reused++;
      log.info(`${source.name}: unchanged since ${previous.gradedAt}, kept ${previous.total}/${previous.max} (use --force to regrade)`);
      progress.done(source.name, `${previous.total}/${previous.max} (kept)`);
      return previous;
    }
    if (!resolved.ok || options.dedupe === false || !this.byKey.has(key)) return undefined;
    const original = await this.byKey.get(key);
    if (!original) throw new Error(`the grading of an identical submission failed`);
    // A student's files never name another student: the copy's grade and suite report are the
    // original's with this student's name; the TA is told in gradebook.csv and the dashboard.
    const grade: SubmissionGrade = {
      ...original.grade,
      name: source.name,
      folder,
      source: source.kind,
      located: resolved.located,
      gradedAt: new Date().toISOString(),
      durationMs: 0,
    };
    // Read back from the original's folder rather than held in memory: a report with its transcripts
    // is megabytes, and a class may have many distinct hand-ins.
    const report = await readFile(path.join(out, original.folder, 'suite-report.json'), 'utf8')
      .then((text) => JSON.parse(text) as RunReport)
      .catch(() => undefined);
    if (report) report.target = renamedTarget(report.target, original.grade.name, source.name);
    await writeStudentFiles(out, grade, report);
    this.shared++;
    log.info(`${source.name}: same files as ${original.grade.name}, ${grade.total}/${grade.max} shared`);
    progress.done(source.name, `${grade.total}/${grade.max} (same as ${original.grade.name})`);
    return grade;
  }

  private async gradeOne(
    source: SubmissionSource,
    folder: string,
    scratch: string,
    resolved: Awaited<ReturnType<typeof resolveSource>>,
    key: string,
    onTail: () => void,
  ): Promise<void> {
    const { ctx, out, log, progress, warn, warnings } = this.run;
    try {
      let settle: (v: { grade: SubmissionGrade; folder: string } | undefined) => void = () => undefined;
      if (resolved.ok) this.byKey.set(key, new Promise((resolve) => (settle = resolve)));
      let grade: SubmissionGrade;
      try {
        log.info(`${source.name}: grading${resolved.ok ? ` (server.py in ${resolved.located})` : ''}`);
        progress.start(source.name, resolved.ok ? ctx.serverCases.length : 0);
        const result = await gradeSubmission(
          source,
          folder,
          ctx,
          resolved.ok
            ? { ok: true, dir: resolved.dir, located: resolved.located, key, scratch }
            : { ok: false, status: resolved.status, detail: resolved.detail, scratch },
          { onTail },
        );
        grade = result.grade;
        await writeStudentFiles(out, grade, result.report);
        // A grader failure is not shared: the copy gets its own attempt.
        settle(kitFailed(grade) ? undefined : { grade, folder });
        if (kitFailed(grade)) this.byKey.delete(key);
      } catch (error) {
        settle(undefined);
        this.byKey.delete(key);
        throw error;
      }
      this.graded++;
      for (const incident of grade.incidents) log.info(`${source.name}: ${incident}`);
      for (const w of grade.warnings) if (!warnings.includes(w)) warn(w);
      log.info(`${source.name}: ${grade.total}/${grade.max} ${statusText(grade)} in ${(grade.durationMs / 1000).toFixed(1)} s`);
      progress.done(source.name, `${grade.total}/${grade.max} ${grade.status}`);
      this.grades.set(source, grade);
    } catch (error) {
      // Kept, not thrown: the worker may be grading the next submission by now; the run ends with exit 3.
      await this.kitError(source, folder, scratch, error);
    }
  }
}
