import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SCENARIO_DIR, loadScenarios } from '../../scenarios/loader.ts';
import { EXHAUSTIVE_ROOTS, chargeAndScore, failedPrerequisites, type Prerequisites } from './charge-once.ts';
import { serverPatterns } from '../grade/grade-submission.ts';
import { loadRubric, type LoadedRubric } from './loader.ts';
import { caseMatcher, type CaseOutcome } from './score.ts';

// Issue 22: charge-once could be gamed. A layer with a defect scored 95.5; the same layer failing
// 3.3.2 on purpose scored 98, because 1.1.2 (which assumes 3.3.2) became "SKIPPED, depends on 3.3.2"
// and its item kept 9/9. Failing one more case must never raise a total: checked here over random
// verdict vectors on the real rubric, its real scenarios and the client driver's checks.

let loaded: LoadedRubric;
let ids: string[];
let prerequisites: Prerequisites;

/** The client driver's check ids and its ASSUMES table, read from the driver itself (no copy to drift). */
function clientChecks(): { ids: string[]; assumes: [string, string[]][] } {
  const driver = readFileSync(fileURLToPath(new URL('../python/client_driver.py', import.meta.url)), 'utf8');
  const checkIds = [...new Set([...driver.matchAll(/^\s*\('(client\.\d+\.\d+)'/gm)].map((m) => m[1] as string))];
  const table = /^ASSUMES = (\{.*\})$/m.exec(driver)?.[1] ?? '{}';
  const assumes = Object.entries(JSON.parse(table.replace(/'/g, '"')) as Record<string, string[]>);
  return { ids: checkIds, assumes };
}

beforeAll(async () => {
  loaded = await loadRubric();
  const matchers = serverPatterns(loaded.rubric).map(caseMatcher);
  const scenarios = (await loadScenarios(DEFAULT_SCENARIO_DIR)).filter((s) => matchers.some((m) => m(s.id)));
  const client = clientChecks();
  ids = [...scenarios.map((s) => s.id), ...client.ids];
  prerequisites = new Map([...scenarios.map((s) => [s.id, [...(s.depends ?? []), ...(s.assumes ?? [])]] as const), ...client.assumes]);
  expect(scenarios.length).toBeGreaterThan(40);
  expect(client.ids).toContain('client.4.1');
});

const outcome = (id: string, failed: boolean): CaseOutcome => ({
  id,
  title: id,
  verdict: failed ? 'FAILED' : 'PASSED',
  requirements: [],
  source: id.startsWith('client.') ? 'client' : 'server',
});

function total(failed: ReadonlySet<string>): number {
  return chargeAndScore(loaded.rubric, ids.map((id) => outcome(id, failed.has(id))), prerequisites).score.total;
}

describe('charge-once is monotone', () => {
  it('the case seen: failing 3.3.2 on purpose beside a defect that fails 1.1.2 does not raise the total', () => {
    expect(prerequisites.get('1.1.2')).toContain('3.3.2');
    const defect = total(new Set(['1.1.2']));
    expect(defect).toBeLessThan(100);
    expect(total(new Set(['1.1.2', '3.3.2']))).toBeLessThanOrEqual(defect);
  });

  it('over random verdict vectors, failing one more case never raises the total', () => {
    fc.assert(
      fc.property(
        // Mostly passing hand-ins (where gaming pays) and some broken ones; which passing case fails next.
        fc.double({ min: 0.02, max: 0.3, noNaN: true }).chain((p) => fc.tuple(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: ids.length, maxLength: ids.length }).map((r) => r.map((x) => x < p)), fc.nat())),
        ([fails, pick]) => {
          const failed = new Set(ids.filter((_, i) => fails[i]));
          const passing = ids.filter((id) => !failed.has(id));
          if (passing.length === 0) return;
          const extra = passing[pick % passing.length] as string;
          // The guarantee holds where every choice is tried (charge-once.ts, EXHAUSTIVE_ROOTS).
          const worse = new Set([...failed, extra]);
          fc.pre(failedPrerequisites(ids.map((id) => outcome(id, worse.has(id))), prerequisites).length <= EXHAUSTIVE_ROOTS);
          const before = total(failed);
          const after = total(worse);
          expect(after, `failing ${extra} as well as ${[...failed].join(', ')}`).toBeLessThanOrEqual(before + 1e-9);
        },
      ),
      // Each total tries every choice of up to EXHAUSTIVE_ROOTS roots: CPU-bound, so a busy machine
      // stretches it several times over; the bound is on the runs, the timeout only a net.
      { numRuns: 120 },
    );
  }, 900_000);
});
