import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

// Near-identical socket_utils.py between hand-ins, for the TA (gradebook.csv and the dashboard),
// never shown to a student. The measure: Jaccard similarity of 5-token shingles of the code with
// comments and whitespace removed, after taking out every shingle of the course's own starter
// (fixtures/broken-submissions/skeleton): every hand-in shares the starter's signatures, docstrings
// and imports, and that must not count. Two files are flagged at SIMILAR_THRESHOLD (0.8) or more:
// renaming a few variables or reordering two functions stays above it, two independent
// implementations of the same contract stay well below (they share the starter and the idioms of
// the socket API, which are few shingles next to a function body's). A file with no shingle of its
// own (the untouched starter) is never "similar": there is nothing of the student's to compare.

export const SIMILAR_THRESHOLD = 0.8;
const SHINGLE = 5;

/** Python tokens without comments or layout: names, numbers, string literals (as written), operators. */
export function pythonTokens(source: string): string[] {
  const tokens: string[] = [];
  const re = /#[^\n]*|[rbuRBUfF]{0,2}("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')|[A-Za-z_]\w*|\d[\w.]*|\*\*=?|\/\/=?|->|[-+*/%&|^<>=!]=|<<|>>|\S/g;
  for (const m of source.replace(/\r\n?/g, '\n').matchAll(re)) {
    if (m[0].startsWith('#')) continue;
    tokens.push(m[0]);
  }
  return tokens;
}

export function shingles(source: string): Set<string> {
  const t = pythonTokens(source);
  const out = new Set<string>();
  for (let i = 0; i + SHINGLE <= t.length; i++) out.add(t.slice(i, i + SHINGLE).join(' '));
  return out;
}

/** Jaccard of what each file adds to the starter; 0 when either adds nothing. */
export function similarity(a: Set<string>, b: Set<string>, starter: ReadonlySet<string>): number {
  const own = (s: Set<string>) => new Set([...s].filter((x) => !starter.has(x)));
  const [x, y] = [own(a), own(b)];
  if (x.size === 0 || y.size === 0) return 0;
  let both = 0;
  for (const s of x) if (y.has(s)) both++;
  return both / (x.size + y.size - both);
}

const STARTER = new URL('../../../fixtures/broken-submissions/skeleton/socket_utils.py', import.meta.url);

export async function starterShingles(): Promise<Set<string>> {
  // Never a silent empty starter: every hand-in would then share the starter's shingles and look alike
  // (an installed kit once lacked the file: it was not among the runtime assets).
  return shingles(await readFile(STARTER, 'utf8'));
}

/**
 * What a hand-in's socket_utils.py adds to the starter, as sorted 48-bit hashes of its shingles:
 * small enough to keep in the output folder (similarity.json), so shards graded apart and merged
 * compare every pair as one run does.
 */
export function fingerprint(source: string, starter: ReadonlySet<string>): number[] {
  const own = [...shingles(source)].filter((s) => !starter.has(s));
  return [...new Set(own.map((s) => parseInt(createHash('sha256').update(s).digest('hex').slice(0, 12), 16)))].sort((a, b) => a - b);
}

function jaccard(x: readonly number[], y: readonly number[]): number {
  if (x.length === 0 || y.length === 0) return 0;
  const ys = new Set(y);
  const both = x.filter((v) => ys.has(v)).length;
  return both / (x.length + y.length - both);
}

export interface SimilarPair {
  a: string;
  b: string;
  /** 0..1 */
  score: number;
}

/** Every pair of names whose socket_utils.py are at least SIMILAR_THRESHOLD alike, most alike first. */
export function similarPairs(fingerprints: ReadonlyMap<string, readonly number[]>): SimilarPair[] {
  const all = [...fingerprints.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const pairs: SimilarPair[] = [];
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const [[a, x], [b, y]] = [all[i], all[j]] as [[string, readonly number[]], [string, readonly number[]]];
      const score = jaccard(x, y);
      if (score >= SIMILAR_THRESHOLD) pairs.push({ a, b, score });
    }
  }
  return pairs.sort((p, q) => q.score - p.score || (p.a < q.a ? -1 : 1));
}
