import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { postResults } from '../../reporters/post-results.ts';
import { ConsoleReporter } from '../../reporters/console.ts';
import { renderJson } from '../../reporters/json.ts';
import { writeReports } from '../../reporters/write-reports.ts';
import { effectiveLevel, type Profile } from '../../runner/levels.ts';
import { runSuite } from '../../runner/run-suite.ts';
import { selectIds } from '../../runner/select.ts';
import { ScenarioFormatError, ScenarioSelectionError } from '../../scenarios/errors.ts';
import { executionOrder, loadScenarios } from '../../scenarios/loader.ts';
import { addressTarget } from '../../targets/address-target.ts';
import { referenceTarget } from '../../targets/reference-target.ts';
import { spawnedTarget } from '../../targets/spawned-target.ts';
import { TargetConfigError, type Target } from '../../targets/target.ts';

// `instanet test`: the conformance suite against one server. Exit status: 0 when no MUST case
// failed (with --strict: no SHOULD case either), 1 when one did, 2 for a usage or scenario error.

interface TestFlags {
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
}

const EXIT_USAGE = 2;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer (milliseconds)');
  return n;
}

// --cases 4.* --cases 5.1 and --cases 4.*,5.1 both work.
const collect = (value: string, previous: string[]) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];

function buildTarget(flags: TestFlags): Target {
  if (flags.target && flags.server) throw new TargetConfigError('use either --target host:port or --server "command", not both');
  if (flags.target) return addressTarget(flags.target);
  if (flags.server) {
    return spawnedTarget({
      command: flags.server,
      cwd: flags.cwd,
      ...(flags.readyTimeout ? { readyTimeoutMs: flags.readyTimeout } : {}),
      keepWorkspace: flags.keepWorkspace,
    });
  }
  return referenceTarget({ mode: flags.referenceMode });
}

async function list(flags: TestFlags, target: Target): Promise<void> {
  const all = await loadScenarios(flags.scenarios);
  const selected = selectIds(all, flags.cases, flags.exclude);
  const profile = flags.profile ?? target.profile ?? 'course';
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(selected.map((s) => ({ id: s.id, title: s.title, group: s.group, tasks: s.tasks, requirements: s.requirements, depends: s.depends ?? [], level: s.level, effectiveLevel: effectiveLevel(s, profile), file: path.relative(process.cwd(), s.file) })), null, 2)}\n`);
    return;
  }
  let group: number | undefined;
  for (const s of selected) {
    if (s.group !== group) {
      group = s.group;
      process.stdout.write(`\n${s.group}. ${s.groupTitle}\n`);
    }
    const level = effectiveLevel(s, profile);
    const shown = level === s.level ? level : `${level} (declared ${s.level})`;
    process.stdout.write(`  ${s.id.padEnd(7)} ${shown.padEnd(13)} ${s.title}  [${s.requirements.join(', ')}]${s.depends?.length ? ` after ${s.depends.join(', ')}` : ''}\n`);
  }
  process.stdout.write(`\n${selected.length} case(s), profile ${profile}; run order: ${executionOrder(selected).map((s) => s.id).join(' ')}\n`);
}

async function run(flags: TestFlags): Promise<void> {
  const target = buildTarget(flags);
  if (flags.list) {
    await list(flags, target);
    return;
  }
  const reporter = new ConsoleReporter({ verbose: flags.verbose, ...(flags.json ? { write: (t: string) => process.stderr.write(t) } : {}) });
  const report = await runSuite({
    target,
    cases: flags.cases,
    exclude: flags.exclude,
    timeoutMs: flags.timeout,
    strict: flags.strict,
    ...(flags.profile ? { profile: flags.profile } : {}),
    ...(flags.scenarios ? { scenarioDir: flags.scenarios } : {}),
    onStart: (cases) => reporter.start(cases, target.description),
    onCase: (r) => reporter.onCase(r),
  });
  reporter.finish(report);
  const out = path.resolve(flags.out ?? path.join('reports', report.runId));
  const files = await writeReports(report, out);
  const where = (text: string) => (flags.json ? process.stderr : process.stdout).write(text);
  where(`reports: ${path.relative(process.cwd(), files['report.html']) || files['report.html']} (+ report.json, junit.xml, summary.md)\n`);
  if (flags.json) process.stdout.write(renderJson(report));
  if (flags.postResults) {
    try {
      const outcome = await postResults(flags.postResults, { kind: 'instanet-conformance', ...report }, {
        onRetry: ({ attempt, delayMs, reason }) => process.stderr.write(`--post-results: attempt ${attempt} failed (${reason}); retrying in ${delayMs} ms\n`),
      });
      where(`results posted to ${flags.postResults} (HTTP ${outcome.status})\n`);
    } catch (error) {
      // The verdicts stand whether or not the dashboard got them; say so, and do not hide them.
      process.stderr.write(`instanet test: could not post results: ${(error as Error).message}\n`);
    }
  }
  process.exitCode = report.exitCode;
}

export function testCommand(): Command {
  return new Command('test')
    .description('run the conformance suite against a server and write reports (exit 1 when a MUST case fails)')
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
    .option('--keep-workspace', 'keep the temporary copies of --cwd (for debugging)', false)
    .action(async (flags: TestFlags) => {
      try {
        await run(flags);
      } catch (error) {
        if (error instanceof ScenarioFormatError || error instanceof ScenarioSelectionError || error instanceof TargetConfigError) {
          process.stderr.write(`instanet test: ${error.message}\n`);
          process.exitCode = EXIT_USAGE;
          return;
        }
        throw error;
      }
    });
}
