import { createHash } from 'node:crypto';
import type { SubmissionSource } from '../submissions/submissions.ts';

// Each student's outputs live in a folder of the output beside the class files. The folder name
// comes from the hand-in's name, which a student chooses: it must never be a class file's name
// (a hand-in called "index.html" or "gradebook.csv.zip"), never too long for the file system
// (255 bytes a component; two 255-character names that clean up alike must still differ), and
// stay readable, unique and safe as a path component and in a URL.

/** What the grader writes at the top of an output folder (and what merge and summary read). */
export const CLASS_FILES = ['gradebook.csv', 'index.html', 'grade.log', 'summary.md', 'similarity.json'] as const;

/** Room for a readable prefix, a hash and a "-N" suffix, far below the usual 255-byte limit. */
const MAX_BASE = 80;

function cleaned(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || 'submission';
}

/** A long name keeps its start and gains a hash of the whole name, so two long names never meet. */
function shortened(base: string, original: string): string {
  if (base.length <= MAX_BASE) return base;
  const hash = createHash('sha256').update(original).digest('hex').slice(0, 10);
  return `${base.slice(0, MAX_BASE - hash.length - 1)}-${hash}`;
}

/** A name that is a class file's (in any case) gets "-student": "index.html" -> "index.html-student". */
function unreserved(base: string): string {
  const lower = base.toLowerCase();
  return (CLASS_FILES as readonly string[]).includes(lower) ? `${base}-student` : base;
}

export function folderNames(sources: readonly SubmissionSource[]): Map<SubmissionSource, string> {
  const used = new Set<string>(CLASS_FILES);
  const out = new Map<SubmissionSource, string>();
  for (const s of sources) {
    const base = unreserved(shortened(cleaned(s.name), s.name));
    let name = base;
    for (let i = 2; used.has(name.toLowerCase()); i++) name = `${base}-${i}`;
    used.add(name.toLowerCase());
    out.set(s, name);
  }
  return out;
}
