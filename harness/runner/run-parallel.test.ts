import { describe, expect, test } from 'vitest';
import { executionOrder, loadScenarios } from '../scenarios/loader.ts';
import { loginCase, scenarioGroup } from '../testing/inline-scenarios.ts';
import { referenceTarget } from '../targets/reference-target.ts';
import type { Target, TargetInstance } from '../targets/target.ts';
import { instancePool } from './instance-pool.ts';
import { runSuiteParallel, schedule } from './run-parallel.ts';
import { batches, runSuite } from './run-suite.ts';


describe('scheduling batches into lanes', () => {
  test('every batch of the real suite once; a batch only after the batches it depends on; waiting ones early', async () => {
    const list = batches(executionOrder(await loadScenarios()));
    const order = schedule(list, 2000);
    expect(order.map((b) => b.index).sort((a, b) => a - b)).toEqual(list.map((_, i) => i));
    const taken = new Set<number>();
    for (const b of order) {
      for (const n of b.needs) expect(taken.has(n), `batch ${b.index} after ${n}`).toBe(true);
      taken.add(b.index);
    }
    // The idle-limit case waits out 2.5 s on a server without the rule: it starts before the quick groups.
    const at = (id: string) => order.findIndex((b) => b.cases.some((c) => c.id === id));
    expect(at('7.9.1')).toBeLessThan(at('3.1.1'));
    expect(at('7.9.1')).toBeLessThan(at('1.1.1'));
  });
});

describe('runSuiteParallel', () => {
  test('gives the sequential verdicts, instance layout and case order; a cross-batch dependency still skips', async () => {
    // 3.1.1 fails, so 4.1.1 (another batch, another lane) must be SKIPPED naming it, as in a sequential run.
    const scenarios = [
      ...scenarioGroup(2, loginCase('2.1.1') + loginCase('2.1.2', '    depends: [2.1.1]\n')),
      ...scenarioGroup(3, loginCase('3.1.1', '    depends: [2.1.1]\n', 'wrong')),
      ...scenarioGroup(4, loginCase('4.1.1', '    depends: [3.1.1]\n') + loginCase('4.1.2', '    depends: [2.1.1]\n')),
      ...scenarioGroup(5, loginCase('5.1.1', '    depends: [2.1.1]\n    isolate: true\n') + loginCase('5.1.2', '    depends: [2.1.1]\n')),
    ];
    const target = referenceTarget({ mode: 'course' });
    const seq = await runSuite({ target, scenarios });
    const seen: string[] = [];
    const par = await runSuiteParallel({ target, scenarios, parallel: 3, onCase: (r) => seen.push(r.id) });
    const view = (r: typeof seq) => r.cases.map((c) => [c.id, c.verdict, c.instance, c.reason ?? '']);
    expect(view(par)).toEqual(view(seq));
    expect(par.cases.find((c) => c.id === '4.1.1')).toMatchObject({ verdict: 'SKIPPED', reason: 'depends on 3.1.1 (FAILED)' });
    expect(par.instances.map((i) => i.cases)).toEqual(seq.instances.map((i) => i.cases));
    expect([par.tally, par.ok, par.exitCode]).toEqual([seq.tally, seq.ok, seq.exitCode]);
    expect(par.requirements).toEqual(seq.requirements);
    // onCase in execution order, whichever lane finished first.
    expect(seen).toEqual(seq.instances.flatMap((i) => i.cases));
  });

  test('an abort marks the cases not run as interrupted and stops every instance, used or started ahead', async () => {
    const live = new Set<number>();
    let n = 0;
    const inner = referenceTarget({ mode: 'course' });
    const controller = new AbortController();
    const aborted = new Promise((resolve) => controller.signal.addEventListener('abort', resolve));
    const counting: Target = {
      description: 'counting',
      async start(): Promise<TargetInstance> {
        const id = n++;
        // The two lanes' first instances start at once; any later one only after the abort, so on a
        // busy machine the lanes cannot have run every case before the first one is reported.
        if (id >= 2) await aborted;
        const instance = await inner.start();
        live.add(id);
        return { ...instance, stop: async () => { live.delete(id); return instance.stop(); } };
      },
    };
    const scenarios = [...scenarioGroup(2, loginCase('2.1.1')), ...scenarioGroup(3, loginCase('3.1.1')), ...scenarioGroup(4, loginCase('4.1.1')), ...scenarioGroup(5, loginCase('5.1.1'))];
    const report = await runSuiteParallel({
      target: counting,
      scenarios,
      parallel: 2,
      signal: controller.signal,
      onCase: () => controller.abort('SIGINT'),
    });
    expect(report).toMatchObject({ interrupted: true, exitCode: 130, ok: false });
    expect(report.cases.filter((c) => c.reason === 'interrupted').length).toBeGreaterThan(0);
    expect(live.size).toBe(0);
  });

  test('onTail comes once the queue is empty and at most tailLanes lanes are busy', async () => {
    // The first two instances are held until onTail: the lanes holding them stay busy while the
    // third lane runs the other two batches, which is when two busy lanes are the tail.
    const inner = referenceTarget({ mode: 'course' });
    const held: (() => void)[] = [];
    let n = 0;
    let finished = 0;
    const target: Target = {
      description: 'held',
      async start(): Promise<TargetInstance> {
        if (n++ < 2) await new Promise<void>((resolve) => held.push(resolve));
        const instance = await inner.start();
        return { ...instance, stop: async () => { finished += 1; return instance.stop(); } };
      },
    };
    const scenarios = [...scenarioGroup(2, loginCase('2.1.1')), ...scenarioGroup(3, loginCase('3.1.1')), ...scenarioGroup(4, loginCase('4.1.1')), ...scenarioGroup(5, loginCase('5.1.1'))];
    const atTail: { finished: number; held: number }[] = [];
    const report = await runSuiteParallel({
      target,
      scenarios,
      parallel: 3,
      tailLanes: 2,
      onTail: () => {
        atTail.push({ finished, held: held.length });
        for (const release of held.splice(0)) release();
      },
    });
    expect(report.tally.PASSED).toBe(4);
    expect(atTail).toEqual([{ finished: 2, held: 2 }]);
  });

  test('the pool starts no more instances than batches and stops the ones never taken', async () => {
    let started = 0;
    let stopped = 0;
    const target: Target = {
      description: 'fake',
      async start() {
        started += 1;
        return { host: '127.0.0.1', port: 1, output: () => ({ stdout: '', stderr: '' }), stop: async () => { stopped += 1; return { status: 'ok' as const }; } };
      },
    };
    const pool = instancePool(target, { ahead: 3, limit: 2 });
    pool.warm();
    const one = await pool.start();
    await pool.close();
    await one.stop();
    expect([started, stopped]).toEqual([2, 2]);
  });
});

describe('runSuiteParallel with nothing selected', () => {
  test('gives the empty report of a sequential run', async () => {
    const report = await runSuiteParallel({ target: referenceTarget(), scenarios: scenarioGroup(2, loginCase('2.1.1')), exclude: ['2'], parallel: 3 });
    expect([report.cases, report.ok, report.exitCode]).toEqual([[], true, 0]);
  });
});
