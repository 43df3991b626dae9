import { loadScenarios, type LoadedScenario } from '../scenarios/loader.ts';
import { INTERRUPTED_REASON, type CaseResult, type FailureKind, type RunReport, type Verdict } from './report-format.ts';
import { requirementCoverage } from './requirement-coverage.ts';
import { runOutcome } from './run-outcome.ts';
import { runSuite, type RunSuiteOptions } from './run-suite.ts';
import { tally } from './verdicts.ts';

// A timeout is the one verdict a busy machine can hand to honest code: a reply that came late
// because the grader's own lanes, or another job, held the CPU. The course client waits on a
// blocking recv, so lateness alone costs its user nothing. Before such a failure costs a point it
// is judged again: its batch re-run on a fresh server, alone, after the rest of the suite, and the
// second verdict stands, whatever it is. So is a case the kit could not judge at all, because the
// machine gave the hand-in (or the kit's own helper) too little CPU (an ERROR of kind kit-busy).
// Verdicts a timeout cannot explain are never re-judged, so
// a flaky bug gets no second chance. A server that is really stuck confirms its timeouts on the
// first re-runs; the look stops there, so a hung hand-in costs a few timeouts more, not all again.

/**
 * Failure kinds a loaded machine can cause: no reply in time, a server not listening in time, and
 * the kit's own "too little CPU to judge" (an ERROR that would make the grade kit-error).
 */
const LOAD_KINDS: ReadonlySet<FailureKind> = new Set(['timeout', 'not-started', 'kit-busy']);

/** Re-judged cases in a row that fail again, none passing, before the look stops. */
const CONFIRMED_TO_STOP = 2;

export interface SecondLookOptions extends RunSuiteOptions {
  /**
   * Whether this verdict can cost anything (the grader: a rubric item counts it and gives it less
   * than a pass). Default: every verdict but PASSED. A timeout that costs nothing is
   * left as it is: judging it again would only spend time.
   */
  mayCost?: (c: CaseResult) => boolean;
}

/** What the second look did, for the grade's incidents and the report's readers. */
export interface SecondLookSummary {
  /** Each case judged again: its first and its final verdict. */
  judged: { id: string; first: Verdict; second: Verdict }[];
  /** Doubtful cases left with their first verdict because earlier re-runs confirmed theirs. */
  notRerun: string[];
}

export interface SecondLook {
  report: RunReport;
  summary: SecondLookSummary;
}

/** first, with each failure a busy machine may have caused judged again (see above). */
export async function secondLook(first: RunReport, options: SecondLookOptions): Promise<SecondLook> {
  const doubtful = doubtfulCases(first, options.mayCost ?? notPassed);
  if (doubtful.size === 0) return { report: first, summary: { judged: [], notRerun: [] } };
  const scenarios = options.scenarios ?? (await loadScenarios(options.scenarioDir));
  const verdicts = new Map(first.cases.map((c) => [c.id, c.verdict] as const));
  const confirmations = new Confirmations();
  const reruns: RunReport[] = [];
  const judged: SecondLookSummary['judged'] = [];
  const notRerun: string[] = [];
  for (const unit of rerunUnits(first, doubtful)) {
    const doubtfulHere = unit.filter((id) => doubtful.has(id));
    if (options.signal?.aborted || confirmations.settled) {
      notRerun.push(...doubtfulHere);
      continue;
    }
    const rerun = await rerunUnit(unit, { ...options, scenarios }, verdicts, doubtful, confirmations);
    // A case the re-run did not reach (the look settled, or an interrupt) keeps its first verdict.
    const reached = rerun.cases.filter((c) => doubtful.has(c.id) && c.reason !== INTERRUPTED_REASON && !options.signal?.aborted);
    notRerun.push(...doubtfulHere.filter((id) => !reached.some((c) => c.id === id)));
    for (const c of reached) {
      judged.push({ id: c.id, first: verdicts.get(c.id) ?? 'SKIPPED', second: c.verdict });
      verdicts.set(c.id, c.verdict);
    }
    reruns.push({ ...rerun, cases: reached.map((c) => withFirstRun(c, first)) });
  }
  return { report: merged(first, reruns, scenarios), summary: { judged, notRerun } };
}

/**
 * Re-judged cases as they finish: once two in a row have failed again and none has passed, the
 * hand-in is slow or stuck, not the machine, and the look is settled.
 */
class Confirmations {
  #inARow = 0;
  #passed = false;

