import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath, planSandbox, probeBwrap } from './sandbox.ts';

// The plan-time probe runs the servers' own chain (issue 22): on Gradescope a bare `bwrap ... true`
// passed while every server's bwrap failed on the launcher's bind, and students were scored
// "crashed". Here a bwrap that fails exactly as it did there whenever it is asked to bind the
// kit's launcher (and is the real bwrap otherwise) must fail the probe: `--sandbox bwrap` is a setup
// error, `--sandbox auto` falls back with its warning. Its own file: the probe's result is cached.

const realBwrap = findOnPath('bwrap');
let tmp: string;
let savedPath: string | undefined;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sandbox-probe-'));
  const fake = [
    '#!/bin/sh',
    'for a in "$@"; do',
    '  case "$a" in */sandbox_launcher.py) echo "bwrap: Can\'t mkdir parents for $a: Read-only file system" >&2; exit 1;; esac',
    'done',
    `exec ${realBwrap ?? '/usr/bin/bwrap'} "$@"`,
    '',
  ].join('\n');
  await writeFile(path.join(tmp, 'bwrap'), fake);
  await chmod(path.join(tmp, 'bwrap'), 0o755);
  savedPath = process.env.PATH;
  process.env.PATH = `${tmp}${path.delimiter}${savedPath ?? ''}`;
});
afterAll(async () => {
  process.env.PATH = savedPath;
  await rm(tmp, { recursive: true, force: true });
});

describe.skipIf(!realBwrap)('the sandbox probe', () => {
  it('fails when the launcher cannot be bound, with bwrap\'s own line', async () => {
    const probe = await probeBwrap();
    expect(probe.ok).toBe(false);
    expect(probe.reason).toMatch(/^bwrap cannot create a sandbox here: bwrap: Can't mkdir parents for .*sandbox_launcher\.py: Read-only file system$/);
  });

  it('makes --sandbox bwrap a setup error and --sandbox auto a fallback with its warning', async () => {
    await expect(planSandbox('bwrap')).rejects.toMatchObject({ code: 'INSTANET_ERR_SANDBOX_UNAVAILABLE' });
    const plan = await planSandbox('auto');
    expect(plan.kind).toBe('none');
    expect(plan.warning).toMatch(/^WARNING: bwrap cannot create a sandbox here: bwrap: Can't mkdir parents/);
  });
});
