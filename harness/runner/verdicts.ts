import type { CaseLevel } from '../scenarios/format.ts';
import { VERDICTS, type Tally, type Verdict } from './report-format.ts';

/** A case that did not meet its expectation, judged at its level (Autobahn/h2spec classes). */
export function failureVerdict(level: CaseLevel): Verdict {
  if (level === 'MUST') return 'FAILED';
  if (level === 'SHOULD') return 'NON-STRICT';
  return 'INFORMATIONAL';
}

export function tally(verdicts: Iterable<Verdict>): Tally {
  const t = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Tally;
  for (const v of verdicts) t[v] += 1;
  return t;
}

/** Exit status of a run: only MUST failures and harness errors fail it, plus SHOULD ones with --strict. */
export function runOk(t: Tally, strict: boolean): boolean {
  return t.FAILED === 0 && t.ERROR === 0 && (!strict || t['NON-STRICT'] === 0);
}

/**
 * Whether a case stands in the way of a passing run: a verdict that fails it (runOk), or a skip
 * that may hide one. The second look judges such cases again (`instanet test`).
 */
export function mayFailRun(strict: boolean): (c: { verdict: Verdict }) => boolean {
  return (c) => c.verdict === 'FAILED' || c.verdict === 'ERROR' || c.verdict === 'SKIPPED' || (strict && c.verdict === 'NON-STRICT');
}
