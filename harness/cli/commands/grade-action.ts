import path from 'node:path';
import { statusText } from '../../grader/outputs/grade-format.ts';
import { runGrade, type GradeRunResult } from '../../grader/grade/grade-run.ts';
import { runGradescope } from '../../grader/gradescope/run.ts';
import { UsageError } from '../../errors.ts';
import { EXIT } from '../exit-codes.ts';
import type { GradeFlags } from './grade.ts';

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z').replace(/[:]/g, '-');
}

/** What --post-results sends: the gradebook, one entry per submission, no student code or output. */
export function resultsPayload(run: GradeRunResult) {
  return {
    kind: 'instanet-gradebook',
    out: run.out,
    durationMs: run.durationMs,
    peakMemoryMiB: run.peakMemoryMiB,
    submissions: run.grades.map((g) => ({
      name: g.name,
      total: g.total,
      max: g.max,
      status: statusText(g),
      tasks: Object.fromEntries(g.tasks.map((t) => [t.id, t.earned])),
    })),
  };
}

export async function runGradeCommand(submissions: string | undefined, flags: GradeFlags): Promise<void> {
  const common = {
    ...(flags.rubric ? { rubricFile: flags.rubric } : {}),
    ...(flags.starter ? { starter: flags.starter } : {}),
    sandbox: flags.sandbox,
    image: flags.image,
    ...(flags.timeout ? { timeoutSeconds: flags.timeout } : {}),
    ...(flags.caseTimeout ? { caseTimeoutSeconds: flags.caseTimeout } : {}),
    ...(flags.readyTimeout ? { readySeconds: flags.readyTimeout } : {}),
    force: flags.force,
    progress: flags.progress,
    dedupe: flags.dedupe,
    ...(flags.parallelSuites ? { serverParts: flags.parallelSuites } : {}),
  };
  if (flags.gradescope) {
    const { score, results } = await runGradescope({ ...common, ...(flags.out ? { out: flags.out } : {}) });
    process.stdout.write(`score ${score}; results written to ${results}\n`);
    return;
  }
  if (!submissions) throw new UsageError('missing argument SUBMISSIONS (or use --gradescope)');
  const out = flags.out ?? path.join('reports', `grade-${timestamp()}`);
  const run = await runGrade({
    ...common,
    submissions,
    out,
    jobs: flags.jobs,
    ...(flags.shard ? { shard: flags.shard } : {}),
    ...(flags.only ? { only: flags.only } : {}),
  });
  const failed = run.grades.filter((g) => g.status !== 'ok').length;
  process.stdout.write(
    `${run.grades.length} submission(s): ${run.graded} graded, ${run.reused} unchanged and kept, ${run.shared} identical to another`
      + `${failed ? `, ${failed} with a problem status` : ''}, in ${(run.durationMs / 1000).toFixed(1)} s\n`
      + `gradebook: ${path.join(run.out, 'gradebook.csv')}\ndashboard: ${path.join(run.out, 'index.html')}\n`
      + `grader peak memory: ${run.peakMemoryMiB} MiB\n`,
  );
  for (const line of run.kitErrors) process.stderr.write(`kit error: ${line}\n`);
  if (flags.postResults) {
    const { postResults } = await import('../../publish/post-results.ts');
    await postResults(flags.postResults, resultsPayload(run), {});
    process.stdout.write(`results posted to ${flags.postResults}\n`);
  }
  // Errors (a rubric that does not load, bwrap missing) propagate to main, which maps their code.
  // A hand-in the kit could not judge is the machine's problem, not a verdict: exit 3, re-grade it.
  const kitErrors = run.grades.filter((g) => g.status === 'kit-error');
  if (kitErrors.length) {
    process.stderr.write(`instanet grade: the kit could not judge ${kitErrors.length} submission(s) (status kit-error: ${kitErrors.map((g) => g.name).join(', ')}); run the same command again to re-grade them\n`);
    process.exitCode = EXIT.environment;
  } else if (run.grades.some((g) => g.status === 'error')) process.exitCode = EXIT.failed;
}
