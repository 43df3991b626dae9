import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadExpectedTable } from '../../fixtures/submissions/expected-table.ts';

// What a student gets, got the way they get it: `npm pack`, then `npm install -g` of the tarball
// into a fresh prefix, run from a folder outside the working tree; and the single executable,
// run with no `node` anywhere on PATH: in a mount namespace of its own where every node on PATH is
// /dev/null (a PATH of links to the other commands would not do: the sandbox runs python3 by the
// path it found, and a link in a temporary folder is not inside the sandbox). Both must give the verdicts the course's EXPECTED.yaml
// reasons out for a benign sample (correct: full marks, exit 0) and a defective one
// (mismatched-byte-order: '!Q' written, '<Q' read, so the course app's images never arrive; exit 1).
// The totals are read from the table, not restated here, so re-reasoning a sample moves one place.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const SEA = path.join(ROOT, 'dist-sea', 'instanet-linux-x64');
const SAMPLES = path.join(ROOT, 'fixtures', 'submissions');
const EXPECTED = loadExpectedTable();
const expectedTotal = (sample: string): number => {
  const row = EXPECTED.samples[sample];
  if (!row) throw new Error(`fixtures/submissions/EXPECTED.yaml has no row for ${sample}`);
  return row.total;
};
/** What the sandbox itself uses inside; node is in /usr/bin on most machines, this one included. */
const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin';
const NODES = [...new Set(SYSTEM_PATH.split(':').map((dir) => path.join(dir, 'node')).filter((f) => existsSync(f)).map((f) => realpathSync(f)))];
/** Runs argv with each node of SYSTEM_PATH covered by /dev/null, seen by it and everything it starts. */
const withoutNode = (argv: readonly string[]) => [
  'unshare', '-m', '--propagation', 'private', 'sh', '-c',
  `${NODES.map((n) => `mount --bind /dev/null ${n}`).join(' && ')} && exec "$@"`, 'sh', ...argv,
];

let tmp: string;
let prefix: string;
let work: string;

// TMPDIR inside tmp: the executable unpacks its files there, so they go when the test ends.
const runIn = ([file, ...args]: readonly string[], pathVar: string) =>
  execa(file!, args, { cwd: work, reject: false, timeout: 240_000, forceKillAfterDelay: 5_000, stdin: 'ignore', env: { PATH: pathVar, HOME: tmp, TMPDIR: path.join(tmp, 'tmp'), NO_COLOR: '1' }, extendEnv: false });

const installed = (args: readonly string[]) => runIn([path.join(prefix, 'bin', 'instanet'), ...args], `${path.join(prefix, 'bin')}:${SYSTEM_PATH}:${path.dirname(process.execPath)}`);
const executable = (args: readonly string[]) => runIn(withoutNode([SEA, ...args]), SYSTEM_PATH);

async function packAndInstall(): Promise<void> {
  // The build scripts print to stdout too, so the tarball is found in the folder, not in --json.
  await execa('npm', ['pack', '--pack-destination', tmp], { cwd: ROOT, timeout: 600_000 });
  const tarballs = (await readdir(tmp)).filter((f) => f.startsWith(`${pkg.name}-`) && f.endsWith('.tgz'));
  expect(tarballs).toEqual([`${pkg.name}-${pkg.version}.tgz`]);
  const filename = tarballs[0]!;
  await execa('npm', ['install', '-g', '--prefix', prefix, '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', path.join(tmp, filename)], { cwd: tmp, timeout: 600_000 });
}

