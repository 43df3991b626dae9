import { Command, InvalidArgumentError, Option } from 'commander';
import type { Profile } from '../../runner/levels.ts';

// `instanet test`: the conformance suite against one server. Exit status: see ../exit-codes.ts
// (0 no MUST case failed, 1 one did, 2 usage or scenario error, 3 setup problem, 130 interrupted).
// Only the flags live here; the run is imported when the action starts (./test-action.ts).

export interface TestFlags {
  target?: string;
  server?: string;
  cwd: string;
  readyTimeout?: number;
  referenceMode: 'strict' | 'course';
  profile?: Profile;
  cases: string[];
  exclude: string[];
  list: boolean;
  timeout: number;
  strict: boolean;
  out?: string;
  json: boolean;
  postResults?: string;
  scenarios?: string;
  verbose: boolean;
  keepWorkspace: boolean;
  client?: string;
  submission?: string;
  watch: boolean;
  rubric?: string;
  starter?: string;
  parallel: number;
  secondLook: boolean;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer (milliseconds)');
  return n;
}

function laneCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 16) throw new InvalidArgumentError('expected an integer from 1 to 16');
  return n;
}

// --cases 4.* --cases 5.1 and --cases 4.*,5.1 both work.
const collect = (value: string, previous: string[]) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];

export function testCommand(): Command {
  return new Command('test')
    .option('--target <host:port>', 'a running server')
    .option('--server <command>', 'start this server per scenario group, e.g. "python3 server.py --port {port}"')
    .option('--cwd <dir>', 'the folder --server runs in (copied to a fresh temporary folder each time)', '.')
    .option('--ready-timeout <ms>', 'how long a started server may take to accept connections', positiveInt)
    .addOption(new Option('--reference-mode <mode>', 'mode of the built-in reference server (no --target/--server)').choices(['strict', 'course']).default('strict'))
    .addOption(new Option('--profile <profile>', 'strict: every case at its level; course: level down what the course starter cannot do (default: strict for the reference, course otherwise)').choices(['strict', 'course']))
    .option('--cases <globs>', 'cases to run: ids, sections or globs (4, 4.2, 4.*, 5.2.1); repeatable or comma-separated', collect, [])
    .option('--exclude <globs>', 'cases to leave out; same syntax as --cases', collect, [])
    .option('--list', 'list the selected cases and exit (dry run)', false)
    .option('--timeout <ms>', 'default per-step timeout', positiveInt, 2000)
    .option('--strict', 'SHOULD failures (NON-STRICT) also fail the run', false)
    .option('--out <dir>', 'where to write report.json, junit.xml, summary.md and report.html (default reports/<run id>)')
    .option('--json', 'print report.json to stdout (progress goes to stderr)', false)
    .option('--post-results <url>', 'POST the report to this URL when the run ends')
    .option('--scenarios <dir>', 'scenario folder (default fixtures/scenarios)')
    .option('--verbose', 'print every step of every case', false)
    .option('--parallel <n>', 'scenario groups run at once, each on its own server instance (1: one after another)', laneCount, 3)
    .option('--no-second-look', 'charge a failure by timeout at once (default: judged again alone on a fresh server first, the second verdict standing)')
    .option('--keep-workspace', 'keep the temporary copies of --cwd (for debugging)', false)
    .option('--client <dir>', "the client half of the hand-in in DIR (its socket_utils.py as the course's client.py calls it), as the grader runs it")
    .option('--submission <dir>', 'grade the hand-in in DIR exactly as `instanet grade` would (both halves) and print the points per task')
    .option('--watch', 're-run when socket_utils.py or server.py changes (with --client, --submission, or --server and --cwd)', false)
    .option('--rubric <file>', 'rubric for --submission and --client (default fixtures/rubrics/cpe356.yaml)')
    .option('--starter <dir>', "with --submission: the course's starter folder; its server.py, client.py and constants.py run with your socket_utils.py, as `instanet grade --starter` runs them")
    .action(async (flags: TestFlags, command: Command) => {
      if (flags.starter && !flags.submission) command.error('error: --starter goes with --submission DIR (the grade runs your socket_utils.py with the starter\'s other files)', { exitCode: 2 });
      if (flags.client || flags.submission || flags.watch) return (await import('./test-student.ts')).runStudentTest(flags);
      const { runTestCommand } = await import('./test-action.ts');
      await runTestCommand(flags);
    });
}
