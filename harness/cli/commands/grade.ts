import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { GraderError } from '../../grader/errors.ts';
import { statusText } from '../../grader/grade-format.ts';
import { runGrade, type GradeRunResult } from '../../grader/grade-run.ts';
import { runGradescope } from '../../grader/gradescope-run.ts';
import { DEFAULT_RUBRIC_PATH } from '../../grader/rubric-loader.ts';
import type { SandboxMode } from '../../grader/sandbox.ts';
import { parseShard, type Shard } from '../../grader/shard.ts';

interface GradeFlags {
  rubric?: string;
  out?: string;
  jobs: number;
  sandbox: SandboxMode;
  image: string;
  timeout?: number;
  caseTimeout?: number;
  readyTimeout?: number;
  force: boolean;
  shard?: Shard;
  gradescope: boolean;
  postResults?: string;
  progress: 'auto' | 'bar' | 'lines' | 'none';
  only?: string;
  dedupe: boolean;
  parallelSuites?: number;
}

function positive(kind: 'integer' | 'number') {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || (kind === 'integer' && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`expected a positive ${kind}`);
    }
    return n;
  };
}

function shardArg(value: string): Shard {
  try {
    return parseShard(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z').replace(/[:]/g, '-');
}

/** What --post-results sends: the gradebook, one entry per submission, no student code or output. */
export function resultsPayload(run: GradeRunResult) {
  return {
    kind: 'instanet-gradebook',
    out: run.out,
    durationMs: run.durationMs,
    submissions: run.grades.map((g) => ({
      name: g.name,
      total: g.total,
      max: g.max,
      status: statusText(g),
      tasks: Object.fromEntries(g.tasks.map((t) => [t.id, t.earned])),
    })),
  };
}

export function gradeCommand(): Command {
  return new Command('grade')
    .description('grade a folder of student submissions (one folder or .zip each): gradebook.csv, per-student report.html and Gradescope results.json, class dashboard')
    .argument('[submissions]', 'folder holding one subfolder or .zip per student (not needed with --gradescope)')
    .option('--rubric <file>', `grading rubric (YAML; default: the course's, ${path.relative(process.cwd(), DEFAULT_RUBRIC_PATH) || DEFAULT_RUBRIC_PATH})`)
    .option('--out <dir>', 'output folder (default reports/grade-<timestamp>)')
    .option('--jobs <n>', 'submissions graded in parallel', positive('integer'), 2)
    .addOption(
      new Option('--sandbox <mode>', 'auto: bwrap when it works here, else plain processes with a warning').choices(['auto', 'bwrap', 'container', 'none']).default('auto'),
    )
    .option('--image <image>', 'container image for --sandbox container', 'python:3.12-slim')
    .option('--timeout <seconds>', "wall-clock budget of one submission (default: the rubric's)", positive('number'))
    .option('--case-timeout <seconds>', "per-case timeout (default: the rubric's)", positive('number'))
    .option('--ready-timeout <seconds>', "time a server gets to start listening (default: the rubric's)", positive('number'))
    .option('--force', 'regrade submissions already graded in --out', false)
    .option('--shard <i/n>', 'grade only shard i of n (stable by submission name); join with `instanet gradebook merge`', shardArg)
    .option('--only <glob>', 'grade only submissions whose name matches')
    .option('--parallel-suites <n>', 'suites run side by side against each submission, each on its own server instances (default 3)', positive('integer'))
    .option('--no-dedupe', 'grade identical hand-ins separately (default: graded once, grade shared)')
    .option('--gradescope', 'run as a Gradescope autograder: /autograder/submission in, /autograder/results/results.json out', false)
    .option('--post-results <url>', 'POST the gradebook as JSON to this URL when done')
    .addOption(new Option('--progress <kind>', 'progress display').choices(['auto', 'bar', 'lines', 'none']).default('auto'))
    .action(async (submissions: string | undefined, flags: GradeFlags, command: Command) => {
      const common = {
        ...(flags.rubric ? { rubricFile: flags.rubric } : {}),
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
      try {
        if (flags.gradescope) {
          const { score, results } = await runGradescope({ ...common, ...(flags.out ? { out: flags.out } : {}) });
          process.stdout.write(`score ${score}; results written to ${results}\n`);
          return;
        }
        if (!submissions) command.error('error: missing argument SUBMISSIONS (or use --gradescope)', { exitCode: 2 });
        const out = flags.out ?? path.join('reports', `grade-${timestamp()}`);
        const run = await runGrade({
          ...common,
          submissions: submissions as string,
          out,
          jobs: flags.jobs,
          ...(flags.shard ? { shard: flags.shard } : {}),
          ...(flags.only ? { only: flags.only } : {}),
        });
        const failed = run.grades.filter((g) => g.status !== 'ok').length;
        process.stdout.write(
          `${run.grades.length} submission(s): ${run.graded} graded, ${run.reused} unchanged and kept, ${run.shared} identical to another`
            + `${failed ? `, ${failed} with a problem status` : ''}, in ${(run.durationMs / 1000).toFixed(1)} s\n`
            + `gradebook: ${path.join(run.out, 'gradebook.csv')}\ndashboard: ${path.join(run.out, 'index.html')}\n`,
        );
        if (flags.postResults) {
          const { postResults } = await import('../../reporters/post-results.ts');
          await postResults(flags.postResults, resultsPayload(run), {});
          process.stdout.write(`results posted to ${flags.postResults}\n`);
        }
        if (run.grades.some((g) => g.status === 'error')) process.exitCode = 1;
      } catch (error) {
        if (error instanceof GraderError || (error as { code?: string }).code?.startsWith('INSTANET_ERR_')) {
          process.stderr.write(`instanet grade: ${(error as Error).message}\n`);
          process.exitCode = 2;
          return;
        }
        throw error;
      }
    });
}