  see(c: CaseResult): void {
    if (c.verdict === 'PASSED') {
      this.#passed = true;
      this.#inARow = 0;
    } else if (c.verdict !== 'SKIPPED') {
      this.#inARow += 1;
    }
  }

  get settled(): boolean {
    return !this.#passed && this.#inARow >= CONFIRMED_TO_STOP;
  }
}

/**
 * The cases to judge again: each failure of a load kind; each later failure on the same server
 * instance (a late reply may have thrown the rest of its batch off); each case skipped because one
 * of those did not pass, however far down the chain.
 */
export function doubtfulCases(report: RunReport, mayCost: (c: CaseResult) => boolean = notPassed): Set<string> {
  const byId = new Map(report.cases.map((c) => [c.id, c] as const));
  const doubtful = new Set<string>();
  for (const instance of report.instances) {
    let disturbed = false;
    for (const id of instance.cases) {
      const c = byId.get(id);
      if (!c || c.verdict === 'PASSED' || c.verdict === 'SKIPPED') continue;
      // A timeout measured in the server's own time is the server's, however busy the machine was.
      disturbed ||= c.failure !== undefined && LOAD_KINDS.has(c.failure.kind) && !c.failure.ownTime;
      if (disturbed && mayCost(c)) doubtful.add(id);
    }
  }
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of report.cases) {
      if (doubtful.has(c.id) || !mayCost(c) || !c.skippedBecause?.some((b) => doubtful.has(b.id))) continue;
      doubtful.add(c.id);
      grew = true;
    }
  }
  return doubtful;
}

function notPassed(c: CaseResult): boolean {
  return c.verdict !== 'PASSED';
}

/** Whole batches (one server instance each, as they first ran) that hold a doubtful case, in run order. */
function rerunUnits(report: RunReport, doubtful: ReadonlySet<string>): string[][] {
  const units = report.instances.map((i) => i.cases).filter((ids) => ids.some((id) => doubtful.has(id)));
  // A case skipped before its batch started has no instance record: it is a unit of its own.
  const placed = new Set(units.flat());
  const loose = report.cases.filter((c) => doubtful.has(c.id) && !placed.has(c.id)).map((c) => [c.id]);
  return [...units, ...loose];
}

/**
 * One unit on a fresh instance, alone; a case outside it that it depends on keeps its latest
 * verdict. The unit stops between cases once the look is settled.
 */
async function rerunUnit(unit: string[], options: SecondLookOptions, verdicts: ReadonlyMap<string, Verdict>, doubtful: ReadonlySet<string>, confirmations: Confirmations): Promise<RunReport> {
  const settle = new AbortController();
  const outer = options.signal;
  const onOuterAbort = () => settle.abort();
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    return await runSuite({
      ...options,
      cases: unit,
      exclude: [],
      signal: settle.signal,
      onStart: undefined,
      onCase: (c) => {
        if (!doubtful.has(c.id) || c.reason === INTERRUPTED_REASON) return;
        confirmations.see(c);
        if (confirmations.settled) settle.abort();
      },
      externalVerdict: async (id) => verdicts.get(id),
    });
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

function withFirstRun(second: CaseResult, first: RunReport): CaseResult {
  const before = first.cases.find((c) => c.id === second.id);
  if (!before) return second;
  return { ...second, firstRun: { verdict: before.verdict, ...(before.reason ? { reason: before.reason } : {}) } };
}

/** The first report with the re-judged cases in place, its tally, outcome and coverage recomputed. */
function merged(first: RunReport, reruns: readonly RunReport[], scenarios: readonly LoadedScenario[]): RunReport {
  if (reruns.length === 0) return first;
  // The re-runs' servers are listed after the first run's, so a first-run case keeps its index.
  const instances = [...first.instances];
  const replaced = new Map<string, CaseResult>();
  for (const rerun of reruns) {
    const offset = instances.length;
    instances.push(...rerun.instances.map((inst) => ({ ...inst, index: inst.index + offset })));
    for (const c of rerun.cases) replaced.set(c.id, c.instance === undefined ? c : { ...c, instance: c.instance + offset });
  }
  const cases = first.cases.map((c) => replaced.get(c.id) ?? c);
  const counted = tally(cases.map((c) => c.verdict));
  return {
    ...first,
    cases,
    instances,
    tally: counted,
    ...runOutcome(counted, first.strict, first.interrupted === true),
    requirements: requirementCoverage(scenarios, cases),
  };
}
