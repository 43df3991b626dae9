import type { RunReport } from './report-format.ts';
import { runOk, tally } from './verdicts.ts';

// Several runs of parts of one suite (the batches of a parallel run, harness/runner/run-parallel.ts) make
// one report: the reader sees one run, whatever ran side by side.

/** One report from the parts' reports: cases in suite order, a root case taken from its first run. */
export function mergeReports(reports: readonly RunReport[], order: readonly string[]): RunReport {
  const first = reports[0];
  if (!first) throw new Error('no report to merge');
  const cases = new Map<string, RunReport['cases'][number]>();
  const instances: RunReport['instances'] = [];
  for (const report of reports) {
    const offset = instances.length;
    for (const inst of report.instances) instances.push({ ...inst, index: inst.index + offset });
    for (const c of report.cases) {
      if (cases.has(c.id)) continue;
      cases.set(c.id, c.instance === undefined ? c : { ...c, instance: c.instance + offset });
    }
  }
  const ordered = order.map((id) => cases.get(id)).filter((c): c is RunReport['cases'][number] => !!c);
  const t = tally(ordered.map((c) => c.verdict));
  const ok = runOk(t, first.strict);
  return {
    ...first,
    durationMs: Math.max(...reports.map((r) => r.durationMs)),
    selection: { ...first.selection, cases: [...order] },
    ok,
    exitCode: ok ? 0 : 1,
    tally: t,
    cases: ordered,
    instances,
  };
}
