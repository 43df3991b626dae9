import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readUntrustedFile } from '../../workspace-files/index.ts';
import { resolveSource } from './grade-submission.ts';
import { fingerprint, starterShingles } from '../outputs/similarity.ts';
import type { SubmissionSource } from '../submissions/submissions.ts';

// The class's socket_utils.py files, read as the grader finds them (a zip extracted again into
// scratch), compared pairwise for the TA's "similar" column.

/** Each hand-in's socket_utils.py (found as the grader finds it), by student name; unreadable ones left out. */
export async function socketUtilsOf(sources: readonly SubmissionSource[], scratchRoot: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const source of sources) {
    const scratch = await mkdtemp(path.join(scratchRoot, 'similar-'));
    try {
      const resolved = await resolveSource(source, scratch);
      if (!resolved.ok) continue;
      const bytes = await readUntrustedFile(resolved.dir, 'socket_utils.py', { maxBytes: 1024 * 1024, timeoutMs: 5000 }).catch(() => undefined);
      if (bytes) files.set(source.name, bytes.toString('utf8'));
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  return files;
}

/** Each hand-in's fingerprint (similarity.ts), by student name. */
export async function fingerprintsOf(sources: readonly SubmissionSource[], scratchRoot: string): Promise<Map<string, number[]>> {
  const starter = await starterShingles();
  const files = await socketUtilsOf(sources, scratchRoot);
  return new Map([...files.entries()].map(([name, text]) => [name, fingerprint(text, starter)]));
}

/** OUT/similarity.json: the class's fingerprints, what `gradebook merge` compares across shards. */
export const SIMILARITY_FILE = 'similarity.json';

export async function writeFingerprints(out: string, fingerprints: ReadonlyMap<string, readonly number[]>): Promise<void> {
  await writeFile(path.join(out, SIMILARITY_FILE), `${JSON.stringify({ format: 1, fingerprints: Object.fromEntries(fingerprints) })}\n`);
}

export async function readFingerprints(dir: string): Promise<Map<string, number[]>> {
  try {
    const parsed = JSON.parse(await readFile(path.join(dir, SIMILARITY_FILE), 'utf8')) as { fingerprints?: Record<string, unknown> };
    const entries = Object.entries(parsed.fingerprints ?? {}).filter((e): e is [string, number[]] => Array.isArray(e[1]) && e[1].every((v) => typeof v === 'number'));
    return new Map(entries);
  } catch {
    return new Map();
  }
}
