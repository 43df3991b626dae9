import http from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = path.join(ROOT, 'harness/cli/instanet.mjs');
const cli = (args: string[]) => execa('node', [CLI, 'test', ...args], { cwd: ROOT, reject: false, timeout: 120_000, env: { NO_COLOR: '1' } });

let out: string;
beforeAll(async () => {
  out = await mkdtemp(path.join(os.tmpdir(), 'instanet-cli-test-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('instanet test', () => {
  test('against the built-in reference: exit 0, a tree, a tally and the four reports', async () => {
    const received: string[] = [];
    const sink = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(body);
        res.writeHead(201).end('ok');
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(sink.address() as { port: number }).port}/results`;
    try {
      const run = await cli(['--cases', '2.1,4.1', '--out', path.join(out, 'ref'), '--post-results', url]);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/2\. Connect and log in\n\s+✔ 2\.1\.1 A known user logs in/);
      expect(run.stdout).toMatch(/8 cases: 8 passed, 0 failed/);
      expect(run.stdout).toContain('PASS: no MUST case failed');
      for (const f of ['report.json', 'junit.xml', 'summary.md', 'report.html']) {
        expect((await readFile(path.join(out, 'ref', f), 'utf8')).length, f).toBeGreaterThan(100);
      }
      expect(received).toHaveLength(1);
      expect(JSON.parse(received[0] ?? '{}')).toMatchObject({ kind: 'instanet-conformance', ok: true, tally: { PASSED: 8 } });
    } finally {
      sink.close();
    }
  });

  test('a server that exits at once is reported with its error output, not a silent exit', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'instanet-cli-empty-'));
    try {
      const run = await cli(['--server', 'python3 missing.py --port {port}', '--cwd', empty, '--cases', '2.1.1', '--out', path.join(out, 'dead')]);
      expect(run.exitCode, run.stderr).toBe(1);
      expect(run.stdout).toContain('the server exited before accepting connections');
      expect(run.stdout).toContain("can't open file");
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  test('against a defective submission: exit 1 and a recap naming requirement, expected, actual and hint', async () => {
    const run = await cli([
      '--server', 'python3 server.py --port {port}',
      '--cwd', path.join(ROOT, 'fixtures/submissions/header-single-recv'),
      '--cases', '2.1.1,5.1.1,5.2.2', '--out', path.join(out, 'bad'),
    ]);
    expect(run.exitCode, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/✘ 5\.2\.2 .* FAILED/);
    expect(run.stdout).toMatch(/Failures\n\n\s+5\.2\.2 .*\(FAILED\)\n\s+IMG-2: /);
    expect(run.stdout).toContain('hint: receive_image must keep reading until all 8 bytes');
    expect(run.stdout).toContain('FAIL: 1 MUST case(s) failed');
    const junit = await readFile(path.join(out, 'bad', 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testsuite name="5 Image posts" tests="2" failures="1"/);
  });

  test('--list is a dry run; --json prints machine-readable output', async () => {
    const list = await cli(['--list', '--cases', '5.2']);
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toMatch(/5\.2\.2\s+MUST\s+Buffer handling: the 8-byte length header arrives split/);
    expect(list.stdout).toMatch(/3 case\(s\), profile strict/);
    const json = await cli(['--list', '--json', '--cases', '9', '--profile', 'course']);
    const cases = JSON.parse(json.stdout) as { id: string; effectiveLevel: string }[];
    expect(cases.map((c) => c.id)).toEqual(['9.1.1', '9.1.2', '9.1.3', '9.2.1', '9.2.2']);
    expect(cases.every((c) => c.effectiveLevel === 'INFORMATIONAL')).toBe(true);
  });

  test('usage errors exit 2 with a clear message', async () => {
    const none = await cli(['--cases', '42.*', '--list']);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('--cases 42.* matches no case');
    const both = await cli(['--target', '127.0.0.1:1', '--server', 'x']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('use either --target host:port or --server');
  });
});
