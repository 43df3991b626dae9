export { mergeReports } from '../runner/merge-reports.ts';

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
