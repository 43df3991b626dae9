import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { runSuiteParallel } from '../runner/run-parallel.ts';
import { runSuite } from '../runner/run-suite.ts';
import type { Verdict } from '../runner/report-format.ts';
import { spawnedTarget } from '../targets/spawned-target.ts';

// `npx tsx harness/tools/determinism.ts [--runs 10] [--parallel 2] [--lanes 3] [--sample DIR]`: runs the whole
// suite repeatedly against one submission and checks every run gives the same verdict for every
// case. Exit 0 when they all agree; otherwise it prints which cases changed and exits 1.

const DEFAULT_SAMPLE = fileURLToPath(new URL('../../fixtures/submissions/correct', import.meta.url));

const count = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

export interface DeterminismResult {
  runs: number;
  identical: boolean;
  verdicts: Record<string, Verdict>;
  differences: { id: string; verdicts: Verdict[] }[];
  wallMs: number[];
}

/**
 * `lanes` > 1 runs each suite with runSuiteParallel (scenario groups side by side, as `instanet
 * test` does by default); 1 is the sequential runner, the baseline the parallel verdicts must equal.
 */
export async function checkDeterminism(sample: string, runs: number, parallel: number, command = 'python3 server.py --port {port}', lanes = 1): Promise<DeterminismResult> {
  const results: Record<string, Verdict>[] = [];
  const walls: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < runs) {
      const n = next++;
      const t0 = performance.now();
      const target = spawnedTarget({ command, cwd: sample });
      const report = lanes > 1 ? await runSuiteParallel({ target, parallel: lanes }) : await runSuite({ target });
      walls[n] = Math.round(performance.now() - t0);
      results[n] = Object.fromEntries(report.cases.map((c) => [c.id, c.verdict]));
      process.stderr.write(`run ${n + 1}/${runs}: ${walls[n]} ms, ${report.tally.PASSED} passed, ${report.tally.FAILED} failed, ${report.tally.INFORMATIONAL} informational\n`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, runs) }, worker));
  const first = results[0] ?? {};
  const ids = [...new Set(results.flatMap((r) => Object.keys(r)))].sort();
  const differences = ids
    .map((id) => ({ id, verdicts: results.map((r) => r[id] ?? ('SKIPPED' as Verdict)) }))
    .filter((d) => new Set(d.verdicts).size > 1);
  return { runs, identical: differences.length === 0, verdicts: first, differences, wallMs: walls };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const opts = new Command()
    .name('determinism')
    .option('--runs <n>', 'how many runs', count, 10)
    .option('--parallel <n>', 'runs at the same time', count, 2)
    .option('--sample <dir>', 'submission folder', DEFAULT_SAMPLE)
    .option('--server <command>', 'server command', 'python3 server.py --port {port}')
    .option('--lanes <n>', 'scenario groups at once inside each run (instanet test --parallel); 1 = sequential runner', count, 1)
    .parse()
    .opts<{ runs: number; parallel: number; sample: string; server: string; lanes: number }>();
  const result = await checkDeterminism(opts.sample, opts.runs, opts.parallel, opts.server, opts.lanes);
  const notPassed = Object.entries(result.verdicts).filter(([, v]) => v !== 'PASSED');
  process.stdout.write(`${result.runs} runs against ${path.relative(process.cwd(), opts.sample) || opts.sample}: ${result.identical ? 'IDENTICAL verdicts' : 'verdicts DIFFER'}\n`);
  process.stdout.write(`wall time per run (ms): ${result.wallMs.join(', ')}\n`);
  process.stdout.write(`${Object.keys(result.verdicts).length} cases; not PASSED in every run: ${notPassed.map(([id, v]) => `${id}=${v}`).join(' ') || 'none'}\n`);
  for (const d of result.differences) process.stdout.write(`  ${d.id}: ${d.verdicts.join(' ')}\n`);
  process.exitCode = result.identical ? 0 : 1;
}
