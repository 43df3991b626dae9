import picomatch from 'picomatch';
import { ScenarioSelectionError } from '../scenarios/errors.ts';

// Case selection like h2spec's section arguments: "4" or "4.2" select a whole section, globs
// ("4.*", "[37].*") select by pattern, "4.2.1" one case.

function matcherFor(pattern: string): (id: string) => boolean {
  const p = pattern.trim();
  if (!/[*?[\]{}!()+@]/.test(p)) return (id) => id === p || id.startsWith(`${p}.`);
  const glob = picomatch(p, { dot: true });
  return (id) => glob(id);
}

export function selectIds<T extends { id: string }>(all: readonly T[], cases: readonly string[] = [], exclude: readonly string[] = []): T[] {
  const include = cases.filter((c) => c.trim()).map(matcherFor);
  const drop = exclude.filter((c) => c.trim()).map(matcherFor);
  for (const [list, name] of [[cases, '--cases'], [exclude, '--exclude']] as const) {
    for (const c of list) {
      if (c.trim() && !all.some((s) => matcherFor(c)(s.id))) {
        throw new ScenarioSelectionError(`${name} ${c} matches no case (run with --list to see the case ids)`);
      }
    }
  }
  return all.filter((s) => (include.length === 0 || include.some((m) => m(s.id))) && !drop.some((m) => m(s.id)));
}
