import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { clientRunReport } from '../../grader/client-half/run-report.ts';
import { KIT_ROOT } from '../../grader/kit-root.ts';
import { loadRubric } from '../../grader/rubric/loader.ts';
import { runSandboxedClientHalf } from '../../grader/client-half/sandboxed-client-half.ts';
import { planSandbox } from '../../sandbox/sandbox.ts';
import { limitsOf } from '../../grader/rubric/limits.ts';
import { costsPoints } from '../../grader/rubric/score.ts';
import { ConsoleReporter } from '../../reporters/console.ts';
import { renderJson } from '../../reporters/json.ts';
import { writeReports } from '../../reporters/write-reports.ts';
import type { ExitCode } from '../exit-codes.ts';
import { studentFolder, studentPython } from './student-folder.ts';
import type { TestFlags } from './test.ts';

// `instanet test --client DIR`: the grader's client half (its judge, its sandbox, the rubric's
// timeouts) on one folder, against the kit's reference server, reported like the server half.

export async function runClientTest(flags: TestFlags, given: string, signal: AbortSignal): Promise<ExitCode> {
  const folder = await studentFolder(given, '--client');
  const { rubric } = await loadRubric(flags.rubric);
  const python = await studentPython();
  const plan = await planSandbox('auto');
  const out = flags.json ? process.stderr : process.stdout;
  const write = (text: string) => out.write(text);
  if (plan.warning) process.stderr.write(`instanet test: note: ${plan.warning}\n`);
  const target = `socket_utils.py of ${folder.given} as the course's client.py calls it, against the kit's reference server (sandbox ${plan.kind})`;
  write(`Client half: running socket_utils.py of ${folder.given} through the course client's flows…\n`);

  const scratch = await mkdtemp(path.join(os.tmpdir(), 'instanet-client-'));
  const startedAt = new Date();
  const caseMs = rubric.timeouts.caseSeconds * 1000;
  let report;
  try {
    const result = await runSandboxedClientHalf({
      serverDir: folder.dir,
      rubric,
      plan,
      limits: limitsOf(rubric),
      python,
      // The student's own folder stays out of sight too: the runner sees only its private copy.
      hide: [KIT_ROOT, folder.dir],
      scratch,
      timeoutMs: rubric.timeouts.clientSeconds * 1000,
      caseMs,
      isAborted: () => signal.aborted,
      // The checks the grader would judge again: the same verdicts as the grade.
      mayCost: costsPoints(rubric),
    });
    report = clientRunReport(result, {
      rubric,
      target,
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
      caseTimeoutMs: caseMs,
      strict: flags.strict,
      interrupted: signal.aborted,
    });
  } finally {
    await rm(scratch, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  }

  const reporter = new ConsoleReporter({ verbose: flags.verbose, write, live: false });
  if (!report.interrupted) {
    reporter.start(report.cases, report.target);
    for (const c of report.cases) reporter.onCase(c);
    reporter.finish(report);
  }
  const dir = path.resolve(flags.out ?? path.join('reports', report.runId));
  const files = await writeReports(report, dir);
  const shown = path.relative(process.cwd(), files['report.html']) || files['report.html'];
  if (report.interrupted) {
    process.stderr.write(`instanet test: interrupted by ${String(signal.reason)}; the client half was stopped and its temporary folders removed; partial reports (marked interrupted): ${shown}\n`);
  } else {
    write(`reports: ${shown} (+ report.json, junit.xml, summary.md)\n`);
    if (flags.json) process.stdout.write(renderJson(report));
  }
  return report.exitCode as ExitCode;
}
