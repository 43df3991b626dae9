import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadExpectedTable } from '../../../fixtures/submissions/expected-table.ts';
import { KIT, runCli } from '../../testing/cli-process.ts';

// `instanet test --submission DIR`: one hand-in graded as `instanet grade` grades it, the points
// printed per task and per function. The figures come from the fairness table, not from a run.

const expected = loadExpectedTable();
const sample = (name: string) => path.join(KIT, 'fixtures/submissions', name);
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'instanet-test-submission-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const TASK_TITLES = ['Task 1', 'Task 2', 'Task 3', 'Task 4', 'Task 5', 'Task 6'] as const;

function taskPoints(stdout: string): number[] {
  return TASK_TITLES.map((title) => {
    const m = new RegExp(`^  ${title}: .*  ([\\d.]+)/[\\d.]+$`, 'm').exec(stdout);
    if (!m) throw new Error(`no line for ${title} in:\n${stdout}`);
    return Number(m[1]);
  });
}

test('the correct sample: 100/100 on every task, exit 0, and where report.html is', async () => {
  const want = expected.samples['correct'];
  const out = path.join(tmp, 'correct');
  const run = await runCli(['test', '--submission', sample('correct'), '--out', out], 240_000);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  expect(run.stdout).toContain(`correct: ${want?.total}/100`);
  expect(taskPoints(run.stdout)).toEqual(Object.values(want?.tasks ?? {}));
  expect(run.stdout).not.toContain('Where the points went');
  const report = /^report: (.*report\.html) /m.exec(run.stdout)?.[1];
  expect(report).toBeTruthy();
  await access(path.resolve(KIT, report ?? ''));
});

test('a single-recv receive_json_message: 89.5/100, the lost points under receive_json_message, exit 1', async () => {
  const want = expected.samples['json-single-recv'];
  const out = path.join(tmp, 'json-single-recv');
  const run = await runCli(['test', '--submission', sample('json-single-recv'), '--out', out], 240_000);
  expect(run.code, run.stdout + run.stderr).toBe(1);
  expect(run.stdout).toContain(`json-single-recv: ${want?.total}/100`);
  expect(taskPoints(run.stdout)).toEqual(Object.values(want?.tasks ?? {}));
  // Every charged case is printed with the function the table charges it to.
  for (const [id, blame] of Object.entries(want?.charged ?? {})) {
    expect(run.stdout).toMatch(new RegExp(`✘ ${id.replace(/\./g, '\\.')} .* — charged to ${blame}`));
  }
  const lost = 100 - (want?.total ?? 0);
  // 3.3.2's defect is charged at 1.1.2 and 4.2.2, which cost more there (charge-once is monotone).
  expect(run.stdout).toMatch(new RegExp(`Where the points went\\n +−${lost} +receive_json_message +\\(task1, task3, task4\\) 1\\.1\\.2, 3\\.3\\.1, 4\\.2\\.2, 4\\.3\\.1\\n`));
  // The same grade the grader writes, beside the student's report.
  const grade = JSON.parse(await readFile(path.join(out, 'json-single-recv', 'grade.json'), 'utf8')) as { total: number };
  expect(grade.total).toBe(want?.total);
});
