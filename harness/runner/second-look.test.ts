import net from 'node:net';
import { describe, expect, test } from 'vitest';
import { loginCase, scenarioGroup } from '../testing/inline-scenarios.ts';
import { referenceTarget } from '../targets/reference-target.ts';
import type { Target, TargetInstance } from '../targets/target.ts';
import type { CaseResult } from './report-format.ts';
import { runSuite } from './run-suite.ts';
import { doubtfulCases, secondLook } from './second-look.ts';

// What a busy grading machine does to an honest server, made exact: some starts give a server that
// accepts and stays silent past the case timeout (a reply that comes too late), the others the
// reference server. A timeout judged again alone must then pass; a server silent every time must
// keep its failures, and the look must give up on it after two re-runs confirm them.


/** A real listener that takes connections and the bytes sent, and never answers. */
async function silentInstance(): Promise<TargetInstance> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    output: () => ({ stdout: '', stderr: '' }),
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return { status: 'ok' };
    },
  };
}

/** `silent(n)` says whether the n-th start (from 1) gives a silent server. */
function disturbed(silent: (n: number) => boolean): Target & { starts: () => number } {
  const reference = referenceTarget({ mode: 'course' });
  let n = 0;
  return {
    description: 'reference server, some starts silent',
    starts: () => n,
    start: () => (silent(++n) ? silentInstance() : reference.start()),
  };
}

// Long enough that the reference server, even on a loaded machine, answers a login well inside it.
const TIMEOUT_MS = 1000;

