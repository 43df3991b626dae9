import { rmSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderHtml } from '../reporters/html.ts';
import type { RunReport } from '../runner/report-format.ts';
import { DEFAULT_SCENARIO_DIR, loadScenarios } from '../scenarios/loader.ts';
import { dashboardHtml } from './dashboard.ts';
import { SubmissionsFolderError } from './errors.ts';
import { statusText, type SubmissionGrade } from './grade-format.ts';
import { GradeLog } from './grade-log.ts';
import { KIT_ROOT } from './kit-root.ts';
import { gradebookCsv, taskColumns } from './gradebook-csv.ts';
import { gradescopeResults, writeJsonAtomic } from './gradescope.ts';
import {
  gradeSubmission,
  readPreviousGrade,
  resolveSource,
  serverPatterns,
  submissionKey,
  type GradeContext,
  type KnownCase,
} from './grade-submission.ts';
import { killTrackedGroups } from './process-tree.ts';
import { createProgress } from './progress.ts';
import { loadRubric, type LoadedRubric } from './rubric-loader.ts';
import { caseMatcher, unmatchedPatterns } from './rubric-score.ts';
import { limitsOf, planSandbox, resolvePython, type SandboxMode } from './sandbox.ts';
import { inShard, type Shard } from './shard.ts';
import { studentReportHtml } from './student-report.ts';
import { listSubmissions, type SubmissionSource } from './submissions.ts';
import { ServerStartError, type GraderTarget } from './sandboxed-target.ts';
import { DEFAULT_CONTAINER_IMAGE } from '../targets/container-image.ts';

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
  /** Suites run side by side against one submission, each with its own instances (default 3). */
  serverParts?: number;
  /** Identical hand-ins (same files) are graded once and the grade is shared (default true). */
  dedupe?: boolean;
  /** Grade exactly these instead of listing `submissions` (the Gradescope wrapper's single hand-in). */
  sources?: SubmissionSource[];
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
}

/** Output folder names: readable, unique, and safe as a path component and in a URL. */
export function folderNames(sources: readonly SubmissionSource[]): Map<SubmissionSource, string> {
  const used = new Set<string>();
  const out = new Map<SubmissionSource, string>();
  for (const s of sources) {
    const base = s.name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || 'submission';
    let name = base;
    for (let i = 2; used.has(name.toLowerCase()); i++) name = `${base}-${i}`;
    used.add(name.toLowerCase());
    out.set(s, name);
  }
  return out;
}

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

export async function writeClassFiles(out: string, loaded: LoadedRubric, grades: readonly SubmissionGrade[]): Promise<void> {
  const columns = taskColumns(loaded.rubric);
  await writeFile(path.join(out, 'gradebook.csv'), gradebookCsv(columns, grades));
  await writeFile(path.join(out, 'index.html'), dashboardHtml(loaded.rubric.name, columns, grades));
}

