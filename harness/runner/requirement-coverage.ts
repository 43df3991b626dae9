import { REQUIREMENTS, SECTION_TITLES } from '../../spec/requirements.ts';
import type { CaseResult, RequirementCoverage, RequirementStatus, Verdict } from './report-format.ts';

// Traceability: every requirement of the catalogue, followed to the cases that cite it and rolled
// up into one status, so a reader can go from a spec ID to its report row and back (Paho's "which
// spec statements were exercised"). A case verdict is attributed to every requirement the case
// cites; the case list beside each status keeps that visible.

/** Display text of each status, shared by every human-readable reporter. */
export const REQUIREMENT_STATUS_LABEL: Readonly<Record<RequirementStatus, string>> = {
  met: 'met',
  'not-met': 'not met',
  'not-met-should': 'not met (SHOULD)',
  informational: 'informational',
  'not-exercised': 'not exercised by the selected cases',
  'no-scenario': 'not checked by any scenario',
};

// Verdicts that say something about the server; SKIPPED and ERROR say nothing either way.
const JUDGED: ReadonlySet<Verdict> = new Set(['PASSED', 'FAILED', 'NON-STRICT', 'INFORMATIONAL']);

function rollUp(verdicts: readonly Verdict[], cited: boolean, level: 'MUST' | 'SHOULD' | 'MAY'): RequirementStatus {
  if (!cited) return 'no-scenario';
  // The worst judged outcome wins: one failing case is enough to say the requirement is not met.
  if (verdicts.includes('FAILED')) return 'not-met';
  if (verdicts.includes('NON-STRICT')) return 'not-met-should';
  // An INFORMATIONAL verdict is a MAY-level expectation of a case missed: it says nothing against a
  // MUST or SHOULD requirement that the same run's cases passed (summary.md showed those as "informational").
  if (level !== 'MAY' && verdicts.includes('PASSED')) return 'met';
  if (verdicts.includes('INFORMATIONAL')) return 'informational';
  if (verdicts.includes('PASSED')) return 'met';
  return 'not-exercised';
}

/**
 * @param catalogue every scenario known (not only the selected ones), so a requirement no scenario
 *   cites is told apart from one whose cases were left out of this run.
 * @param results the cases of this run.
 */
export function requirementCoverage(
  catalogue: readonly { id: string; requirements: readonly string[] }[],
  results: readonly CaseResult[],
): RequirementCoverage[] {
  const ran = new Set(results.map((r) => r.id));
  return REQUIREMENTS.map((r) => {
    const citing = catalogue.filter((s) => s.requirements.includes(r.id));
    const cases = results
      .filter((c) => c.requirements.includes(r.id))
      .map((c) => ({ id: c.id, verdict: c.verdict, effectiveLevel: c.effectiveLevel }));
    return {
      id: r.id,
      level: r.level,
      section: r.section,
      sectionTitle: SECTION_TITLES[r.section],
      text: r.text,
      status: rollUp(cases.map((c) => c.verdict), citing.length > 0, r.level),
      cases,
      unselected: citing.filter((s) => !ran.has(s.id)).map((s) => s.id),
    };
  });
}

export interface CoverageSummary {
  total: number;
  /** At least one citing case ran and was judged (not only SKIPPED / ERROR). */
  exercised: number;
  notMet: number;
  notMetShould: number;
  informational: number;
}

export function coverageSummary(rows: readonly RequirementCoverage[]): CoverageSummary {
  return {
    total: rows.length,
    exercised: rows.filter((r) => r.cases.some((c) => JUDGED.has(c.verdict))).length,
    notMet: rows.filter((r) => r.status === 'not-met').length,
    notMetShould: rows.filter((r) => r.status === 'not-met-should').length,
    informational: rows.filter((r) => r.status === 'informational').length,
  };
}

/** One line for the console and summary.md: "48 of 66 requirements exercised, 1 not met (+2 SHOULD)". */
export function coverageLine(rows: readonly RequirementCoverage[]): string {
  const s = coverageSummary(rows);
  const should = s.notMetShould ? `, ${s.notMetShould} SHOULD not met` : '';
  const info = s.informational ? `, ${s.informational} informational` : '';
  return `${s.exercised} of ${s.total} requirements exercised, ${s.notMet} not met${should}${info}`;
}
