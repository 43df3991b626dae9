import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchOptions } from '../bench-entry.ts';
import { gradeClass } from '../grade-class.ts';

export const description =
  '`instanet grade` on a class of 100 submissions (copies of fixtures/submissions and fixtures/broken-submissions, '
  + 'skeleton, crash and hang included) with --jobs 2 under the default sandbox, every copy graded (--no-dedupe, aim '
  + '< 180 s) and identical copies graded once: total and per-submission wall time, submissions per minute, peak '
  + 'memory of the grader and everything it started, and the processes left behind afterwards (must be none)';

const SAMPLES = fileURLToPath(new URL('../../../fixtures/submissions/', import.meta.url));
const BROKEN = fileURLToPath(new URL('../../../fixtures/broken-submissions/', import.meta.url));

async function sampleFolders(): Promise<string[]> {
  const out: string[] = [];
  for (const dir of [SAMPLES, BROKEN]) {
    for (const e of await readdir(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(join(dir, e.name));
  }
  return out.sort();
}

export async function run(options: BenchOptions) {
  const count = options.quick ? 20 : 100;
  const jobs = 2;
  const root = await mkdtemp(join(tmpdir(), 'bench-grade-'));
  try {
    const samples = await sampleFolders();
    const submissions = join(root, 'class');
    await mkdir(submissions, { recursive: true });
    for (let i = 0; i < count; i++) {
      const sample = samples[i % samples.length] as string;
      const name = `s${String(i + 1).padStart(3, '0')}-${sample.split('/').at(-1)}`;
      await cp(sample, join(submissions, name), { recursive: true });
    }
    // Default behaviour (identical copies graded once), then every copy graded as if all differed.
    const { grades: _deduplicatedGrades, ...deduplicated } = await gradeClass({ root, submissions, count, jobs, dedupe: true, label: 'out-dedupe', log: options.log });
    const { grades: _everyCopyGrades, ...everyCopy } = await gradeClass({ root, submissions, count, jobs, dedupe: false, label: 'out-all', log: options.log });
    return { submissions: count, distinctSamples: samples.length, jobs, aimSeconds: 180, deduplicated, everyCopy };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
