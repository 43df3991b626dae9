import { stat } from 'node:fs/promises';
import path from 'node:path';
import { postResults } from '../../publish/post-results.ts';
import { ConsoleReporter } from '../../reporters/console.ts';
import { renderJson } from '../../reporters/json.ts';
import { writeReports } from '../../reporters/write-reports.ts';
import { effectiveLevel } from '../../runner/levels.ts';
import { INTERRUPTED_REASON, type RunReport } from '../../runner/report-format.ts';
import { runOutcome } from '../../runner/run-outcome.ts';
import { secondLook, type SecondLook } from '../../runner/second-look.ts';
import { runSuiteParallel } from '../../runner/run-parallel.ts';
import { runSuite } from '../../runner/run-suite.ts';
import { selectIds } from '../../runner/select.ts';
import { mayFailRun } from '../../runner/verdicts.ts';
import { executionOrder, loadScenarios, type LoadedScenario } from '../../scenarios/loader.ts';
import { addressTarget } from '../../targets/address-target.ts';
import { referenceTarget } from '../../targets/reference-target.ts';
import { spawnedTarget } from '../../targets/spawned-target.ts';
import { TargetConfigError, type Target } from '../../targets/target.ts';
import { UsageError } from '../../errors.ts';
import { EXIT } from '../exit-codes.ts';
import type { TestFlags } from './test.ts';
import { abortOnSignals } from './abort-on-signals.ts';
import { imageEncoderFor, framingOf, type RunEncoder } from './test-image-encoder.ts';

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

function list(flags: TestFlags, target: Target, all: LoadedScenario[]): void {
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

/** A --scenarios folder that is not there is a typo on the command line, not an I/O failure. */
async function loadSelectedScenarios(flags: TestFlags): Promise<LoadedScenario[]> {
  if (flags.scenarios) {
    const info = await stat(flags.scenarios).catch(() => undefined);
    if (!info?.isDirectory()) throw new UsageError(`--scenarios ${flags.scenarios} is not a directory`);
  }
  const all = await loadScenarios(flags.scenarios);
  selectIds(all, flags.cases, flags.exclude); // a selection that matches nothing fails here, before any server starts
  return all;
}

async function runCases(flags: TestFlags, target: Target, scenarios: LoadedScenario[], signal: AbortSignal, encoder: RunEncoder): Promise<RunReport> {
  const out = flags.json ? process.stderr : process.stdout;
  const reporter = new ConsoleReporter({ verbose: flags.verbose, write: (t: string) => out.write(t), live: out.isTTY === true, ...(out.columns ? { columns: out.columns } : {}) });
  // A running server given by --target is one instance: its groups would share (and race on) its state.
  const parallel = flags.target ? 1 : flags.parallel;
  const run = parallel > 1 ? (o: Parameters<typeof runSuite>[0]) => runSuiteParallel({ ...o, parallel }) : runSuite;
  const report = await run({
    target,
    scenarios,
    cases: flags.cases,
    exclude: flags.exclude,
    timeoutMs: flags.timeout,
    strict: flags.strict,
    signal,
    ...(flags.profile ? { profile: flags.profile } : {}),
    ...(encoder.student ? { imageEncoder: encoder.student } : {}),
    onStart: (cases) => reporter.start(cases, target.description),
    onCaseStart: (s) => {
      if (!signal.aborted) reporter.caseStarted(s);
    },
    // After Ctrl-C the cases not run are not news; one line says what happened.
    onCase: (r) => {
      if (!signal.aborted) reporter.onCase(r);
    },
  });
  if (report.interrupted) {
    reporter.endLive();
    return report;
  }
  const final = await lookAgain(flags, target, scenarios, report, signal, encoder);
  reporter.secondLook(final.summary);
  if (final.report.interrupted) reporter.endLive();
  else reporter.finish(final.report);
  return final.report;
}

/**
 * Failures by timeout that fail the run, judged again alone (harness/runner/second-look.ts): a CI
 * machine busy with other jobs must not fail a server that answers. Not against --target: a running
 * server cannot be started fresh, so a second run would not be alone with its own state.
 */
async function lookAgain(flags: TestFlags, target: Target, scenarios: LoadedScenario[], report: RunReport, signal: AbortSignal, encoder: RunEncoder): Promise<SecondLook> {
  if (!flags.secondLook || flags.target) return { report, summary: { judged: [], notRerun: [] } };
  const looked = await secondLook(report, {
    target,
    scenarios,
    timeoutMs: flags.timeout,
    strict: flags.strict,
    signal,
    mayCost: mayFailRun(flags.strict),
    ...(flags.profile ? { profile: flags.profile } : {}),
    ...(encoder.student ? { imageEncoder: encoder.student } : {}),
  });
  return signal.aborted ? { report: { ...looked.report, ...runOutcome(looked.report.tally, looked.report.strict, true) }, summary: looked.summary } : looked;
}

async function publish(flags: TestFlags, report: RunReport): Promise<string> {
  const out = path.resolve(flags.out ?? path.join('reports', report.runId));
  const files = await writeReports(report, out);
  const shown = path.relative(process.cwd(), files['report.html']) || files['report.html'];
  if (report.interrupted) return shown;
  const where = (text: string) => (flags.json ? process.stderr : process.stdout).write(text);
  where(`reports: ${shown} (+ report.json, junit.xml, summary.md)\n`);
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
  return shown;
}

function interruptedLine(report: RunReport, signal: AbortSignal, reports: string): string {
  const reached = report.cases.filter((c) => c.reason !== INTERRUPTED_REASON).length;
  return `instanet test: interrupted by ${String(signal.reason)} after ${reached} of ${report.cases.length} case(s); servers stopped, temporary folders removed; partial reports (marked interrupted): ${reports}\n`;
}

export async function runTestCommand(flags: TestFlags): Promise<void> {
  const target = buildTarget(flags);
  const scenarios = await loadSelectedScenarios(flags);
  if (flags.list) {
    list(flags, target, scenarios);
    return;
  }
  await target.preflight?.();
  if (target.notice) process.stderr.write(`instanet test: note: ${target.notice}\n`);
  const interrupt = abortOnSignals();
  const encoder = await imageEncoderFor(flags);
  if (encoder.note) process.stderr.write(`instanet test: note: ${encoder.note}\n`);
  try {
    const ran = await runCases(flags, target, scenarios, interrupt.signal, encoder);
    const report = { ...ran, ...framingOf(encoder) };
    if (report.imageFraming && !flags.json) process.stdout.write(`${report.imageFraming}\n`);
    const reports = await publish(flags, report);
    if (report.interrupted) process.stderr.write(interruptedLine(report, interrupt.signal, reports));
    process.exitCode = report.exitCode;
  } finally {
    await encoder.student?.close();
    interrupt.dispose();
  }
}
