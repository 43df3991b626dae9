import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sourceDigest } from '../build/source-digest.ts';

// The rest of the suite runs the TypeScript through tsx; this file runs what users get: the bin of
// package.json, i.e. dist/ built by `npm run build` (npm test builds first). A dist/ compiled from
// other sources fails here rather than passing on yesterday's code.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
const BIN = path.join(ROOT, pkg.bin['instanet'] ?? '');
const built = (args: readonly string[]) => execa('node', [BIN, ...args], { cwd: ROOT, reject: false, timeout: 120_000, env: { NO_COLOR: '1' }, stdin: 'ignore' });

let out: string;
beforeAll(async () => {
  out = await mkdtemp(path.join(os.tmpdir(), 'instanet-built-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('the built instanet (dist/)', () => {
  test('was built from the sources on disk', async () => {
    const info = await readFile(path.join(ROOT, 'dist/build-info.json'), 'utf8').then((t) => JSON.parse(t) as { sources: string }, () => undefined);
    expect(info, 'no dist/: run `npm run build`').toBeDefined();
    expect(info?.sources, 'dist/ is stale: run `npm run build`').toBe(await sourceDigest(ROOT));
  });

  test('--version, --help and the exit-code table', async () => {
    expect((await built(['--version'])).stdout.trim()).toBe(pkg.version);
    const help = await built(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/Exit codes:\n\s+0 {2}ok/);
    const bad = await built(['test', '--bogus']);
    expect([bad.exitCode, bad.stderr.trim()]).toEqual([2, "instanet test: unknown option '--bogus' (see `instanet test --help`)"]);
  });

  test('runs a case against the reference server, finding scenarios, users and images through dist/', async () => {
    const run = await built(['test', '--cases', '2.1.1,5.1.1', '--out', out]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('PASS: no MUST case failed');
    expect(JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8'))).toMatchObject({ ok: true, kit: pkg.version });
  });
});
