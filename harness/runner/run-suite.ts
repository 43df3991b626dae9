import { randomUUID } from 'node:crypto';
import { KIT_VERSION } from '../base/kit-version.ts';
import { executionOrder, loadScenarios, type LoadedScenario } from '../scenarios/loader.ts';
import { TargetStartError, type Target, type TargetInstance } from '../targets/target.ts';
import { baseResult, executeScenario } from './execute-scenario.ts';
import { type Profile } from './levels.ts';
import type { CaseResult, InstanceRecord, RunReport, Verdict } from './report-format.ts';
import { INTERRUPTED_REASON, REPORT_FORMAT_VERSION } from './report-format.ts';
import { requirementCoverage } from './requirement-coverage.ts';
import { selectIds } from './select.ts';
import { withServerEvidence } from './server-evidence.ts';
import { Clock } from './templates.ts';
import { failureVerdict, runOk, tally } from './verdicts.ts';

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
  const timeoutMs = options.timeoutMs ?? 2000;
  const strict = options.strict ?? false;
  const profile: Profile = options.profile ?? options.target.profile ?? 'course';
  const all = options.scenarios ?? (await loadScenarios(options.scenarioDir));
  const selected = selectIds(all, options.cases, options.exclude);
  options.onStart?.(selected);
  const selectedIds = new Set(selected.map((s) => s.id));
  const results = new Map<string, CaseResult>();
  const instances: InstanceRecord[] = [];
  const clock = new Clock();

  const emit = (r: CaseResult) => {
    results.set(r.id, r);
    options.onCase?.(r);
  };
  const interrupted = () => options.signal?.aborted === true;

  for (const batch of batches(executionOrder(selected))) {
    const index = instances.length;
    const record: InstanceRecord = { index, cases: batch.map((s) => s.id), status: 'ok', stdout: '', stderr: '' };
    instances.push(record);
    let instance: TargetInstance | undefined;
    let stopping: Promise<{ status: 'ok' | 'crashed' | 'killed'; detail?: string }> | undefined;
    // One stop per instance, shared by an interrupt and the end of the batch, so the batch waits for
    // the server to be gone (and its workspace removed) however the stop began.
    const stopInstance = (running: TargetInstance) =>
      (stopping ??= running.stop().catch((e: unknown) => ({ status: 'killed' as const, detail: `stop failed: ${(e as Error).message}` })));
    const ensureInstance = async (): Promise<TargetInstance> => {
      if (!instance) {
        instance = await options.target.start();
        record.address = `${instance.host}:${instance.port}`;
        if (interrupted()) void stopInstance(instance);
      }
      return instance;
    };
    const onAbort = () => {
      if (instance) void stopInstance(instance);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (const s of batch) {
        if (interrupted()) {
          emit(interruptedResult(s, profile));
          continue;
        }
        // check50's rule: a case whose dependency did not pass is skipped, naming the dependency.
        const blockers = (await dependencyVerdicts(s.depends ?? [], selectedIds, results, options.externalVerdict)).filter((d) => !PASSING.has(d.verdict));
        if (blockers.length) {
          emit({
            ...baseResult(s, profile),
            verdict: 'SKIPPED',
            durationMs: 0,
            reason: `depends on ${blockers.map((b) => `${b.id} (${b.verdict})`).join(', ')}`,
            skippedBecause: blockers,
            log: [],
            transcript: [],
          });
          continue;
        }
        let started: TargetInstance;
        try {
          started = await ensureInstance();
        } catch (error) {
          emit(interrupted() ? interruptedResult(s, profile) : startFailure(s, profile, error, record));
          continue;
        }
        options.onCaseStart?.(s);
        const caseStart = performance.now();
        const clientPorts = new Set<number>();
        const executed = await executeScenario(s, started, { timeoutMs, profile, clock, instanceIndex: index, clientPorts, ...(options.password ? { password: options.password } : {}) });
        const result = await withServerEvidence(executed, started, { from: caseStart, clientPorts });
        // A case cut short by the interrupt failed because its server was stopped, not by its own fault.
        emit(interrupted() && result.verdict !== 'PASSED' ? interruptedResult(s, profile) : result);
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      if (instance) {
        const output = instance.output();
        const stopped = await stopInstance(instance);
        record.status = stopped.status;
        if (stopped.detail) record.detail = stopped.detail;
        const after = instance.output();
        record.stdout = after.stdout || output.stdout;
        record.stderr = after.stderr || output.stderr;
      }
    }
  }

  const cases = selected.map((s) => results.get(s.id) as CaseResult);
  const t = tally(cases.map((c) => c.verdict));
  const ok = runOk(t, strict);
  return {
    format: REPORT_FORMAT_VERSION,
    kit: KIT_VERSION,
    runId: `${startedAt.toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    target: options.target.description,
    profile,
    strict,
    selection: { cases: options.cases ?? [], exclude: options.exclude ?? [], timeoutMs },
    ok: ok && !interrupted(),
    exitCode: interrupted() ? 130 : ok ? 0 : 1,
    ...(interrupted() ? { interrupted: true } : {}),
    tally: t,
    cases,
    instances,
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
