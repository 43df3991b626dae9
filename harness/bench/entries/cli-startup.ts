import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median, type BenchOptions } from '../bench-entry.ts';

export const description =
  'instanet start-up: wall time of --version, --help and command --help for the built bin (dist/) and the tsx entry, against bare `node -e 0` (ratio = command / node)';

const BUILT = fileURLToPath(new URL('../../cli/bin.mjs', import.meta.url));
const TSX_ENTRY = fileURLToPath(new URL('../../cli/instanet.mjs', import.meta.url));
const DIST_MAIN = fileURLToPath(new URL('../../../dist/harness/cli/main.js', import.meta.url));
const TARGET_MS = 300;

const RUNS: Record<string, string[]> = {
  'node -e 0': ['-e', '0'],
  'instanet --version': [BUILT, '--version'],
  'instanet --help': [BUILT, '--help'],
  'instanet test --help': [BUILT, 'test', '--help'],
  'instanet grade --help': [BUILT, 'grade', '--help'],
  'instanet serve --help': [BUILT, 'serve', '--help'],
  'instanet transcript --help': [BUILT, 'transcript', '--help'],
  'tsx entry --version': [TSX_ENTRY, '--version'],
};

function timeOnce(args: string[]): number {
  const start = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { stdio: 'ignore', timeout: 30_000 });
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status ?? run.signal}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function run(options: BenchOptions): unknown {
  if (!existsSync(DIST_MAIN)) throw new Error('dist/ is missing: run `npm run build` first');
  const rounds = options.quick ? 5 : 20;
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(RUNS).map((k) => [k, []]));
  timeOnce(RUNS['instanet --version']!); // warm the file cache; not counted
  // Interleaved, so a burst of load from elsewhere on the machine hits every command alike.
  for (let round = 0; round < rounds; round++) {
    for (const [name, args] of Object.entries(RUNS)) samples[name]!.push(timeOnce(args));
  }
  const nodeMedian = median([...samples['node -e 0']!].sort((a, b) => a - b));
  const commands = Object.fromEntries(
    Object.entries(samples).map(([name, times]) => {
      const sorted = [...times].sort((a, b) => a - b);
      const med = median(sorted);
      return [name, { medianMs: Math.round(med), bestMs: Math.round(sorted[0]!), ratioToNode: Math.round((med / nodeMedian) * 100) / 100 }];
    }),
  );
  for (const [name, c] of Object.entries(commands)) options.log(`${name}: median ${c.medianMs} ms (x${c.ratioToNode} node)`);
  const builtMedians = Object.entries(commands).filter(([name]) => name.startsWith('instanet')).map(([, c]) => c.medianMs);
  return { rounds, commands, targetMs: TARGET_MS, targetMet: builtMedians.every((ms) => ms < TARGET_MS) };
}
