import { KIT_VERSION } from '../base/kit-version.ts';
import type { ImageEncoder } from './image-framing.ts';
import { executionOrder, loadScenarios, type LoadedScenario } from '../scenarios/loader.ts';
import { TargetStartError, type Target, type TargetInstance } from '../targets/target.ts';
import { baseResult, executeScenario } from './execute-scenario.ts';
import { type Profile } from './levels.ts';
import type { CaseResult, InstanceRecord, RunReport, Verdict } from './report-format.ts';
import { INTERRUPTED_REASON, REPORT_FORMAT_VERSION } from './report-format.ts';
import { requirementCoverage } from './requirement-coverage.ts';
import { runIdOf, runOutcome } from './run-outcome.ts';
import { selectIds } from './select.ts';
import { openEvidenceWindow, withServerEvidence } from './server-evidence.ts';
import { Clock } from './templates.ts';
import { failureVerdict, tally } from './verdicts.ts';

export interface RunSuiteOptions {
  target: Target;
  /** Case globs or section prefixes ("4.*", "4.2", "4.2.1"); default every case. */
  cases?: string[];
  exclude?: string[];
  /** Default per-step timeout (ms); scenarios may set longer ones per step. Default 2000. */
  timeoutMs?: number;
  /** --strict: SHOULD failures (NON-STRICT) also fail the run. */
  strict?: boolean;
  onCase?: (result: CaseResult) => void;
  /** A case is about to run (not called for cases skipped without running). */
  onCaseStart?: (scenario: LoadedScenario) => void;
  /** Called once the selection is known, before the first case runs. */
  onStart?: (cases: readonly LoadedScenario[]) => void;
  /** Default: target.profile, else 'course'. */
  profile?: Profile;
  /** Scenarios to run instead of loading scenarioDir (default fixtures/scenarios). */
  scenarios?: LoadedScenario[];
  scenarioDir?: string;
  /** Password of the scenario users (default "123"). */
  password?: string;
  /**
   * Aborting stops the run early (Ctrl-C): the running server is stopped at once, which ends the
   * case in flight, and every case not finished is SKIPPED as interrupted; the report says so.
   */
  signal?: AbortSignal;
  /**
   * The verdict of a case this call does not run but the whole selection does (another lane of a
   * parallel run, harness/runner/run-parallel.ts); undefined when the case is not selected at all.
   */
  externalVerdict?: (id: string) => Promise<Verdict | undefined>;
  /**
   * Writes the image bytes the kit sends: the image framing is the server author's own choice (their
   * send_image is read only by their receive_image). Default: the reference framing, assumed.
   */
  imageEncoder?: ImageEncoder;
}

const PASSING: ReadonlySet<Verdict> = new Set(['PASSED']);

/** Groups cases into runs of one server instance: a scenario group shares one, an isolated case gets its own. */
export function batches(cases: readonly LoadedScenario[]): LoadedScenario[][] {
  const out: LoadedScenario[][] = [];
  let current: LoadedScenario[] = [];
  let group: number | undefined;
  for (const s of cases) {
    if (s.isolate) {
      if (current.length) out.push(current);
      out.push([s]);
      current = [];
      group = undefined;
      continue;
    }
    if (group !== s.group && current.length) {
      out.push(current);
      current = [];
    }
    group = s.group;
    current.push(s);
  }
  if (current.length) out.push(current);
  return out;
}

export async function runSuite(options: RunSuiteOptions): Promise<RunReport> {
  const startedAt = new Date();
  const t0 = performance.now();
  const all = options.scenarios ?? (await loadScenarios(options.scenarioDir));
  const selected = selectIds(all, options.cases, options.exclude);
  options.onStart?.(selected);
  const run = suiteRun(options, selected);
  for (const batch of batches(executionOrder(selected))) await runBatch(run, batch);
  return suiteReport(run, all, selected, startedAt, t0);
}

