import type { RunReport } from '../runner/report-format.ts';
import { runOk, tally } from '../runner/verdicts.ts';

// A submission's server half runs as several suites at once, each against its own fresh server
// instances: most of a suite's wall time is waiting (a stalled step waits out its timeout), so two
// halves side by side roughly halve the time of a slow submission without touching any case.

/** Case ids that nearly every case depends on; each part runs them, the first part's result is kept. */
export function sharedRoots(ids: readonly string[], depends: ReadonlyMap<string, readonly string[]>): string[] {
  const counts = new Map<string, number>();
  for (const id of ids) for (const d of depends.get(id) ?? []) counts.set(d, (counts.get(d) ?? 0) + 1);
  return [...counts.entries()].filter(([, n]) => n >= ids.length / 4).map(([d]) => d);
}

/**
 * Splits case ids into `parts` lists by scenario group (the first id component), alternating
 * groups, so cases of one group (which share a server instance and depend on each other) stay
 * together; the shared roots go into every part that needs them.
 */
export function splitCases(ids: readonly string[], depends: ReadonlyMap<string, readonly string[]>, parts: number): string[][] {
  if (parts <= 1) return [[...ids]];
  const roots = new Set(sharedRoots(ids, depends));
  const groups = [...new Set(ids.map((id) => id.split('.')[0] as string))].sort((a, b) => Number(a) - Number(b));
  const out: string[][] = Array.from({ length: parts }, () => []);
  groups.forEach((group, i) => {
    (out[i % parts] as string[]).push(...ids.filter((id) => id.split('.')[0] === group));
  });
  return out
    .map((part) => {
      const needed = [...roots].filter((r) => !part.includes(r) && part.some((id) => (depends.get(id) ?? []).includes(r)));
      return [...needed, ...part];
    })
    .filter((part) => part.length > 0);
}

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
