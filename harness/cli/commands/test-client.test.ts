import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RunReport } from '../../runner/report-format.ts';
import { KIT, runCli } from '../../testing/cli-process.ts';

// `instanet test --client DIR`: the grader's client half on one folder, with the server half's
// verdicts, reports and exit codes.

const sample = (name: string) => path.join(KIT, 'fixtures/submissions', name);
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'instanet-test-client-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function reportAt(dir: string): Promise<RunReport> {
  return JSON.parse(await readFile(path.join(dir, 'report.json'), 'utf8')) as RunReport;
}

test('a correct socket_utils.py passes every graded client check: exit 0, reports written', async () => {
  const out = path.join(tmp, 'correct');
  const run = await runCli(['test', '--client', sample('correct'), '--out', out], 120_000);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  expect(run.stdout).toContain('PASS: no MUST case failed');
  const report = await reportAt(out);
  const graded = report.cases.filter((c) => c.level === 'MUST');
  expect(graded.map((c) => c.id)).toEqual(['client.2.1', 'client.2.2', 'client.4.1', 'client.4.2', 'client.5.1', 'client.5.2', 'client.6.1', 'client.6.2']);
  expect(graded.every((c) => c.verdict === 'PASSED')).toBe(true);
  for (const file of ['junit.xml', 'summary.md', 'report.html']) expect((await readFile(path.join(out, file), 'utf8')).length).toBeGreaterThan(0);
});

test('send_json_message_with_image reading the final reply fails the four image checks, charged to it: exit 1', async () => {
  const out = path.join(tmp, 'reads-final-reply');
  const run = await runCli(['test', '--client', sample('reads-final-reply'), '--out', out], 120_000);
  expect(run.code, run.stdout + run.stderr).toBe(1);
  const report = await reportAt(out);
  const failed = report.cases.filter((c) => c.verdict === 'FAILED');
  expect(failed.map((c) => c.id)).toEqual(['client.5.1', 'client.5.2', 'client.6.1', 'client.6.2']);
  for (const c of failed) {
    expect(c.reason).toContain('the final reply was already consumed inside send_json_message_with_image');
    expect(c.failure?.step).toBe('charged to send_json_message_with_image');
    expect(c.hint).toBeTruthy();
  }
  // The terminal says the same, with the hint, as the server half prints a failure.
  expect(run.stdout).toMatch(/client\.5\.1 .*\(FAILED\)[\s\S]*actual: +the final reply was already consumed inside send_json_message_with_image[\s\S]*hint: /);
  expect(run.stdout).toContain('FAIL: 4 MUST case(s) failed');
});

test('usage mistakes end in one line with exit 2 before anything runs', async () => {
  const cases: [string[], RegExp][] = [
    [['--client', path.join(tmp, 'nope')], /--client .*nope is not a folder/],
    [['--client', sample('correct'), '--server', 'python3 server.py --port {port}'], /leave out --target and --server/],
    [['--client', sample('correct'), '--submission', sample('correct')], /either --client DIR or --submission DIR/],
    [['--watch'], /--watch re-runs when socket_utils\.py or server\.py changes/],
    [['--submission', path.join(KIT, 'fixtures/images')], /--submission .*: missing server\.py/],
  ];
  for (const [args, message] of cases) {
    const run = await runCli(['test', ...args], 30_000);
    expect(run.code, `${args.join(' ')}\n${run.stderr}`).toBe(2);
    expect(run.stderr.trimEnd().split('\n'), run.stderr).toHaveLength(1);
    expect(run.stderr).toMatch(message);
  }
});

test('no python3 on PATH is the machine, not the student: one line, exit 3', async () => {
  const empty = path.join(tmp, 'empty-path');
  await mkdir(empty, { recursive: true });
  const run = await runCli(['test', '--client', sample('correct'), '--out', path.join(tmp, 'no-python')], 30_000, { PATH: empty });
  expect(run.code, run.stderr).toBe(3);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(/python3 is needed to run socket_utils\.py/);
});
