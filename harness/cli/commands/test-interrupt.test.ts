import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';

// Ctrl-C in a terminal sends SIGINT to the whole foreground process group. The run must stop the
// student's server (its own process group), remove its temporary copy, write the partial reports
// marked interrupted, say so on one line and exit 130.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = path.join(ROOT, 'harness/cli/instanet.mjs');
const CORRECT = path.join(ROOT, 'fixtures/submissions/correct');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'instanet-interrupt-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Processes whose working folder is inside `dir`: the servers started in the run's workspaces. */
async function processesIn(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => '');
    if (cwd.startsWith(`${dir}${path.sep}`)) pids.push(Number(entry));
  }
  return pids;
}

function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  return (async () => {
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
}

test('SIGINT mid-run stops the server, removes its workspace, writes interrupted reports and exits 130', async () => {
  const workspaces = path.join(tmp, 'tmpdir');
  const out = path.join(tmp, 'out');
  await mkdir(workspaces);
  const child = spawn(process.execPath, [CLI, 'test', '--server', 'python3 server.py --port {port}', '--cwd', CORRECT, '--out', out], {
    cwd: ROOT,
    detached: true, // its own process group, as a shell gives a foreground job
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TMPDIR: workspaces, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  try {
    // Mid-run: a case has finished and a server is up in a workspace.
    await waitFor('a finished case', () => (/✔ \d/.test(stdout) ? true : undefined), 60_000);
    const servers = await waitFor('a running server', async () => {
      const pids = await processesIn(workspaces);
      return pids.length ? pids : undefined;
    }, 30_000);
    process.kill(-child.pid!, 'SIGINT');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 30_000))]);

    expect(code, stderr).toBe(130);
    expect(stderr.trimEnd().split('\n'), stderr).toHaveLength(1);
    expect(stderr).toMatch(/^instanet test: interrupted by SIGINT after \d+ of \d+ case\(s\)/);
    for (const pid of servers) expect(() => process.kill(pid, 0), `server ${pid} still running`).toThrow();
    expect(await processesIn(workspaces)).toEqual([]);
    // (tsx keeps its compile cache in TMPDIR too; only the kit's workspaces matter here.)
    expect((await readdir(workspaces)).filter((name) => name.startsWith('instanet-'))).toEqual([]);
    const report = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8')) as { interrupted?: boolean; exitCode: number; cases: { verdict: string; reason?: string }[] };
    expect(report).toMatchObject({ interrupted: true, exitCode: 130, ok: false });
    expect(report.cases.some((c) => c.reason === 'interrupted' && c.verdict === 'SKIPPED')).toBe(true);
    expect(await readFile(path.join(out, 'summary.md'), 'utf8')).toContain('INTERRUPTED');
  } finally {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    for (const pid of await processesIn(workspaces)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
});
