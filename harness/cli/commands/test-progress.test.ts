import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

// Issue 11, point 7: `instanet test` in a terminal shows the case running now on one line that is
// rewritten in place; in a pipe or a CI log it prints plain lines only.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = path.join(ROOT, 'harness/cli/instanet.mjs');
const CLEAR_LINE = '\r\x1b[2K';

let out: string;
beforeAll(async () => {
  out = await mkdtemp(path.join(os.tmpdir(), 'instanet-progress-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('instanet test progress', () => {
  test('in a terminal: a live line names each case as it runs, and is gone at the end', async () => {
    // script(1) gives the command a pseudo-terminal, as a student's shell would.
    const command = `node ${CLI} test --cases 2.1 --out ${path.join(out, 'tty')}`;
    const run = await execa('script', ['-qec', command, '/dev/null'], { cwd: ROOT, reject: false, timeout: 120_000, env: { NO_COLOR: '1', COLUMNS: '120' } });
    expect(run.exitCode, run.stdout).toBe(0);
    const text = run.stdout;
    expect(text).toContain(`${CLEAR_LINE}[1/`);
    expect(text).toMatch(/running 2\.1\.1 /);
    expect(text).toMatch(/running 2\.1\.2 /);
    // Each finished case is still printed as its own line, after the live line is cleared.
    expect(text).toContain(`${CLEAR_LINE}    ✔ 2.1.2 `);
    expect(text).toContain('PASS: no MUST case failed');
    const lastLive = text.lastIndexOf('running ');
    expect(text.indexOf(CLEAR_LINE, lastLive)).toBeGreaterThan(lastLive);
  }, 150_000);

  test('in a pipe: plain lines, no live line', async () => {
    const run = await execa('node', [CLI, 'test', '--cases', '2.1', '--out', path.join(out, 'pipe')], { cwd: ROOT, reject: false, timeout: 120_000, env: { NO_COLOR: '1' } });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).not.toContain('\x1b[2K');
    expect(run.stdout).not.toContain('running ');
    expect(run.stdout).toMatch(/✔ 2\.1\.1 .*\[1\/\d+\]/);
  }, 150_000);
});
