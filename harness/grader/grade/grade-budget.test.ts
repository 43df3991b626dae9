import { spawn } from 'node:child_process';
import http from 'node:http';
import { cp, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGrade } from './grade-run.ts';

// A submission that answers the login probe and then stalls on everything: it must be cut off at
// its time budget with status "timeout", its processes gone, and the run must go on. Also the CLI's
// handling of bad arguments.

const CORRECT = fileURLToPath(new URL('../../../fixtures/submissions/correct/', import.meta.url));
const CLI = fileURLToPath(new URL('../../cli/instanet.mjs', import.meta.url));
const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'grader-budget-'));
  // The grader's scratch folders go under this file's own TMPDIR, so "no process left behind" is
  // checked for this run only (other test files grade at the same time).
  await mkdir(path.join(tmp, 'tmp'));
  process.env.TMPDIR = path.join(tmp, 'tmp');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function processesIn(prefix: string): Promise<number[]> {
  const out: number[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const cwd = await readlink(`/proc/${e}/cwd`).catch(() => '');
    if (cwd.startsWith(prefix)) out.push(Number(e));
  }
  return out;
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('time budget', () => {
  it('stops a submission that stalls after login at its budget, with status timeout', async () => {
    const cls = path.join(tmp, 'class');
    const stall = path.join(cls, 'stall');
    await cp(CORRECT, stall, { recursive: true });
    // Answers the first request of the process (the login probe), then never again.
    const utils = await readFile(path.join(stall, 'socket_utils.py'), 'utf8');
    await writeFile(
      path.join(stall, 'socket_utils.py'),
      `${utils}\n\n_answered = [0]\n_original_send = send_json_message\n\ndef send_json_message(sock, message):\n    import time\n    _answered[0] += 1\n    if _answered[0] > 1:\n        time.sleep(3600)\n    _original_send(sock, message)\n`,
    );
    const run = await runGrade({
      submissions: cls,
      out: path.join(tmp, 'out'),
      jobs: 1,
      sandbox: 'auto',
      timeoutSeconds: 8,
      caseTimeoutSeconds: 2,
      force: true,
      progress: 'none',
      stream: quiet,
    });
    const grade = run.grades[0];
    expect(grade?.status).toBe('timeout');
    expect(grade?.detail).toMatch(/ran out of its 8 s budget/);
    expect(grade?.tasks.find((t) => t.id === 'task1')?.earned).toBe(0);
    expect(await processesIn(path.join(tmp, 'tmp'))).toEqual([]);
  }, 120_000);
});

describe('instanet grade (command line)', () => {
  it('rejects a bad --shard and a missing folder with a clear message and exit code 2', async () => {
    const shard = await cli(['grade', tmp, '--shard', '3/2']);
    expect(shard.code).not.toBe(0);
    expect(shard.stderr).toMatch(/--shard must be i\/n with 1 <= i <= n \(got "3\/2"\)/);
    const missing = await cli(['grade', path.join(tmp, 'nope'), '--out', path.join(tmp, 'o')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/instanet grade: cannot read the submissions folder .*nope/);
  }, 60_000);

  it('grades from the command line and posts the gradebook with --post-results', async () => {
    const cls = path.join(tmp, 'cli-class');
    await cp(fileURLToPath(new URL('../../../fixtures/broken-submissions/skeleton/', import.meta.url)), path.join(cls, 'sam'), { recursive: true });
    const bodies: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const out = path.join(tmp, 'cli-out');
      const run = await cli(['grade', cls, '--out', out, '--progress', 'lines', '--post-results', `http://127.0.0.1:${port}/grades`]);
      expect(run.code).toBe(0);
      // Line mode says when a submission starts, not only when it ends (issue 11, point 7).
      expect(run.stderr).toMatch(/\[0\/1\] sam: grading… \(1 in flight\)\n[\s\S]*\[1\/1\] sam: 0\/100 crashed/);
      expect(run.stdout).toMatch(/1 submission\(s\): 1 graded/);
      expect(run.stdout).toMatch(/results posted to http/);
      expect(JSON.parse(bodies[0] ?? '{}')).toMatchObject({
        kind: 'instanet-gradebook',
        submissions: [{ name: 'sam', total: 0, max: 100, status: expect.stringMatching(/^crashed: TypeError: cannot unpack non-iterable NoneType object/) }],
      });
      expect(await readFile(path.join(out, 'gradebook.csv'), 'utf8')).toMatch(/^sam,0,0,0,0,0,0,0,crashed: TypeError: cannot unpack non-iterable NoneType object/m);
    } finally {
      server.close();
    }
  }, 60_000);

  it('gradebook merge refuses to merge nothing', async () => {
    const merged = await cli(['gradebook', 'merge', path.join(tmp, 'm'), path.join(tmp, 'missing-shard')]);
    expect(merged.code).toBe(2);
    expect(merged.stderr).toMatch(/instanet gradebook merge: cannot read .*missing-shard/);
  }, 60_000);
});
