import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { KIT_VERSION } from '../base/kit-version.ts';
import { runSuiteParallel } from '../runner/run-parallel.ts';
import type { CaseResult, RunReport } from '../runner/report-format.ts';
import { runSandboxedClientHalf } from './sandboxed-client-half.ts';
import { GraderError } from './errors.ts';
import { GRADE_FORMAT_VERSION, SubmissionGrade, type GradeStatus, type GradedCase } from './grade-format.ts';
import { blameOf } from './blame.ts';
import { chargeOnce } from './charge-once.ts';
import { probeLogin } from './login-probe.ts';
import type { Rubric } from './rubric-format.ts';
import { scoreSubmission, type CaseOutcome } from './rubric-score.ts';
import { sandboxCommand, wrapCommand, type PythonRuntime, type RelayEndpoint, type SandboxLimits, type SandboxPlan } from './sandbox.ts';
import { SandboxedTarget, ServerStartError, type GraderTarget } from './sandboxed-target.ts';
import { extractZip, locateServer, type SubmissionSource } from './submissions.ts';
import { delay } from './server-process.ts';
import { hashSubmission, prepareWorkspace, rubricUsers } from './workspace.ts';

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
  /** Client checks seen so far in this run (the driver lists them): same purpose. */
  clientCases: Map<string, KnownCase>;
  plan: SandboxPlan;
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

export async function submissionKey(serverDir: string, rubricHash: string): Promise<string> {
  const files = await hashSubmission(serverDir);
  return createHash('sha256').update(`${files}\n${rubricHash}\n${KIT_VERSION}`).digest('hex');
}

