import { fileURLToPath } from 'node:url';
import type { BenchOptions } from '../bench-entry.ts';
import { runSuiteParallel } from '../../runner/run-parallel.ts';
import { runSuite } from '../../runner/run-suite.ts';
import type { RunReport } from '../../runner/report-format.ts';
import { referenceTarget } from '../../targets/reference-target.ts';
import { spawnedTarget } from '../../targets/spawned-target.ts';
import type { Target } from '../../targets/target.ts';

export const description =
  'wall time of the whole conformance suite against the in-process reference server (aim < 3 s) and against the ' +
  'correct Python sample (aim < 8 s), run sequentially and as `instanet test` runs it (--parallel 3, the default), ' +
  'with the slowest cases and whether both modes gave the same verdict for every case';

const PYTHON_SAMPLE = fileURLToPath(new URL('../../../fixtures/submissions/correct', import.meta.url));
const LANES = 3;

function summarise(report: RunReport, wallMs: number) {
  const slowest = [...report.cases].sort((a, b) => b.durationMs - a.durationMs).slice(0, 5).map((c) => ({ id: c.id, verdict: c.verdict, ms: c.durationMs }));
  return { wallMs: Math.round(wallMs), cases: report.cases.length, instances: report.instances.length, tally: report.tally, slowest };
}

const verdicts = (r: RunReport) => JSON.stringify(r.cases.map((c) => [c.id, c.verdict]));

export async function run({ quick, log }: BenchOptions) {
  const rounds = quick ? 1 : 3;
  const targets: Record<string, () => Target> = {
    reference: () => referenceTarget(),
    python: () => spawnedTarget({ command: 'python3 server.py --port {port}', cwd: PYTHON_SAMPLE }),
  };
  const modes = {
    sequential: (target: Target) => runSuite({ target }),
    [`parallel${LANES}`]: (target: Target) => runSuiteParallel({ target, parallel: LANES }),
  };
  const result: Record<string, unknown> = {};
  for (const [name, make] of Object.entries(targets)) {
    const byMode: Record<string, unknown> = {};
    const seen = new Set<string>();
    for (const [mode, runOnce] of Object.entries(modes)) {
      const runs = [];
      for (let i = 0; i < rounds; i += 1) {
        const t0 = performance.now();
        const report = await runOnce(make());
        runs.push(summarise(report, performance.now() - t0));
        seen.add(verdicts(report));
        log(`${name} ${mode} round ${i + 1}: ${Math.round(performance.now() - t0)} ms, ${report.tally.PASSED}/${report.cases.length} passed`);
      }
      const walls = runs.map((r) => r.wallMs).sort((a, b) => a - b);
      byMode[mode] = { bestMs: walls[0], medianMs: walls[Math.floor(walls.length / 2)], runs };
    }
    result[name] = { ...byMode, sameVerdictsInEveryRun: seen.size === 1 };
  }
  return result;
}