export async function runGrade(options: GradeRunOptions): Promise<GradeRunResult> {
  const started = Date.now();
  const stream = options.stream ?? process.stderr;
  const say = (line: string) => stream.write(`${line}\n`);
  const loaded = await loadRubric(options.rubricFile);
  const { rubric } = loaded;

  const out = path.resolve(options.out);
  // An output folder inside the submissions folder is not a student.
  let sources = (options.sources ?? (await listSubmissions(options.submissions))).filter((s) => path.resolve(s.path) !== out);
  if (sources.length === 0) throw new SubmissionsFolderError(`no submissions in ${options.submissions} (expected one folder or .zip per student)`);
  const names = folderNames(sources);
  sources = sources.filter((s) => inShard(s.name, options.shard));
  if (options.only) {
    const m = caseMatcher(options.only);
    sources = sources.filter((s) => m(s.name));
  }

  await mkdir(out, { recursive: true });
  const log = new GradeLog(path.join(out, 'grade.log'));
  const warnings: string[] = [];
  const warn = (w: string) => {
    warnings.push(w);
    log.warn(w);
    say(`warning: ${w}`);
  };

  const plan = await planSandbox(options.sandbox);
  if (plan.warning) warn(plan.warning);
  const clientPlan = plan.kind === 'container' ? await planSandbox('auto') : plan;
  if (plan.kind === 'container' && clientPlan.warning) warn(`client half: ${clientPlan.warning}`);
  const python = await resolvePython();
  const scenarioDir = options.scenarioDir ?? DEFAULT_SCENARIO_DIR;
  const patterns = serverPatterns(rubric);
  const all = await loadScenarios(scenarioDir);
  const matchers = patterns.map(caseMatcher);
  const serverCases: KnownCase[] = all
    .filter((s) => matchers.some((m) => m(s.id)))
    .map((s) => ({ id: s.id, title: s.title, requirements: s.requirements ?? [], depends: s.depends ?? [], assumes: s.assumes ?? [] }));
  for (const drift of unmatchedPatterns(rubric, all.map((s) => s.id)).filter((d) => !d.includes(': client.'))) {
    warn(`rubric ${loaded.file}: ${drift} matches no scenario`);
  }

  let containerTarget: ((ws: string, command: readonly string[]) => GraderTarget) | undefined;
  if (plan.kind === 'container') {
    const { containerTarget: make, assertContainerRuntime, ContainerStartError } = await import('../targets/container-target.ts');
    await assertContainerRuntime();
    containerTarget = (ws, command) => {
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

  const scratchRoot = await mkdtemp(path.join(os.tmpdir(), 'instanet-grade-'));
  // Ctrl-C or a CI cancel: kill every student process, drop the scratch folder, keep what is
  // graded (each student's files are already written; a re-run resumes from them).
  const onSignal = (signal: NodeJS.Signals) => {
    const killed = killTrackedGroups();
    rmSync(scratchRoot, { recursive: true, force: true });
    stream.write(`\ninterrupted (${signal}): stopped ${killed} running process group(s); graded submissions are kept in ${out}, re-run to resume\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const ctx: GradeContext = {
    rubric,
    rubricHash: loaded.hash,
    serverCases,
    clientCases: new Map(),
    plan,
    clientPlan,
    limits: limitsOf(rubric),
    python,
    hide: [KIT_ROOT, path.resolve(options.submissions), out],
    scratchRoot,
    submissionMs: (options.timeoutSeconds ?? rubric.timeouts.submissionSeconds) * 1000,
    caseMs: (options.caseTimeoutSeconds ?? rubric.timeouts.caseSeconds) * 1000,
    readyMs: (options.readySeconds ?? rubric.timeouts.readySeconds) * 1000,
    serverParts: options.serverParts ?? 3,
    ...(containerTarget ? { containerTarget } : {}),
    log: (line) => log.info(line),
  };
  log.info(
    `grading ${sources.length} submission(s) from ${options.submissions} with ${loaded.file} (${serverCases.length} server cases), `
      + `sandbox ${plan.kind}, ${options.jobs} job(s)${options.shard ? `, shard ${options.shard.index}/${options.shard.count}` : ''}`,
  );

  const grades = new Map<SubmissionSource, SubmissionGrade>();
  let graded = 0;
  let reused = 0;
  let shared = 0;
  const progress = createProgress(sources.length, stream, options.progress);
  ctx.onCase = (name) => progress.caseDone(name);
  const queue = [...sources];
  // Same files, same rubric, same kit: the same grade. Grading them once is faster and fairer (no
  // scheduling noise between two copies of the starter), and each copy says whose grade it shares.
  const byKey = new Map<string, Promise<{ grade: SubmissionGrade; folder: string } | undefined>>();
  const gradeOne = async (
    source: SubmissionSource,
    folder: string,
    scratch: string,
    resolved: Awaited<ReturnType<typeof resolveSource>>,
    key: string,
    onTail: () => void,
  ): Promise<void> => {
    try {
      let settle: (v: { grade: SubmissionGrade; folder: string } | undefined) => void = () => undefined;
      if (resolved.ok) byKey.set(key, new Promise((resolve) => (settle = resolve)));
      let grade: SubmissionGrade;
      try {
        log.info(`${source.name}: grading${resolved.ok ? ` (server.py in ${resolved.located})` : ''}`);
        progress.start(source.name, resolved.ok ? serverCases.length : 0);
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
        settle(grade.status === 'error' ? undefined : { grade, folder });
        if (grade.status === 'error') byKey.delete(key);
      } catch (error) {
        settle(undefined);
        byKey.delete(key);
        throw error;
      }
      graded++;
      for (const incident of grade.incidents) log.info(`${source.name}: ${incident}`);
      for (const w of grade.warnings) if (!warnings.includes(w)) warn(w);
      log.info(`${source.name}: ${grade.total}/${grade.max} ${statusText(grade)} in ${(grade.durationMs / 1000).toFixed(1)} s`);
      progress.done(source.name, `${grade.total}/${grade.max} ${grade.status}`);
      grades.set(source, grade);
    } catch (error) {
      log.error(`${source.name}: ${(error as Error).stack ?? String(error)}`);
      progress.done(source.name, 'grader error');
      await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
      // Kept, not thrown: the worker may be grading the next submission by now; the run fails at the end.
      failures.push(error);
    }
  };
  const failures: unknown[] = [];
  const worker = async () => {
    let inTail: Promise<void> | undefined;
    for (let source = queue.shift(); source && failures.length === 0; source = queue.shift()) {
      const folder = names.get(source) as string;
      const gradeFile = path.join(out, folder, 'grade.json');
      const scratch = await mkdtemp(path.join(scratchRoot, 'sub-'));
      let grade: SubmissionGrade;
      try {
        const resolved = await resolveSource(source, scratch);
        const key = resolved.ok ? await submissionKey(resolved.dir, loaded.hash) : '';
        const previous = options.force || !resolved.ok ? undefined : await readPreviousGrade(gradeFile);
        if (previous && previous.key === key && previous.name === source.name) {
          grade = previous;
          reused++;
          await rm(scratch, { recursive: true, force: true });
          log.info(`${source.name}: unchanged since ${previous.gradedAt}, kept ${previous.total}/${previous.max} (use --force to regrade)`);
          progress.done(source.name, `${grade.total}/${grade.max} (kept)`);
        } else if (resolved.ok && options.dedupe !== false && byKey.has(key)) {
          const original = await byKey.get(key);
          if (!original) throw new Error(`the grading of an identical submission failed`);
          grade = {
            ...original.grade,
            name: source.name,
            folder,
            source: source.kind,
            located: resolved.located,
            gradedAt: new Date().toISOString(),
            durationMs: 0,
            incidents: [`same files as ${original.grade.name}: graded once, grade shared`, ...original.grade.incidents],
          };
          await rm(scratch, { recursive: true, force: true });
          await writeStudentFiles(out, grade);
          for (const extra of ['suite.html', 'suite-report.json']) {
            await cp(path.join(out, original.folder, extra), path.join(out, folder, extra)).catch(() => undefined);
          }
          shared++;
          log.info(`${source.name}: same files as ${original.grade.name}, ${grade.total}/${grade.max} shared`);
          progress.done(source.name, `${grade.total}/${grade.max} (same as ${original.grade.name})`);
        } else {
          // A submission whose last server lane is only waiting out timeouts lets this worker start
          // the next one beside it (at most one such tail per worker), so waiting overlaps work.
          let reachedTail: () => void = () => undefined;
          const tail = new Promise<void>((resolve) => (reachedTail = resolve));
          const whole = gradeOne(source, folder, scratch, resolved, key, reachedTail);
          await Promise.race([whole, tail]);
          if (inTail) await inTail;
          inTail = whole;
          continue;
        }
        grades.set(source, grade);
      } catch (error) {
        log.error(`${source.name}: ${(error as Error).stack ?? String(error)}`);
        progress.done(source.name, 'grader error');
        await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
        throw error;
      }
    }
    if (inTail) await inTail;
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs, sources.length)) }, worker));
    if (failures.length) throw failures[0];
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    progress.stop();
    await rm(scratchRoot, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  }

  // The class files cover every graded submission in the output folder that belongs to this run's
  // selection, including ones kept from earlier runs.
  const ordered = sources.map((s) => grades.get(s)).filter((g): g is SubmissionGrade => !!g);
  await writeClassFiles(out, loaded, ordered);
  const durationMs = Date.now() - started;
  log.info(`done: ${graded} graded, ${reused} kept, ${shared} shared, in ${(durationMs / 1000).toFixed(1)} s`);
  await log.close();
  return { out, grades: ordered, graded, reused, shared, durationMs, warnings };
}

