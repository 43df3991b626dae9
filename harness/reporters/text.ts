import { INTERRUPTED_REASON, type CaseResult, type RunReport, type Verdict } from '../runner/report-format.ts';

// Small shared pieces of every human-readable report.

export const VERDICT_ORDER: readonly Verdict[] = ['FAILED', 'ERROR', 'NON-STRICT', 'INFORMATIONAL', 'SKIPPED', 'PASSED'];

export function tallyLine(report: RunReport): string {
  const t = report.tally;
  return `${report.cases.length} cases: ${t.PASSED} passed, ${t.FAILED} failed, ${t['NON-STRICT']} non-strict, ${t.INFORMATIONAL} informational, ${t.SKIPPED} skipped, ${t.ERROR} errors`;
}

export function outcomeLine(report: RunReport): string {
  if (report.interrupted) return `INTERRUPTED: partial run, ${report.cases.filter((c) => c.reason !== INTERRUPTED_REASON).length} of ${report.cases.length} case(s) reached`;
  if (report.ok) return report.strict ? 'PASS: no MUST or SHOULD case failed' : 'PASS: no MUST case failed';
  const mustFailures = report.tally.FAILED + report.tally.ERROR;
  return mustFailures > 0
    ? `FAIL: ${report.tally.FAILED} MUST case(s) failed${report.tally.ERROR ? `, ${report.tally.ERROR} harness error(s)` : ''}`
    : `FAIL (--strict): ${report.tally['NON-STRICT']} SHOULD case(s) failed`;
}

export function groups(report: RunReport): { group: number; title: string; cases: CaseResult[] }[] {
  const out = new Map<number, { group: number; title: string; cases: CaseResult[] }>();
  for (const c of report.cases) {
    let g = out.get(c.group);
    if (!g) {
      g = { group: c.group, title: c.groupTitle, cases: [] };
      out.set(c.group, g);
    }
    g.cases.push(c);
  }
  return [...out.values()].sort((a, b) => a.group - b.group);
}

/** Cases a reader must look at first: what failed the run, then what missed a SHOULD. */
export function notable(report: RunReport): CaseResult[] {
  return report.cases.filter((c) => c.verdict === 'FAILED' || c.verdict === 'ERROR' || c.verdict === 'NON-STRICT');
}

export const isProblem = (v: Verdict) => v === 'FAILED' || v === 'ERROR';
