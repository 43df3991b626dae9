import { copyFile, cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { KIT, liveGroupMembers, processesMentioning, startCli } from '../../testing/cli-process.ts';

// The student's edit-run loop: `instanet test --client DIR --watch` runs once, runs again when
// socket_utils.py changes, and on Ctrl-C exits 130 with nothing of the kit left running.

const sample = (name: string) => path.join(KIT, 'fixtures/submissions', name);
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'instanet-watch-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('--client DIR --watch re-runs on a change to socket_utils.py, then Ctrl-C exits 130 leaving nothing', async () => {
  const dir = path.join(tmp, 'hand-in');
  const tmpdir = path.join(tmp, 'tmpdir');
  await cp(sample('correct'), dir, { recursive: true });
  await mkdir(tmpdir);
  // TMPDIR inside the test's folder: every temporary folder of the run (copies, relays) is under it.
  const cli = startCli(['test', '--client', dir, '--watch', '--out', path.join(tmp, 'reports')], { TMPDIR: tmpdir });
  try {
    await cli.waitForOutput(/── run 1: all passed; watching socket_utils\.py/, 120_000);
    expect(cli.stdout()).toContain('PASS: no MUST case failed');

    await copyFile(sample('reads-final-reply/socket_utils.py'), path.join(dir, 'socket_utils.py'));
    await cli.waitForOutput(/── run 2: checks failed; watching/, 120_000);
    const second = cli.stdout().slice(cli.stdout().indexOf('── run 2 · socket_utils.py changed'));
    expect(second).toContain('FAIL: 4 MUST case(s) failed');
    expect(second).toContain('the final reply was already consumed inside send_json_message_with_image');
    // Exactly two runs: the editor's burst of events was one change.
    expect(cli.stdout().match(/── run \d+ ·/g)).toHaveLength(2);

    process.kill(-(cli.child.pid ?? 0), 'SIGINT');
    expect(await cli.exit(30_000), cli.stderr()).toBe(130);
    expect(cli.stderr()).toContain('stopped (Ctrl-C)');
    expect(await liveGroupMembers(cli.child.pid ?? 0), 'processes of the command\'s group').toEqual([]);
    expect(await processesMentioning(tmpdir)).toEqual([]);
    expect((await readdir(tmpdir)).filter((name) => name.startsWith('instanet-') || name.startsWith('inr-'))).toEqual([]);
  } finally {
    cli.kill();
    for (const pid of await processesMentioning(tmpdir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
});

test('Ctrl-C during a run stops it at once: exit 130, no process left', async () => {
  const dir = path.join(tmp, 'mid-run');
  const tmpdir = path.join(tmp, 'tmpdir-mid');
  await cp(sample('reads-final-reply'), dir, { recursive: true });
  await mkdir(tmpdir);
  const cli = startCli(['test', '--client', dir, '--watch', '--out', path.join(tmp, 'reports-mid')], { TMPDIR: tmpdir });
  try {
    await cli.waitForOutput(/── run 1 · first run/, 60_000);
    // Mid-run: the run's private copy exists (the image flows of this sample then wait seconds).
    await waitFor('the run\'s temporary folder', async () => (await readdir(tmpdir)).some((n) => n.startsWith('instanet-client-')), 60_000);
    process.kill(-(cli.child.pid ?? 0), 'SIGINT');
    expect(await cli.exit(30_000), cli.stderr()).toBe(130);
    expect(cli.stdout()).not.toContain('── run 1:');
    expect(await liveGroupMembers(cli.child.pid ?? 0)).toEqual([]);
    expect(await processesMentioning(tmpdir)).toEqual([]);
  } finally {
    cli.kill();
  }
});