describe('second look at timeouts', () => {
  test('a timeout from a disturbed first run is judged again alone and passes; its dependents run again too; other verdicts stay', async () => {
    const scenarios = [
      ...scenarioGroup(2, loginCase('2.1.1') + loginCase('2.1.2')),
      // 3.1.1 fails on its own merits (a wrong password): no load explains it, so it is never re-run.
      ...scenarioGroup(3, loginCase('3.1.1', '', 'wrong')),
      ...scenarioGroup(4, loginCase('4.1.1', '    depends: [2.1.2]\n')),
    ];
    // Start 1 (group 2) is silent; group 3 and 4 get the reference server, as does every re-run.
    const target = disturbed((n) => n === 1);
    const first = await runSuite({ target, scenarios, timeoutMs: TIMEOUT_MS });
    const verdict = (r: { cases: CaseResult[] }, id: string) => r.cases.find((c) => c.id === id)?.verdict;
    expect(first.cases.map((c) => [c.id, c.verdict, c.failure?.kind])).toEqual([
      ['2.1.1', 'FAILED', 'timeout'],
      ['2.1.2', 'FAILED', 'timeout'],
      ['3.1.1', 'FAILED', 'mismatch'],
      ['4.1.1', 'SKIPPED', undefined],
    ]);
    expect([...doubtfulCases(first)].sort()).toEqual(['2.1.1', '2.1.2', '4.1.1']);

    const { report, summary } = await secondLook(first, { target, scenarios, timeoutMs: TIMEOUT_MS });
    expect(report.cases.map((c) => [c.id, c.verdict])).toEqual([
      ['2.1.1', 'PASSED'],
      ['2.1.2', 'PASSED'],
      ['3.1.1', 'FAILED'],
      ['4.1.1', 'PASSED'],
    ]);
    expect(report.cases.find((c) => c.id === '2.1.1')?.firstRun).toMatchObject({ verdict: 'FAILED' });
    expect(report.cases.find((c) => c.id === '3.1.1')?.firstRun).toBeUndefined();
    expect(summary.judged).toEqual([
      { id: '2.1.1', first: 'FAILED', second: 'PASSED' },
      { id: '2.1.2', first: 'FAILED', second: 'PASSED' },
      { id: '4.1.1', first: 'SKIPPED', second: 'PASSED' },
    ]);
    expect(report.tally).toMatchObject({ PASSED: 3, FAILED: 1, SKIPPED: 0 });
    // Each re-judged case points at the server that served it in its second run.
    const rerunInstance = report.cases.find((c) => c.id === '2.1.1')?.instance ?? -1;
    expect(report.instances[rerunInstance]?.cases).toEqual(['2.1.1', '2.1.2']);
    expect(report.instances.slice(0, first.instances.length)).toEqual(first.instances);
    expect(verdict(first, '2.1.1')).toBe('FAILED');
  });

  test('a server silent every time keeps its timeouts, and the look stops after two re-runs confirm them', async () => {
    const scenarios = [2, 3, 4, 5].flatMap((g) => scenarioGroup(g, loginCase(`${g}.1.1`)));
    const target = disturbed(() => true);
    const first = await runSuite({ target, scenarios, timeoutMs: TIMEOUT_MS });
    expect(first.tally.FAILED).toBe(4);
    const startsBefore = target.starts();
    const { report, summary } = await secondLook(first, { target, scenarios, timeoutMs: TIMEOUT_MS });
    expect(report.cases.map((c) => c.verdict)).toEqual(['FAILED', 'FAILED', 'FAILED', 'FAILED']);
    expect(summary.judged.map((j) => j.id)).toEqual(['2.1.1', '3.1.1']);
    expect(summary.notRerun).toEqual(['4.1.1', '5.1.1']);
    expect(target.starts() - startsBefore).toBe(2);
  });

  test('the look settles between two cases of one group: the rest of the group keeps its first verdicts', async () => {
    const scenarios = scenarioGroup(2, loginCase('2.1.1') + loginCase('2.1.2') + loginCase('2.1.3'));
    const target = disturbed(() => true);
    const first = await runSuite({ target, scenarios, timeoutMs: TIMEOUT_MS });
    const { report, summary } = await secondLook(first, { target, scenarios, timeoutMs: TIMEOUT_MS });
    expect(summary.judged.map((j) => [j.id, j.second])).toEqual([['2.1.1', 'FAILED'], ['2.1.2', 'FAILED']]);
    expect(summary.notRerun).toEqual(['2.1.3']);
    expect(report.cases.map((c) => c.verdict)).toEqual(['FAILED', 'FAILED', 'FAILED']);
    expect(report.cases[2]).toEqual(first.cases[2]);
    expect(target.starts()).toBe(2);
  });

  test('once a re-run has passed, the look goes on to every doubtful batch', async () => {
    const scenarios = [2, 3, 4, 5].flatMap((g) => scenarioGroup(g, loginCase(`${g}.1.1`)));
    // First run: all four silent. Re-runs: the second silent again (still busy), the others quiet.
    const target = disturbed((n) => n <= 4 || n === 6);
    const first = await runSuite({ target, scenarios, timeoutMs: TIMEOUT_MS });
    const { report, summary } = await secondLook(first, { target, scenarios, timeoutMs: TIMEOUT_MS });
    // Start 5 (2.1.1) quiet: it passes, so 3.1.1's confirmed timeout (start 6) does not stop the look.
    expect(report.cases.map((c) => [c.id, c.verdict])).toEqual([
      ['2.1.1', 'PASSED'],
      ['3.1.1', 'FAILED'],
      ['4.1.1', 'PASSED'],
      ['5.1.1', 'PASSED'],
    ]);
    expect(summary.notRerun).toEqual([]);
  });

  test('a timeout that costs nothing is not judged again', async () => {
    const scenarios = scenarioGroup(2, loginCase('2.1.1'));
    const target = disturbed((n) => n === 1);
    const first = await runSuite({ target, scenarios, timeoutMs: TIMEOUT_MS });
    const { report, summary } = await secondLook(first, { target, scenarios, timeoutMs: TIMEOUT_MS, mayCost: () => false });
    expect(report).toBe(first);
    expect(summary.judged).toEqual([]);
    expect(target.starts()).toBe(1);
  });

  test("a case the machine starved past judging (ERROR, kit-busy) is judged again and its second verdict stands; a kit bug's ERROR is not", async () => {
    const scenarios = scenarioGroup(2, loginCase('2.1.1') + loginCase('2.1.2'));
    const target = disturbed(() => false);
    const run = await runSuite({ target, scenarios, timeoutMs: TIMEOUT_MS });
    const erred = (c: CaseResult, kind: 'kit-busy' | 'harness'): CaseResult => ({
      ...c,
      verdict: 'ERROR',
      reason: 'the harness failed: ...',
      failure: { step: '1', kind, expected: 'the harness to run the case', actual: '...', mismatches: [] },
    });
    const busy = { ...run, cases: run.cases.map((c) => (c.id === '2.1.2' ? erred(c, 'kit-busy') : c)) };
    expect([...doubtfulCases(busy)]).toEqual(['2.1.2']);
    const { report, summary } = await secondLook(busy, { target, scenarios, timeoutMs: TIMEOUT_MS });
    expect(summary.judged).toEqual([{ id: '2.1.2', first: 'ERROR', second: 'PASSED' }]);
    expect(report.cases.map((c) => c.verdict)).toEqual(['PASSED', 'PASSED']);
    const bug = { ...run, cases: run.cases.map((c) => (c.id === '2.1.2' ? erred(c, 'harness') : c)) };
    expect([...doubtfulCases(bug)]).toEqual([]);
  });
});