/** What the batches of one runSuite call share: the settings, the verdicts so far, the instances. */
interface SuiteRun {
  readonly options: RunSuiteOptions;
  readonly timeoutMs: number;
  readonly strict: boolean;
  readonly profile: Profile;
  readonly selectedIds: ReadonlySet<string>;
  readonly results: Map<string, CaseResult>;
  readonly instances: InstanceRecord[];
  readonly clock: Clock;
  emit(result: CaseResult): void;
  interrupted(): boolean;
}

function suiteRun(options: RunSuiteOptions, selected: readonly LoadedScenario[]): SuiteRun {
  const results = new Map<string, CaseResult>();
  return {
    options,
    timeoutMs: options.timeoutMs ?? 2000,
    strict: options.strict ?? false,
    profile: options.profile ?? options.target.profile ?? 'course',
    selectedIds: new Set(selected.map((s) => s.id)),
    results,
    instances: [],
    clock: new Clock(),
    emit: (r) => {
      results.set(r.id, r);
      options.onCase?.(r);
    },
    interrupted: () => options.signal?.aborted === true,
  };
}

/** One batch on one server instance: its cases in order, then the instance stopped and its output kept. */
async function runBatch(run: SuiteRun, batch: readonly LoadedScenario[]): Promise<void> {
  const record: InstanceRecord = { index: run.instances.length, cases: batch.map((s) => s.id), status: 'ok', stdout: '', stderr: '' };
  run.instances.push(record);
  const server = new BatchInstance(run.options.target, record, run.interrupted);
  const onAbort = () => server.stopNow();
  run.options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (const s of batch) run.emit(await runCase(run, s, server));
  } finally {
    run.options.signal?.removeEventListener('abort', onAbort);
    await server.finish();
  }
}

type StopResult = Awaited<ReturnType<TargetInstance['stop']>>;

/** The server instance a batch shares: started on first use, stopped once however the stop began. */
class BatchInstance {
  #instance: TargetInstance | undefined;
  #stopping: Promise<StopResult> | undefined;

  constructor(
    private readonly target: Target,
    readonly record: InstanceRecord,
    private readonly interrupted: () => boolean,
  ) {}

  async get(): Promise<TargetInstance> {
    if (!this.#instance) {
      this.#instance = await this.target.start();
      this.record.address = `${this.#instance.host}:${this.#instance.port}`;
      if (this.interrupted()) void this.#stop(this.#instance);
    }
    return this.#instance;
  }