/** The verdict lines of `test --submission`: the total, each task's and each item's marks. */
function verdicts(stdout: string): string[] {
  return stdout.split('\n').map((l) => l.trim()).filter((l) => /\d+\/\d+$/.test(l) || /^[✔✘]/.test(l));
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'instanet-dist-'));
  // Readable by all, as /tmp is: the sandbox may run student code as a uid of its own.
  await chmod(tmp, 0o755);
  await mkdir(path.join(tmp, 'tmp'), { mode: 0o755 });
  prefix = path.join(tmp, 'prefix');
  work = path.join(tmp, 'student');
  for (const sample of ['correct', 'mismatched-byte-order']) await cp(path.join(SAMPLES, sample), path.join(work, sample), { recursive: true });
  await packAndInstall();
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('the installed package (npm pack, npm install -g)', () => {
  test('installs the bin and only what a student check needs', async () => {
    const kit = path.join(prefix, 'lib', 'node_modules', pkg.name);
    expect(existsSync(path.join(kit, 'dist', 'harness', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(path.join(kit, 'dist', 'fixtures', 'scenarios'))).toBe(true);
    // tsx is the developers'; testcontainers only --sandbox container's (an optional peer).
    for (const absent of ['tsx', 'testcontainers', 'esbuild']) expect(existsSync(path.join(kit, 'node_modules', absent)), absent).toBe(false);
    const version = await installed(['--version']);
    expect([version.exitCode, version.stdout.trim()]).toEqual([0, pkg.version]);
  });

  test('`instanet test` passes the reference server', async () => {
    const run = await installed(['test', '--out', path.join(tmp, 'reference-report')]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('PASS: no MUST case failed');
  });

  test('`instanet test --submission` grades a benign sample 100/100', async () => {
    const run = await installed(['test', '--submission', 'correct']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('correct: 100/100');
  });

  test('--sandbox container without testcontainers says what to install, in one line', async () => {
    const submissions = path.join(tmp, 'class');
    await cp(path.join(SAMPLES, 'correct'), path.join(submissions, 'correct'), { recursive: true });
    const run = await installed(['grade', submissions, '--sandbox', 'container', '--out', path.join(tmp, 'grades')]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr.split('\n').filter((l) => l.startsWith('instanet'))).toEqual([
      'instanet grade: --sandbox container needs the testcontainers package: npm install testcontainers (next to the kit; -g if the kit was installed with -g)',
    ]);
  });

  test('gradescope build, which needs the sources, says to run it in a clone', async () => {
    const run = await installed(['gradescope', 'build', '--out', tmp]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr.trim()).toBe(
      "instanet gradescope build: gradescope build packs the kit's sources, which an installed kit does not have: run it in a clone of the kit (npm ci, then npx instanet gradescope build)",
    );
  });
});

describe('the single executable (npm run build:sea)', () => {
  beforeAll(async () => {
    await execa('npm', ['run', 'build:sea'], { cwd: ROOT, timeout: 600_000 });
  });

  test('where it runs, no node is found on PATH', async () => {
    expect(NODES.length, `no node on ${SYSTEM_PATH}: nothing to hide`).toBeGreaterThan(0);
    const which = await runIn(withoutNode(['sh', '-c', 'command -v node']), SYSTEM_PATH);
    expect([which.exitCode, which.stdout]).toEqual([127, '']);
  });

  test('--version with no node on PATH', async () => {
    const version = await executable(['--version']);
    expect([version.exitCode, version.stdout.trim()]).toEqual([0, pkg.version]);
  });

  test.each([
    ['correct', 0],
    ['mismatched-byte-order', 1],
  ])('`test --submission %s` gives the package\'s verdicts and exit code', async (sample, exitCode) => {
    const total = `${sample}: ${expectedTotal(sample)}/100`;
    const fromPackage = await installed(['test', '--submission', sample, '--out', path.join(tmp, `pkg-${sample}`)]);
    const fromExecutable = await executable(['test', '--submission', sample, '--out', path.join(tmp, `sea-${sample}`)]);
    expect(fromPackage.exitCode, fromPackage.stderr).toBe(exitCode);
    expect(fromPackage.stdout).toContain(total);
    expect(fromExecutable.exitCode, fromExecutable.stderr).toBe(exitCode);
    expect(verdicts(fromExecutable.stdout)).toEqual(verdicts(fromPackage.stdout));
  });
});
