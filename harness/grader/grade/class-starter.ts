import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { readUntrustedFile } from '../../workspace-files/index.ts';
import { resolveSource } from './grade-submission.ts';
import { COURSE_FILES, starterHash, type CourseFile, type Starter } from '../starter/starter.ts';
import type { SubmissionSource } from '../submissions/submissions.ts';

// Without --starter, the course's files are what most of the class handed in: students copy the
// starter folder and edit socket_utils.py, so each course file's most common content (by hash) is
// the hand-out. Counted over the whole class (not a shard, not --only), so every machine of a
// sharded run picks the same starter. A file is adopted only when at least two hand-ins agree and
// no other version is as common; a class where no file qualifies (a class of one) runs its files
// as handed in, with a warning.

const READ = { maxBytes: 4 * 1024 * 1024, timeoutMs: 10_000 };

interface Tally {
  /** hash -> how many hand-ins hold it, and the content. */
  versions: Map<string, { count: number; content: Buffer }>;
  /** Hand-ins that hold this file at all. */
  holders: number;
}

export type ClassStarter = { ok: true; starter: Starter } | { ok: false; warning: string };

export async function classStarter(sources: readonly SubmissionSource[], scratchRoot: string): Promise<ClassStarter> {
  const tallies = new Map<CourseFile, Tally>(COURSE_FILES.map((f) => [f, { versions: new Map(), holders: 0 }]));
  for (const source of sources) await countHandIn(source, scratchRoot, tallies);
  const files = new Map<CourseFile, Buffer>();
  const agreed: string[] = [];
  for (const [file, tally] of tallies) {
    const [best, next] = [...tally.versions.values()].sort((a, b) => b.count - a.count);
    if (!best || best.count < 2 || (next && next.count === best.count)) continue;
    files.set(file, best.content);
    agreed.push(`${file}: ${best.count} of ${tally.holders}`);
  }
  if (files.size === 0) {
    const why = sources.length === 1 ? 'a class of one' : 'no course file that two hand-ins agree on';
    return {
      ok: false,
      warning: `no --starter, and ${why}: server.py, client.py and constants.py run as handed in (the course runs its own; give --starter DIR, the course's starter folder, to run those)`,
    };
  }
  return {
    ok: true,
    starter: {
      origin: 'class',
      files,
      hash: starterHash(files),
      note: `no --starter: the class's most common ${[...files.keys()].join(', ')} served as the starter (hand-ins that agreed: ${agreed.join(', ')}); give --starter DIR to use the course's own`,
    },
  };
}

async function countHandIn(source: SubmissionSource, scratchRoot: string, tallies: Map<CourseFile, Tally>): Promise<void> {
  const scratch = await mkdtemp(path.join(scratchRoot, 'starter-'));
  try {
    const resolved = await resolveSource(source, scratch);
    if (!resolved.ok) return;
    for (const [file, tally] of tallies) {
      const content = await readUntrustedFile(resolved.dir, file, READ).catch(() => undefined);
      if (!content) continue;
      tally.holders++;
      const hash = createHash('sha256').update(content).digest('hex');
      const seen = tally.versions.get(hash);
      if (seen) seen.count++;
      else tally.versions.set(hash, { count: 1, content });
    }
  } finally {
    await rm(scratch, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  }
}
