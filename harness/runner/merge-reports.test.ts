import { describe, expect, it } from 'vitest';
import type { RunReport } from './report-format.ts';
import { mergeReports } from './merge-reports.ts';

const caseOf = (id: string, verdict: 'PASSED' | 'FAILED', instance: number): RunReport['cases'][number] => ({
  id,
  title: id,
  group: Number(id.split('.')[0]),
  groupTitle: 'g',
  tasks: [],
  requirements: [],
  level: 'MUST',
  effectiveLevel: 'MUST',
  verdict,
  durationMs: 1,
  log: [],
  instance,
  transcript: [],
});

const report = (cases: RunReport['cases'], instances: number, durationMs: number): RunReport => ({
  format: 1,
  kit: 'x',
  runId: 'r',
  startedAt: 't',
  durationMs,
  target: 't',
  profile: 'course',
  strict: false,
  selection: { cases: [], exclude: [], timeoutMs: 1 },
  ok: true,
  exitCode: 0,
  tally: { PASSED: 0, FAILED: 0, 'NON-STRICT': 0, INFORMATIONAL: 0, SKIPPED: 0, ERROR: 0 },
  cases,
  instances: Array.from({ length: instances }, (_, index) => ({ index, cases: [], status: 'ok' as const, stdout: '', stderr: '' })),
});

describe('merging the reports of parts of one suite', () => {
  it('merges the parts back in suite order with the first result of a shared case and renumbered instances', () => {
    const a = report([caseOf('2.1.1', 'PASSED', 0), caseOf('1.1.1', 'FAILED', 1)], 2, 50);
    const b = report([caseOf('2.1.1', 'FAILED', 0), caseOf('2.1.2', 'PASSED', 0)], 1, 80);
    const merged = mergeReports([a, b], ['1.1.1', '2.1.1', '2.1.2']);
    expect(merged.cases.map((c) => [c.id, c.verdict, c.instance])).toEqual([
      ['1.1.1', 'FAILED', 1],
      ['2.1.1', 'PASSED', 0],
      ['2.1.2', 'PASSED', 2],
    ]);
    expect(merged.instances.map((i) => i.index)).toEqual([0, 1, 2]);
    expect(merged.tally).toMatchObject({ PASSED: 2, FAILED: 1 });
    expect([merged.ok, merged.exitCode, merged.durationMs]).toEqual([false, 1, 80]);
  });
});
