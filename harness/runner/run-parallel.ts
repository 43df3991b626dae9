import { executionOrder, loadScenarios, type LoadedScenario } from '../scenarios/loader.ts';
import { caseCost } from './case-cost.ts';
import { instancePool } from './instance-pool.ts';
import { mergeReports } from './merge-reports.ts';
import type { CaseResult, RunReport, Verdict } from './report-format.ts';
import { requirementCoverage } from './requirement-coverage.ts';
import { runIdOf, runOutcome } from './run-outcome.ts';
import { batches, runSuite, type RunSuiteOptions } from './run-suite.ts';
import { selectIds } from './select.ts';

// The suite in lanes: the same batches as a sequential run (a scenario group on one fresh instance,
// an isolated case on its own), each batch exactly as runSuite runs it, but up to `parallel` batches
// at once. Batches share no state (each has its own server), so only two things order them: a case
// that depends on a case of another batch waits for that verdict (never for the whole batch), and
// the batches that wait out timeouts start first, so their waiting overlaps the rest of the suite.

export interface RunParallelOptions extends RunSuiteOptions {
  /** Batches run at the same time (lanes); 1 is a sequential run in another order. */
  parallel: number;
  /**
   * Called once when every batch has been handed to a lane and at most `tailLanes` lanes are still
   * busy: what is left is that many batches, mostly waiting, and the caller may start other work beside it.
   */
  onTail?: () => void;
  /** How many busy lanes still count as the tail (default 1). */
  tailLanes?: number;
}

interface Deferred {
  promise: Promise<Verdict>;
  resolve: (v: Verdict) => void;
  settled: boolean;
}

function deferred(): Deferred {
  let settle: (v: Verdict) => void = () => undefined;
  const d: Deferred = {
    promise: new Promise<Verdict>((r) => (settle = r)),
    settled: false,
    resolve: (v) => {
      if (d.settled) return;
      d.settled = true;
      settle(v);
    },
  };
  return d;
}

interface Batch {
  index: number;
  cases: LoadedScenario[];
  cost: number;
  /** Indexes of the batches holding cases this batch depends on. */
  needs: Set<number>;
}

/** The batches in the order lanes take them: a batch is taken once every batch it needs is taken. */
export function schedule(list: readonly LoadedScenario[][], timeoutMs: number): Batch[] {
  const home = new Map<string, number>();
  list.forEach((cases, index) => cases.forEach((c) => home.set(c.id, index)));
  const all: Batch[] = list.map((cases, index) => ({
    index,
    cases,
    cost: cases.reduce((sum, c) => sum + caseCost(c, timeoutMs), 0),
    needs: new Set(cases.flatMap((c) => (c.depends ?? []).map((d) => home.get(d)).filter((i): i is number => i !== undefined && i !== index))),
  }));
  const taken = new Set<number>();
  const order: Batch[] = [];
  while (order.length < all.length) {
    const ready = all.filter((b) => !taken.has(b.index) && [...b.needs].every((n) => taken.has(n)));
    // Dependencies only point backwards in execution order, so the earliest batch left is always ready.
    const next = ready.sort((a, b) => b.cost - a.cost || a.index - b.index)[0] as Batch;
    taken.add(next.index);
    order.push(next);
  }
  return order;
}

export async function runSuiteParallel(options: RunParallelOptions): Promise<RunReport> {
  const startedAt = new Date();
  const t0 = performance.now();
  const timeoutMs = options.timeoutMs ?? 2000;
  const all = options.scenarios ?? (await loadScenarios(options.scenarioDir));
  const selected = selectIds(all, options.cases, options.exclude);
  options.onStart?.(selected);
  const list = batches(executionOrder(selected));
  // Nothing selected (everything excluded): the sequential runner's empty report, nothing to schedule.
  if (list.length === 0) return runSuite({ ...options, scenarios: all, onStart: undefined });
  const order = schedule(list, timeoutMs);
  const lanes = Math.max(1, Math.min(options.parallel, list.length));
  const verdicts = new Map(selected.map((s) => [s.id, deferred()]));

  // Cases reach onCase in execution order, as in a sequential run, so a console tree stays readable.
  const flat = list.flat().map((s) => s.id);
  const finished = new Map<string, CaseResult>();
  let emitted = 0;
  const record = (r: CaseResult) => {
    finished.set(r.id, r);
    verdicts.get(r.id)?.resolve(r.verdict);
    for (let id = flat[emitted]; id !== undefined && finished.has(id); id = flat[++emitted]) options.onCase?.(finished.get(id) as CaseResult);
  };

  const pool = instancePool(options.target, { ahead: lanes, limit: list.length });
  pool.warm();
  const reports: RunReport[] = [];
  const errors: unknown[] = [];
  let next = 0;
  let busy = lanes;
  let tailed = false;
  const laneDone = () => {
    busy -= 1;
    if (!tailed && busy <= (options.tailLanes ?? 1)) {
      tailed = true;
      options.onTail?.();
    }
  };
  const lane = async () => {
    for (let batch = order[next++]; batch; batch = order[next++]) {
      try {
        reports[batch.index] = await runSuite({
          ...options,
          target: pool,
          scenarios: all,
          cases: batch.cases.map((c) => c.id),
          exclude: [],
          onStart: undefined,
          onCase: record,
          externalVerdict: (id) => verdicts.get(id)?.promise ?? Promise.resolve(undefined),
        });
      } catch (error) {
        // A harness failure must not leave other lanes waiting for these verdicts forever.
        errors.push(error);
        for (const c of batch.cases) verdicts.get(c.id)?.resolve('ERROR');
      }
    }
    laneDone();
  };
  try {
    await Promise.all(Array.from({ length: lanes }, lane));
  } finally {
    await pool.close();
  }
  if (errors.length) throw errors[0];

  const merged = mergeReports(reports, selected.map((s) => s.id));
  return {
    ...merged,
    runId: runIdOf(startedAt),
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    selection: { cases: options.cases ?? [], exclude: options.exclude ?? [], timeoutMs },
    ...runOutcome(merged.tally, merged.strict, options.signal?.aborted === true),
    requirements: requirementCoverage(all, merged.cases),
  };
}