  /** An interrupt: stop the server now, which ends the case in flight. */
  stopNow(): void {
    if (this.#instance) void this.#stop(this.#instance);
  }

  /** The end of the batch: waits for the server to be gone (and its workspace removed), records how it ended. */
  async finish(): Promise<void> {
    const instance = this.#instance;
    if (!instance) return;
    const output = instance.output();
    const stopped = await this.#stop(instance);
    this.record.status = stopped.status;
    if (stopped.detail) this.record.detail = stopped.detail;
    const after = instance.output();
    this.record.stdout = after.stdout || output.stdout;
    this.record.stderr = after.stderr || output.stderr;
  }

  // One stop per instance, shared by an interrupt and the end of the batch.
  #stop(running: TargetInstance): Promise<StopResult> {
    return (this.#stopping ??= running.stop().catch((e: unknown) => ({ status: 'killed' as const, detail: `stop failed: ${(e as Error).message}` })));
  }
}

/** One case's result: not reached (interrupt), skipped (a dependency did not pass), not started, or run. */
async function runCase(run: SuiteRun, s: LoadedScenario, server: BatchInstance): Promise<CaseResult> {
  const { options, profile } = run;
  if (run.interrupted()) return interruptedResult(s, profile);
  // check50's rule: a case whose dependency did not pass is skipped, naming the dependency.
  const blockers = (await dependencyVerdicts(s.depends ?? [], run.selectedIds, run.results, options.externalVerdict)).filter((d) => !PASSING.has(d.verdict));
  if (blockers.length) return blockedResult(s, profile, blockers);
  let started: TargetInstance;
  try {
    started = await server.get();
  } catch (error) {
    return run.interrupted() ? interruptedResult(s, profile) : startFailure(s, profile, error, server.record);
  }
  // Opened before the case starts, once the previous case's threads have printed their last lines.
  const window = await openEvidenceWindow(started);
  options.onCaseStart?.(s);
  const clientPorts = new Set<number>();
  const executed = await executeScenario(s, started, {
    timeoutMs: run.timeoutMs,
    profile,
    clock: run.clock,
    instanceIndex: server.record.index,
    clientPorts,
    ...(options.password ? { password: options.password } : {}),
    ...(options.imageEncoder ? { imageEncoder: options.imageEncoder } : {}),
  });
  const result = await withServerEvidence(executed, started, { ...window, clientPorts });
  // A case cut short by the interrupt failed because its server was stopped, not by its own fault.
  return run.interrupted() && result.verdict !== 'PASSED' ? interruptedResult(s, profile) : result;
}

function suiteReport(run: SuiteRun, all: readonly LoadedScenario[], selected: readonly LoadedScenario[], startedAt: Date, t0: number): RunReport {
  const { options } = run;
  const cases = selected.map((s) => run.results.get(s.id) as CaseResult);
  const t = tally(cases.map((c) => c.verdict));
  return {
    format: REPORT_FORMAT_VERSION,
    kit: KIT_VERSION,
    runId: runIdOf(startedAt),
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    target: options.target.description,
    profile: run.profile,
    strict: run.strict,
    selection: { cases: options.cases ?? [], exclude: options.exclude ?? [], timeoutMs: run.timeoutMs },
    ...runOutcome(t, run.strict, run.interrupted()),
    tally: t,
    cases,
    instances: run.instances,
    requirements: requirementCoverage(all, cases),
  };
}

async function dependencyVerdicts(
  depends: readonly string[],
  selectedIds: ReadonlySet<string>,
  results: ReadonlyMap<string, CaseResult>,
  external: RunSuiteOptions['externalVerdict'],
): Promise<{ id: string; verdict: Verdict }[]> {
  const out: { id: string; verdict: Verdict }[] = [];
  for (const d of depends) {
    if (selectedIds.has(d)) out.push({ id: d, verdict: results.get(d)?.verdict ?? 'SKIPPED' });
    else if (external) {
      const verdict = await external(d);
      if (verdict) out.push({ id: d, verdict });
    }
  }
  return out;
}

function interruptedResult(s: LoadedScenario, profile: Profile): CaseResult {
  return { ...baseResult(s, profile), verdict: 'SKIPPED', durationMs: 0, reason: INTERRUPTED_REASON, log: [], transcript: [] };
}

function blockedResult(s: LoadedScenario, profile: Profile, blockers: { id: string; verdict: Verdict }[]): CaseResult {
  return {
    ...baseResult(s, profile),
    verdict: 'SKIPPED',
    durationMs: 0,
    reason: `depends on ${blockers.map((b) => `${b.id} (${b.verdict})`).join(', ')}`,
    skippedBecause: blockers,
    log: [],
    transcript: [],
  };
}

function startFailure(s: LoadedScenario, profile: Profile, error: unknown, record: InstanceRecord): CaseResult {
  const base = baseResult(s, profile);
  record.status = 'not-started';
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof TargetStartError) {
    record.stdout = error.output.stdout;
    record.stderr = error.output.stderr;
    record.detail = message;
    return {
      ...base,
      verdict: failureVerdict(base.effectiveLevel),
      durationMs: 0,
      reason: message,
      failure: { step: 'start the server', kind: 'not-started', expected: 'the server to start and accept connections', actual: message, mismatches: [] },
      hint: 'Run the server command yourself and read its error output (included in this report).',
      log: [],
      transcript: [],
    };
  }
  record.detail = message;
  return { ...base, verdict: 'ERROR', durationMs: 0, reason: `the harness could not start the target: ${message}`, log: [], transcript: [] };
}
