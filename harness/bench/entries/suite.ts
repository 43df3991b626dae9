import { fileURLToPath } from 'node:url';
import type { BenchOptions } from '../bench-entry.ts';
import { runSuite } from '../../runner/run-suite.ts';
import type { RunReport } from '../../runner/report-format.ts';
import { referenceTarget } from '../../targets/reference-target.ts';
import { spawnedTarget } from '../../targets/spawned-target.ts';

export const description =
  'wall time of the whole conformance suite against the in-process reference server (aim < 10 s) and against the ' +
  'correct Python sample (aim < 60 s), with the slowest cases, so a case that waits out its timeout shows up';

const PYTHON_SAMPLE = fileURLToPath(new URL('../../../fixtures/submissions/correct', import.meta.url));

function summarise(report: RunReport, wallMs: number) {
  const slowest = [...report.cases].sort((a, b) => b.durationMs - a.durationMs).slice(0, 5).map((c) => ({ id: c.id, verdict: c.verdict, ms: c.durationMs }));
  return { wallMs: Math.round(wallMs), cases: report.cases.length, instances: report.instances.length, tally: report.tally, slowest };
}

export async function run({ quick, log }: BenchOptions) {
  const rounds = quick ? 1 : 3;
  const targets = {
    reference: () => referenceTarget(),
    python: () => spawnedTarget({ command: 'python3 server.py --port {port}', cwd: PYTHON_SAMPLE }),
  };
  const result: Record<string, unknown> = {};
  for (const [name, make] of Object.entries(targets)) {
    const runs = [];
    for (let i = 0; i < rounds; i += 1) {
      const t0 = performance.now();
      const report = await runSuite({ target: make() });
      runs.push(summarise(report, performance.now() - t0));
      log(`${name} round ${i + 1}: ${Math.round(performance.now() - t0)} ms, ${report.tally.PASSED}/${report.cases.length} passed`);
    }
    const walls = runs.map((r) => r.wallMs).sort((a, b) => a - b);
    result[name] = { bestMs: walls[0], medianMs: walls[Math.floor(walls.length / 2)], runs };
  }
  return result;
}
