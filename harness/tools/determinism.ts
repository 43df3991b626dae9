import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { runSuite } from '../runner/run-suite.ts';
import type { Verdict } from '../runner/report-format.ts';
import { spawnedTarget } from '../targets/spawned-target.ts';

// `npx tsx harness/tools/determinism.ts [--runs 10] [--parallel 2] [--sample DIR]`: runs the whole
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

export async function checkDeterminism(sample: string, runs: number, parallel: number, command = 'python3 server.py --port {port}'): Promise<DeterminismResult> {
  const results: Record<string, Verdict>[] = [];
  const walls: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < runs) {
      const n = next++;
      const t0 = performance.now();
      const report = await runSuite({ target: spawnedTarget({ command, cwd: sample }) });
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
    .parse()
    .opts<{ runs: number; parallel: number; sample: string; server: string }>();
  const result = await checkDeterminism(opts.sample, opts.runs, opts.parallel, opts.server);
  const notPassed = Object.entries(result.verdicts).filter(([, v]) => v !== 'PASSED');
  process.stdout.write(`${result.runs} runs against ${path.relative(process.cwd(), opts.sample) || opts.sample}: ${result.identical ? 'IDENTICAL verdicts' : 'verdicts DIFFER'}\n`);
  process.stdout.write(`wall time per run (ms): ${result.wallMs.join(', ')}\n`);
  process.stdout.write(`${Object.keys(result.verdicts).length} cases; not PASSED in every run: ${notPassed.map(([id, v]) => `${id}=${v}`).join(' ') || 'none'}\n`);
  for (const d of result.differences) process.stdout.write(`  ${d.id}: ${d.verdicts.join(' ')}\n`);
  process.exitCode = result.identical ? 0 : 1;
}
