import { describe, expect, test } from 'vitest';
import { runSuite } from '../runner/run-suite.ts';
import { referenceTarget, SUITE_IDLE_TIMEOUT_MS } from './reference-target.ts';

// The reference's idle limit (LIM-2) is the one knob case 7.9.1 depends on: the suite's short default
// must let it pass, and a limit longer than the case waits must reach the server and make it fail.

describe('referenceTarget idle limit', () => {
  test('a bad idleTimeoutMs is a usage error, raised before any server starts', () => {
    for (const bad of [0, -5, 1.5, Number.NaN]) {
      expect(() => referenceTarget({ idleTimeoutMs: bad }), String(bad)).toThrow(expect.objectContaining({ code: 'INSTANET_ERR_TARGET_CONFIG' }));
    }
  });

  test('the suite default stays below what 7.9.1 waits for', () => {
    expect(SUITE_IDLE_TIMEOUT_MS).toBeLessThan(2500);
  });

  test.concurrent.each([
    ['the suite default', 'PASSED', undefined],
    ['a 10 s limit, longer than the case waits', 'NON-STRICT', 10_000],
  ] as const)('7.9.1 with %s is %s', async (_label, verdict, idleTimeoutMs) => {
    const report = await runSuite({
      target: referenceTarget(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
      cases: ['2.1.1', '7.9.1'],
    });
    expect(report.cases.map((c) => [c.id, c.verdict])).toEqual([['2.1.1', 'PASSED'], ['7.9.1', verdict]]);
  }, 15_000);
});