/** Resolves a hand-in to the folder holding server.py (extracting a zip into scratch first). */
export async function resolveSource(
  source: SubmissionSource,
  scratch: string,
): Promise<{ ok: true; dir: string; located: string } | { ok: false; status: GradeStatus; detail: string }> {
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

export async function gradeSubmission(
  source: SubmissionSource,
  folder: string,
  ctx: GradeContext,
  prepared?:
    | { ok: true; dir: string; located: string; key: string; scratch: string }
    | { ok: false; status: GradeStatus; detail: string; scratch: string },
  hooks: {
    /** Called once when only one server lane is still busy and the client half is done (see grade-run.ts). */
    onTail?: () => void;
  } = {},
): Promise<GradeOutcome> {
  const started = Date.now();
  let suiteInTail = false;
  let clientDone = false;
  let tailSignalled = false;
  const maybeTail = () => {
    if (tailSignalled || !suiteInTail || !clientDone) return;
    tailSignalled = true;
    hooks.onTail?.();
  };
  const scratch = prepared?.scratch ?? (await mkdtemp(path.join(ctx.scratchRoot, 'sub-')));
  const warnings: string[] = [];
  const incidents: string[] = [];
  let status: GradeStatus = 'ok';
  let detail: string | undefined;
  let located: string | undefined;
  let key = '';
  let report: RunReport | undefined;
  let serverOutput = { stdout: '', stderr: '' };
  let clientOutput = '';
  const serverOutcomes = new Map<string, CaseOutcome>();
  let clientOutcomes: CaseOutcome[] = [];
  let clientAssumes = new Map<string, readonly string[]>();
  let clientFailure: string | undefined;
  let target: SandboxedTarget | GraderTarget | undefined;
  let aborted = false;
  let signalAbort: () => void = () => undefined;
  const abortedSignal = new Promise<void>((resolve) => (signalAbort = resolve));
  const budget = setTimeout(() => {
    aborted = true;
    signalAbort();
    if (target instanceof SandboxedTarget) void target.abort();
  }, ctx.submissionMs);
  budget.unref();

  try {
    let serverDir: string;
    if (prepared && !prepared.ok) {
      status = prepared.status;
      detail = prepared.detail;
      return finish();
    } else if (prepared) {
      serverDir = prepared.dir;
      located = prepared.located;
      key = prepared.key;
    } else {
      const resolved = await resolveSource(source, scratch);
      if (!resolved.ok) {
        status = resolved.status;
        detail = resolved.detail;
        return finish();
      }
      serverDir = resolved.dir;
      located = resolved.located;
      key = await submissionKey(serverDir, ctx.rubricHash);
    }
    const base = path.join(scratch, 'base');
    await prepareWorkspace(serverDir, base, ctx.rubric);
    // Sandbox hook (sandbox.ts): `expose` puts the server in its own network namespace behind the kit's relay.
    const wrap = (argv: string[], workspace: string, expose: RelayEndpoint) =>
      sandboxCommand(argv, workspace, { plan: ctx.plan, limits: ctx.limits, python: ctx.python, hide: ctx.hide, expose: [expose] });
    const command = [ctx.python.executable, 'server.py', '--port', '{port}'];
    if (ctx.plan.kind === 'container' && ctx.containerTarget) target = ctx.containerTarget(base, command);
    else {
      target = new SandboxedTarget({
        baseWorkspace: base,
        scratch: path.join(scratch, 'instances'),
        command,
        wrap,
        readyMs: ctx.readyMs,
        outputLimitBytes: ctx.rubric.limits.outputKiB * 1024,
        diskLimitBytes: ctx.rubric.limits.diskMiB * 1024 * 1024,
        description: `${source.name} (python3 server.py, sandbox ${ctx.plan.kind})`,
      });
    }

    // Client half: independent of the server half (it runs against the reference server), so it runs
    // alongside it, and a server that crashes still earns its client points.
    const clientHalf = (async () => {
      const remaining = Math.max(1000, ctx.submissionMs - (Date.now() - started));
      const client = await runSandboxedClientHalf({
        serverDir,
        rubric: ctx.rubric,
        plan: ctx.clientPlan,
        limits: ctx.limits,
        python: ctx.python,
        hide: ctx.hide,
        scratch,
        timeoutMs: Math.min(ctx.rubric.timeouts.clientSeconds * 1000, remaining),
        caseMs: ctx.caseMs,
        isAborted: () => aborted,
      });
      clientOutcomes = client.outcomes;
      clientAssumes = client.assumes ?? clientAssumes;
      clientOutput = client.stderr;
      clientFailure = client.failure;
      if (client.failure) incidents.push(`client half: ${client.failure}`);
      if (client.quotaHit && status === 'ok') {
        // The server half's own failure, if any, says more; otherwise this is what went wrong.
        status = 'disk-quota';
        detail = `client half: ${client.quotaHit}`;
      }
      if (client.importError) incidents.push(`client half: socket_utils could not be imported: ${client.importError}`);
      for (const c of clientOutcomes) if (!ctx.clientCases.has(c.id)) ctx.clientCases.set(c.id, { id: c.id, title: c.title, requirements: c.requirements, hint: c.hint });
      if (aborted && status === 'ok') {
        status = 'timeout';
        detail = `ran out of its ${Math.round(ctx.submissionMs / 1000)} s budget`;
      }
    })();
    clientHalf.catch(() => undefined);
    void clientHalf
      .finally(() => {
        clientDone = true;
        maybeTail();
      })
      .catch(() => undefined);

    // Server half, preceded by a start-and-login probe that classifies the hopeless cases quickly.
    const preflight = await preflightServer(target, ctx);
    serverOutput = preflight.output;
    if (preflight.status !== 'ok') {
      status = preflight.status;
      detail = preflight.detail;
    } else if (ctx.serverCases.length > 0) {
      // Scenario groups in lanes, each on fresh instances started ahead (run-parallel.ts): the same
      // verdicts as one sequential suite, without running the shared login case once per part.
      const suite = runSuiteParallel({
        target: target as GraderTarget,
        // Exact ids, not the rubric's globs: a glob the suite lacks is a rubric warning, not a failed run.
        cases: ctx.serverCases.map((c) => c.id),
        timeoutMs: ctx.caseMs,
        password: ctx.rubric.users.password,
        parallel: ctx.serverParts,
        onCase: (r) => ctx.onCase?.(source.name, r.id),
        onTail: () => {
          suiteInTail = true;
          maybeTail();
        },
      });
      report = await Promise.race([suite, abortedSignal.then(() => delay(15_000)).then(() => undefined)]);
      suite.catch(() => undefined);
      if (report) {
        for (const c of report.cases) serverOutcomes.set(c.id, outcomeOf(c));
        const firstOutput = report.instances[0];
        if (firstOutput) serverOutput = { stdout: firstOutput.stdout, stderr: firstOutput.stderr };
      }
      if (target instanceof SandboxedTarget) incidents.push(...target.incidents);
      if (aborted) {
        status = 'timeout';
        detail = `ran out of its ${Math.round(ctx.submissionMs / 1000)} s budget`;
      }
    }

    await clientHalf;
    return finish();
  } catch (error) {
    status = 'error';
    detail = error instanceof GraderError ? `${error.code}: ${error.message}` : (error as Error).message;
    ctx.log(`ERROR ${source.name}: ${(error as Error).stack ?? detail}`);
    return finish();
  } finally {
    clearTimeout(budget);
    if (target instanceof SandboxedTarget) await target.abort();
    await rm(scratch, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  }

  function finish(): GradeOutcome {
    const notRun = (why: string) => `not run: ${why}`;
    const serverWhy =
      status === 'ok' ? 'the run did not report this case' : `${status}${detail ? ` (${detail})` : ''}`;
    const outcomes: CaseOutcome[] = [];
    for (const known of ctx.serverCases) {
      outcomes.push(
        serverOutcomes.get(known.id) ?? {
          id: known.id,
          title: known.title,
          verdict: 'SKIPPED',
          requirements: known.requirements,
          detail: notRun(serverWhy),
          source: 'server',
        },
      );
    }
    for (const [id, o] of serverOutcomes) if (!ctx.serverCases.some((k) => k.id === id)) outcomes.push(o);
    const clientIds = new Set(clientOutcomes.map((c) => c.id));
    outcomes.push(...clientOutcomes);
    for (const known of ctx.clientCases.values()) {
      if (clientIds.has(known.id)) continue;
      outcomes.push({
        id: known.id,
        title: known.title,
        verdict: 'SKIPPED',
        requirements: known.requirements,
        detail: notRun(clientFailure ?? serverWhy),
        source: 'client',
      });
    }
    const prerequisites = new Map<string, readonly string[]>([
      ...ctx.serverCases.map((k) => [k.id, [...(k.depends ?? []), ...(k.assumes ?? [])]] as const),
      ...clientAssumes,
    ]);
    const charged = chargeOnce(outcomes, prerequisites);
    const score = scoreSubmission(ctx.rubric, charged);
    for (const task of score.tasks)
      for (const item of task.items)
        for (const u of item.unmatched)
          if (!u.startsWith('client.') || ctx.clientCases.size > 0) warnings.push(`rubric: "${u}" (${task.id} / ${item.name}) matched no case`);
    const grade: SubmissionGrade = {
      format: GRADE_FORMAT_VERSION,
      kit: KIT_VERSION,
      rubric: ctx.rubric.name,
      name: source.name,
      folder,
      source: source.kind,
      ...(located !== undefined ? { located } : {}),
      key,
      status,
      ...(detail !== undefined ? { detail } : {}),
      sandbox: ctx.plan.kind,
      gradedAt: new Date().toISOString(),
      durationMs: Date.now() - started,
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
      incidents,
      warnings,
      output: serverOutput,
      clientOutput,
    };
    return { grade: SubmissionGrade.parse(grade), ...(report ? { report } : {}) };
  }
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
    throw error;
  }
  try {
    const users = Object.entries(rubricUsers(ctx.rubric));
    const [username, record] = users[0] ?? ['user1', { password: '123' }];
    const probe = await probeLogin(instance.port, username, record.password, Math.max(2000, ctx.caseMs));
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
