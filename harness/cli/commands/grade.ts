import { Command, InvalidArgumentError, Option } from 'commander';
import type { SandboxMode } from '../../sandbox/sandbox.ts';
import { parseShard, type Shard } from '../../grader/grade/shard.ts';

// `instanet grade`: the flags; the grading itself is imported when the action starts (./grade-action.ts).

export interface GradeFlags {
  rubric?: string;
  starter?: string;
  out?: string;
  jobs: number;
  sandbox: SandboxMode;
  image?: string;
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

export function gradeCommand(): Command {
  return new Command('grade')
    .argument('[submissions]', 'folder holding one subfolder or .zip per student (not needed with --gradescope)')
    .option('--rubric <file>', "grading rubric (YAML; default: the course's, fixtures/rubrics/cpe356.yaml in the kit)")
    .option('--starter <dir>', "the course's starter folder as handed out: its server.py, client.py and constants.py run with every hand-in, only socket_utils.py is the student's (default: the class's most common copies)")
    .option('--out <dir>', 'output folder (default reports/grade-<timestamp>)')
    .option('--jobs <n>', 'submissions graded in parallel', positive('integer'), 2)
    .addOption(
      new Option('--sandbox <mode>', 'auto: bwrap when it works here, else plain processes with a warning').choices(['auto', 'bwrap', 'container', 'none']).default('auto'),
    )
    .option('--image <image>', 'container image for --sandbox container (default: $INSTANET_CONTAINER_IMAGE, else python:3.12-slim)')
    .option('--timeout <seconds>', "wall-clock budget of one submission (default: the rubric's)", positive('number'))
    .option('--case-timeout <seconds>', "per-case timeout (default: the rubric's)", positive('number'))
    .option('--ready-timeout <seconds>', "time a server gets to start listening (default: the rubric's)", positive('number'))
    .option('--force', 'regrade submissions already graded in --out', false)
    .option('--shard <i/n>', 'grade only shard i of n (stable by submission name); join with `instanet gradebook merge`', shardArg)
    .option('--only <glob>', 'grade only submissions whose name matches')
    .option('--parallel-suites <n>', 'suites run side by side against each submission, each on its own server instances (default 5)', positive('integer'))
    .option('--no-dedupe', 'grade identical hand-ins separately (default: graded once, grade shared)')
    .option('--gradescope', 'run as a Gradescope autograder: /autograder/submission in, /autograder/results/results.json out', false)
    .option('--post-results <url>', 'POST the gradebook as JSON to this URL when done')
    .addOption(new Option('--progress <kind>', 'progress display').choices(['auto', 'bar', 'lines', 'none']).default('auto'))
    .action(async (submissions: string | undefined, flags: GradeFlags, command: Command) => {
      if (!flags.gradescope && !submissions) command.error('error: missing argument SUBMISSIONS (or use --gradescope)', { exitCode: 2 });
      const { runGradeCommand } = await import('./grade-action.ts');
      await runGradeCommand(submissions, flags);
    });
}
