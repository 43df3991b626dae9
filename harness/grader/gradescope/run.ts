import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { crashResults, writeJsonAtomic } from '../outputs/gradescope-results.ts';
import { runGrade, type GradeRunOptions } from '../grade/grade-run.ts';

// Inside a Gradescope autograder: one hand-in in /autograder/submission, and results.json in
// /autograder/results that must exist whatever happens. A placeholder is written before anything
// runs and replaced at the end; a crash (even an uncaught one) replaces it with an explanation.

export const GRADESCOPE_SUBMISSION_ENV = 'INSTANET_GRADESCOPE_SUBMISSION';
export const GRADESCOPE_RESULTS_ENV = 'INSTANET_GRADESCOPE_RESULTS';

export function gradescopePaths(env: NodeJS.ProcessEnv = process.env): { submission: string; results: string } {
  return {
    submission: env[GRADESCOPE_SUBMISSION_ENV] ?? '/autograder/submission',
    results: env[GRADESCOPE_RESULTS_ENV] ?? '/autograder/results/results.json',
  };
}

function writeCrashSync(file: string, message: string, started: number): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(crashResults(message, Date.now() - started), null, 2)}\n`);
  } catch {
    /* nothing else can be done; the exit code still says it failed */
  }
}

export async function runGradescope(
  options: Omit<GradeRunOptions, 'submissions' | 'out' | 'sources' | 'shard' | 'jobs'> & { out?: string },
): Promise<{ score: number; results: string }> {
  const started = Date.now();
  const { submission, results } = gradescopePaths();
  writeCrashSync(results, 'The autograder started but did not finish (it was stopped or ran out of time).', started);
  const onCrash = (error: unknown) => {
    writeCrashSync(results, `The autograder crashed: ${(error as Error)?.stack ?? String(error)}`, started);
  };
  process.once('uncaughtException', onCrash);
  const out = options.out ?? (await mkdtemp(path.join(os.tmpdir(), 'instanet-gradescope-')));
  try {
    const run = await runGrade({
      ...options,
      submissions: submission,
      out,
      jobs: 1,
      sources: [{ name: 'submission', kind: 'folder', path: submission }],
    });
    const grade = run.grades[0];
    if (!grade) throw new Error('no grade was produced');
    const produced = JSON.parse(readFileSync(path.join(out, grade.folder, 'results.json'), 'utf8')) as unknown;
    await writeJsonAtomic(results, produced);
    return { score: grade.total, results };
  } catch (error) {
    onCrash(error);
    throw error;
  } finally {
    process.removeListener('uncaughtException', onCrash);
    if (!options.out) await rm(out, { recursive: true, force: true }).catch(() => undefined);
  }
}
