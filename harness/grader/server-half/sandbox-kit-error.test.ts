import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBounded } from '../../process/run-bounded.ts';
import { findOnPath } from '../../sandbox/sandbox.ts';
import { GradescopeResultsSchema } from '../gradescope/schema.ts';
import { KIT_ROOT } from '../kit-root.ts';

// Issue 22: on Gradescope bwrap failed when each server started (after a probe that passed), and
// the student got 0 as "crashed: bwrap: ...". A sandbox that never ran the student's code is the
// kit's failure: the hand-in's status is kit-error ("re-grade it"), `instanet grade` exits 3, and
// results.json says so to the TA. Here a bwrap that fails as it did there whenever it would start a
// server.py (and is the real bwrap otherwise: the probe, the client half) stands in for that machine.

const CLI = path.join(KIT_ROOT, 'harness/cli/instanet.mjs');
const CORRECT = fileURLToPath(new URL('../../../fixtures/submissions/correct', import.meta.url));
const realBwrap = findOnPath('bwrap');
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sandbox-kit-error-'));
  await mkdir(path.join(tmp, 'bin'));
  const fake = [
    '#!/bin/sh',
    'for a in "$@"; do',
    '  case "$a" in server.py) echo "bwrap: Can\'t mkdir parents for /run/instanet/sandbox_launcher.py: Read-only file system" >&2; exit 1;; esac',
    'done',
    `exec ${realBwrap ?? '/usr/bin/bwrap'} "$@"`,
    '',
  ].join('\n');
  await writeFile(path.join(tmp, 'bin', 'bwrap'), fake);
  await chmod(path.join(tmp, 'bin', 'bwrap'), 0o755);
  await cp(CORRECT, path.join(tmp, 'class', 'correct'), { recursive: true });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe.skipIf(!realBwrap)('a server whose sandbox fails as it starts', () => {
  it('is kit-error ("re-grade it", exit 3) in the gradebook and in results.json, never crashed', async () => {
    const out = path.join(tmp, 'out');
    const run = await runBounded(['node', CLI, 'grade', path.join(tmp, 'class'), '--sandbox', 'bwrap', '--out', out, '--case-timeout', '3', '--progress', 'none'], {
      cwd: tmp,
      timeoutMs: 400_000,
      outputLimitBytes: 64 * 1024,
      env: { PATH: `${path.join(tmp, 'bin')}${path.delimiter}${process.env.PATH ?? ''}` },
    });
    expect(run.timedOut, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(3);
    const grade = JSON.parse(await readFile(path.join(out, 'correct', 'grade.json'), 'utf8')) as { status: string; detail?: string };
    expect(grade.status).toBe('kit-error');
    expect(grade.detail).toBe("the sandbox could not start the server (bwrap: Can't mkdir parents for /run/instanet/sandbox_launcher.py: Read-only file system); re-grade it (the kit failed, not the hand-in)");
    const results = GradescopeResultsSchema.parse(JSON.parse(await readFile(path.join(out, 'correct', 'results.json'), 'utf8')));
    expect(results.output).toMatch(/\*\*Status: kit-error: the sandbox could not start the server \(bwrap: .*\); re-grade it \(the kit failed, not the hand-in\)\*\*/);
  }, 420_000);
});
