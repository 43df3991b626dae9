import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

// What a student gets, got the way they get it: `npm pack`, then `npm install -g` of the tarball
// into a fresh prefix, run from a folder outside the working tree; and the single executable,
// run with no `node` anywhere on PATH. Both must give the verdicts the course's EXPECTED.yaml
// reasons out for a benign sample (correct: 100, exit 0) and a defective one (little-endian-length:
// '<Q' image headers, so tasks 5 and 6 are lost: 60, exit 1).

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const SEA = path.join(ROOT, 'dist-sea', 'instanet-linux-x64');
const SAMPLES = path.join(ROOT, 'fixtures', 'submissions');
/** Commands that only a developer's machine has: a student's PATH need not. */
const NODE_TOOLS = new Set(['node', 'nodejs', 'npm', 'npx', 'corepack']);

let tmp: string;
let prefix: string;
let nodeless: string;
let work: string;

const runIn = (file: string, args: readonly string[], pathVar: string) =>
  execa(file, args, { cwd: work, reject: false, timeout: 240_000, forceKillAfterDelay: 5_000, stdin: 'ignore', env: { PATH: pathVar, HOME: tmp, NO_COLOR: '1' }, extendEnv: false });

const packagePath = () => `${path.join(prefix, 'bin')}:${nodeless}:${path.dirname(process.execPath)}`;
const installed = (args: readonly string[]) => runIn(path.join(prefix, 'bin', 'instanet'), args, packagePath());
const executable = (args: readonly string[]) => runIn(SEA, args, nodeless);

/** A PATH folder with every command of /usr/bin and /bin but node and its tools: python3, prlimit, bwrap, sh… */
async function pathWithoutNode(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const bin of ['/usr/bin', '/bin']) {
    for (const name of await readdir(bin)) {
      if (NODE_TOOLS.has(name) || existsSync(path.join(dir, name))) continue;
      await symlink(path.join(bin, name), path.join(dir, name));
    }
  }
  return dir;
}

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
  prefix = path.join(tmp, 'prefix');
  work = path.join(tmp, 'student');
  nodeless = await pathWithoutNode(path.join(tmp, 'bin'));
  for (const sample of ['correct', 'little-endian-length']) await cp(path.join(SAMPLES, sample), path.join(work, sample), { recursive: true });
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
});

describe('the single executable (npm run build:sea)', () => {
  beforeAll(async () => {
    await execa('npm', ['run', 'build:sea'], { cwd: ROOT, timeout: 600_000 });
  });

  test('the test PATH has no node', async () => {
    const which = await execa('sh', ['-c', 'command -v node'], { reject: false, env: { PATH: nodeless }, extendEnv: false });
    expect(which.exitCode).not.toBe(0);
  });

  test('--version with no node on PATH', async () => {
    const version = await executable(['--version']);
    expect([version.exitCode, version.stdout.trim()]).toEqual([0, pkg.version]);
  });

  test.each([
    ['correct', 0, 'correct: 100/100'],
    ['little-endian-length', 1, 'little-endian-length: 60/100'],
  ])('`test --submission %s` gives the package\'s verdicts and exit code', async (sample, exitCode, total) => {
    const fromPackage = await installed(['test', '--submission', sample, '--out', path.join(tmp, `pkg-${sample}`)]);
    const fromExecutable = await executable(['test', '--submission', sample, '--out', path.join(tmp, `sea-${sample}`)]);
    expect(fromPackage.exitCode, fromPackage.stderr).toBe(exitCode);
    expect(fromPackage.stdout).toContain(total);
    expect(fromExecutable.exitCode, fromExecutable.stderr).toBe(exitCode);
    expect(verdicts(fromExecutable.stdout)).toEqual(verdicts(fromPackage.stdout));
  });
});
