import { isRequirementId, requirement } from '../../../spec/requirements.ts';
import { KIT_VERSION } from '../../base/kit-version.ts';
import { INTERRUPTED_REASON, type CaseResult, type FailureKind, type RunReport } from '../../runner/report-format.ts';
import { requirementCoverage } from '../../runner/requirement-coverage.ts';
import { runIdOf, runOutcome } from '../../runner/run-outcome.ts';
import { failureVerdict, tally } from '../../runner/verdicts.ts';
import type { CaseLevel } from '../../scenarios/format.ts';
import type { ClientHalfResult } from './client-half.ts';
import type { Rubric } from '../rubric/format.ts';
import { caseMatcher } from '../rubric/score.ts';

// The client half's verdicts as a run report, so `instanet test --client` prints and writes exactly
// what the server half does (console, report.json, junit.xml, summary.md, report.html). A check the
// rubric grades is a MUST; one it only reports (client.0.*, client.7.*) is judged at the level of
// its requirements, so it can never fail the run unless --strict asks for SHOULDs.

export interface ClientRunReportOptions {
  rubric: Rubric;
  /** What was tested, one line (the submission folder and the sandbox). */
  target: string;
  startedAt: Date;
  durationMs: number;
  caseTimeoutMs: number;
  strict: boolean;
  interrupted: boolean;
}

interface Placement {
  graded: boolean;
  title: string;
}

function placement(id: string, rubric: Rubric): Placement {
  for (const task of rubric.tasks) {
    for (const item of task.items) {
      if (item.cases.some((ref) => caseMatcher(typeof ref === 'string' ? ref : ref.match)(id))) return { graded: true, title: task.title };
    }
  }
  for (const group of rubric.ungraded) {
    if (group.cases.some((match) => caseMatcher(match)(id))) return { graded: false, title: /not graded/.test(group.title) ? group.title : `${group.title} (not graded)` };
  }
  return { graded: false, title: 'Client checks the rubric does not list (not graded)' };
}

function levelOf(requirements: readonly string[], graded: boolean): CaseLevel {
  if (graded) return 'MUST';
  return requirements.some((r) => isRequirementId(r) && requirement(r).level === 'SHOULD') ? 'SHOULD' : 'INFORMATIONAL';
}

/** client.5.2 belongs to task 5; the driver's ids carry the assignment's task number. */
function groupOf(id: string): number {
  const n = Number(id.split('.')[1]);
  return Number.isInteger(n) ? n : 0;
}

/** A check judged again after running out of time keeps its first verdict beside the second. */
function withFirstRun(c: CaseResult, first: CaseResult['verdict'] | undefined): CaseResult {
  return first ? { ...c, firstRun: { verdict: first, reason: 'ran out of time on the first run' } } : c;
}

function failureKind(detail: string): FailureKind {
  if (/timed out|ran out of time/.test(detail)) return 'timeout';
  if (/could not be imported|not run/.test(detail)) return 'not-started';
  return 'mismatch';
}

export function clientRunReport(result: ClientHalfResult, options: ClientRunReportOptions): RunReport {
  const firstRuns = new Map((result.secondLook?.judged ?? []).map((j) => [j.id, j.first] as const));
  const cases = result.outcomes.map((o) => withFirstRun(clientCase(o, options), firstRuns.get(o.id)));
  // The driver gave no verdicts at all (out of time, past its quota): one case says why.
  if (cases.length === 0) cases.push(noVerdictsCase(result, options));
  const counts = tally(cases.map((c) => c.verdict));
  return {
    format: 1,
    kit: KIT_VERSION,
    runId: runIdOf(options.startedAt, 'client'),
    startedAt: options.startedAt.toISOString(),
    durationMs: options.durationMs,
    target: options.target,
    profile: 'course',
    strict: options.strict,
    selection: { cases: ['client.*'], exclude: [], timeoutMs: options.caseTimeoutMs },
    ...runOutcome(counts, options.strict, options.interrupted),
    tally: counts,
    cases,
    instances: [
      {
        index: 0,
        cases: cases.map((c) => c.id),
        address: 'the kit\'s reference server (course mode)',
        status: 'ok',
        stdout: '',
        // The driver's stderr carries what the student's code printed (a traceback, debug prints).
        stderr: result.stderr,
      },
    ],
    requirements: requirementCoverage(cases, cases),
  };
}

type ClientOutcome = ClientHalfResult['outcomes'][number];

/** One check of the driver as a case: placed under its rubric task, at the level the rubric gives it. */
function clientCase(o: ClientOutcome, options: ClientRunReportOptions): CaseResult {
  const place = placement(o.id, options.rubric);
  const level = levelOf(o.requirements, place.graded);
  const passed = o.verdict === 'PASSED';
  const detail = o.detail ?? '';
  const base: CaseResult = {
    id: o.id,
    title: o.title,
    group: groupOf(o.id),
    groupTitle: `${place.title} — your client`,
    tasks: [groupOf(o.id)].filter((t) => t > 0),
    requirements: [...o.requirements],
    level,
    effectiveLevel: level,
    verdict: passed ? 'PASSED' : options.interrupted ? 'SKIPPED' : failureVerdict(level),
    durationMs: 0,
    log: detail ? [detail] : [],
    transcript: [],
  };
  if (passed) return base;
  if (options.interrupted) return { ...base, reason: INTERRUPTED_REASON };
  return {
    ...base,
    reason: detail,
    // The step names the function the grader charges, as the student's grade report does.
    failure: {
      step: o.blame ? `charged to ${o.blame}` : 'the client flow',
      kind: failureKind(detail),
      expected: o.title,
      actual: detail,
      mismatches: [],
    },
    ...(o.hint ? { hint: o.hint } : {}),
  };
}

function noVerdictsCase(result: ClientHalfResult, options: ClientRunReportOptions): CaseResult {
  return {
    id: 'client',
    title: 'the client half runs to the end',
    group: 0,
    groupTitle: 'Client half',
    tasks: [],
    requirements: [],
    level: 'MUST',
    effectiveLevel: 'MUST',
    verdict: options.interrupted ? 'SKIPPED' : 'FAILED',
    durationMs: options.durationMs,
    reason: options.interrupted ? INTERRUPTED_REASON : (result.failure ?? 'the client driver gave no result'),
    log: [],
    transcript: [],
  };
}
