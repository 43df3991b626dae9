import type { SubmissionGrade } from './grade-format.ts';
import type { SimilarPair } from './similarity.ts';

// What the TA is told about hand-ins that look alike (a column of gradebook.csv, a column and a
// section of the dashboard): identical files (graded once, the same key) and near-identical
// socket_utils.py (similarity.ts). A student's own files never name another student.

/** Per student name: "identical files: bob; socket_utils.py 93% like carol", or absent. */
export type ClassFlags = ReadonlyMap<string, string>;

/** Statuses whose key says nothing about the files (nothing was found to hash). */
const UNHASHED = new Set(['no-server', 'bad-archive']);

export function classFlags(grades: readonly SubmissionGrade[], similar: readonly SimilarPair[] = []): Map<string, string> {
  const byKey = new Map<string, string[]>();
  for (const g of grades) {
    if (!g.key || UNHASHED.has(g.status)) continue;
    byKey.set(g.key, [...(byKey.get(g.key) ?? []), g.name]);
  }
  const notes = new Map<string, string[]>();
  const add = (name: string, note: string) => notes.set(name, [...(notes.get(name) ?? []), note]);
  for (const names of byKey.values()) {
    if (names.length < 2) continue;
    for (const n of names) add(n, `identical files: ${names.filter((o) => o !== n).sort().join(', ')}`);
  }
  for (const p of similar) {
    // Identical hand-ins are already said; their socket_utils.py being alike adds nothing.
    if (byKey.size && [...byKey.values()].some((names) => names.includes(p.a) && names.includes(p.b))) continue;
    const pct = `${Math.floor(p.score * 100)}%`;
    add(p.a, `socket_utils.py ${pct} like ${p.b}`);
    add(p.b, `socket_utils.py ${pct} like ${p.a}`);
  }
  return new Map([...notes.entries()].map(([n, list]) => [n, list.join('; ')]));
}
