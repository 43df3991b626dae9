import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, arch, platform, release, totalmem, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { BENCH_ENTRIES } from './entries/index.ts';

// `npm run bench [-- <entry...>] [--quick] [--out dir]`: a script, not a test; speed is reported, never asserted.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const program = new Command()
  .name('npm run bench --')
  .description('Run benchmark entries and write reports/bench/<entry>.json')
  .argument('[entries...]', `entries to run (default: all): ${Object.keys(BENCH_ENTRIES).join(', ')}`)
  .option('--quick', 'smaller workloads (smoke run)', false)
  .option('--out <dir>', 'output directory', join(root, 'reports/bench'))
  .option('--list', 'list the entries and exit', false)
  .parse();

const opts = program.opts<{ quick: boolean; out: string; list: boolean }>();
if (opts.list) {
  for (const name of Object.keys(BENCH_ENTRIES)) process.stdout.write(`${name}\n`);
  process.exit(0);
}
const requested = program.args.length > 0 ? program.args : Object.keys(BENCH_ENTRIES);
const unknown = requested.filter((n) => !(n in BENCH_ENTRIES));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown entr${unknown.length > 1 ? 'ies' : 'y'} ${unknown.join(', ')}; known: ${Object.keys(BENCH_ENTRIES).join(', ')}\n`);
  process.exit(2);
}

const cpuList = cpus();
const machine = {
  platform: platform(),
  release: release(),
  arch: arch(),
  cpuModel: cpuList[0]?.model ?? 'unknown',
  cpuCount: cpuList.length,
  totalMemoryBytes: totalmem(),
  loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
};

await mkdir(opts.out, { recursive: true });
let failed = 0;
for (const name of requested) {
  const log = (line: string): void => void process.stderr.write(`[${name}] ${line}\n`);
  const started = new Date();
  const t0 = process.hrtime.bigint();
  let report: Record<string, unknown>;
  try {
    const entry = await BENCH_ENTRIES[name]!();
    const result = await entry.run({ quick: opts.quick, log });
    report = { entry: name, description: entry.description, ok: true, result };
  } catch (err) {
    failed++;
    log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    report = { entry: name, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  const full = {
    ...report,
    date: started.toISOString(),
    durationMs: Math.round(Number(process.hrtime.bigint() - t0) / 1e6),
    quick: opts.quick,
    node: process.version,
    machine: { ...machine, loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100) },
  };
  const file = join(opts.out, `${name}.json`);
  await writeFile(file, `${JSON.stringify(full, null, 2)}\n`);
  process.stdout.write(`${name}: ${report.ok ? 'ok' : 'FAILED'} -> ${file}\n`);
  if (report.ok) process.stdout.write(`${JSON.stringify(report.result, null, 2)}\n`);
}
process.exitCode = failed > 0 ? 1 : 0;
