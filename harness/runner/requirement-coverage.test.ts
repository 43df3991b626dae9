import { describe, expect, test } from 'vitest';
import { REQUIREMENTS } from '../../spec/requirements.ts';
import type { CaseResult, Verdict } from './report-format.ts';
import { coverageLine, coverageSummary, requirementCoverage } from './requirement-coverage.ts';

// The roll-up rules, one requirement at a time: the worst judged verdict wins, SKIPPED and ERROR
// say nothing either way, and "not run" is told apart from "no scenario at all".

function result(id: string, requirements: string[], verdict: Verdict): CaseResult {
  return {
    id, title: id, group: 7, groupTitle: 'Robustness', tasks: [], requirements,
    level: 'SHOULD', effectiveLevel: 'SHOULD', verdict, durationMs: 1, log: [], transcript: [],
  };
}

const row = (rows: ReturnType<typeof requirementCoverage>, id: string) => rows.find((r) => r.id === id);

describe('requirementCoverage', () => {
  const catalogue = [
    { id: '7.1.1', requirements: ['ERR-1', 'ERR-3'] },
    { id: '7.1.2', requirements: ['ERR-1', 'ERR-2'] },
    { id: '7.3.1', requirements: ['FRAME-9'] },
    { id: '7.3.3', requirements: ['FRAME-9'] },
    { id: '7.5.1', requirements: ['FRAME-6'] },
    { id: '7.6.1', requirements: ['CONN-2'] },
    { id: '7.7.1', requirements: ['IMG-7'] },
    { id: '7.8.1', requirements: ['LIM-1'] },
  ];

  test('one row per catalogue requirement, in catalogue order, with level, section and text', () => {
    const rows = requirementCoverage(catalogue, []);
    expect(rows.map((r) => r.id)).toEqual(REQUIREMENTS.map((r) => r.id));
    expect(row(rows, 'FRAME-9')).toMatchObject({ level: 'SHOULD', section: 'FRAME', sectionTitle: 'Transport and framing', status: 'not-exercised', cases: [], unselected: ['7.3.1', '7.3.3'] });
    expect(row(rows, 'CLNT-1')).toMatchObject({ status: 'no-scenario', cases: [], unselected: [] });
  });

  test('a MUST requirement its cases passed is met, although a MAY-level expectation of one of them was missed', () => {
    // CONN-2 is a MUST; 7.6.1 passed and another case citing it missed a MAY-level expectation only.
    const rows = requirementCoverage([...catalogue, { id: '7.6.2', requirements: ['CONN-2'] }], [
      result('7.6.1', ['CONN-2'], 'PASSED'),
      result('7.6.2', ['CONN-2'], 'INFORMATIONAL'),
    ]);
    expect(row(rows, 'CONN-2')?.level).toBe('MUST');
    expect(row(rows, 'CONN-2')?.status).toBe('met');
  });

  test('the worst judged verdict decides; skipped and errored cases do not count as exercised', () => {
    const rows = requirementCoverage(catalogue, [
      result('7.1.1', ['ERR-1', 'ERR-3'], 'PASSED'),
      result('7.1.2', ['ERR-1', 'ERR-2'], 'FAILED'),
      result('7.3.1', ['FRAME-9'], 'PASSED'),
      result('7.3.3', ['FRAME-9'], 'NON-STRICT'),
      result('7.5.1', ['FRAME-6'], 'INFORMATIONAL'),
      result('7.6.1', ['CONN-2'], 'SKIPPED'),
      result('7.7.1', ['IMG-7'], 'ERROR'),
    ]);
    expect(row(rows, 'ERR-1')).toMatchObject({ status: 'not-met', cases: [{ id: '7.1.1', verdict: 'PASSED' }, { id: '7.1.2', verdict: 'FAILED' }] });
    expect(row(rows, 'ERR-3')?.status).toBe('met');
    expect(row(rows, 'FRAME-9')?.status).toBe('not-met-should');
    expect(row(rows, 'FRAME-6')?.status).toBe('informational');
    expect(row(rows, 'CONN-2')?.status).toBe('not-exercised');
    expect(row(rows, 'IMG-7')?.status).toBe('not-exercised');
    expect(row(rows, 'LIM-1')).toMatchObject({ status: 'not-exercised', unselected: ['7.8.1'] });
    expect(coverageSummary(rows)).toEqual({ total: REQUIREMENTS.length, exercised: 5, notMet: 2, notMetShould: 1, informational: 1 });
    expect(coverageLine(rows)).toBe(`5 of ${REQUIREMENTS.length} requirements exercised, 2 not met, 1 SHOULD not met, 1 informational`);
  });
});
