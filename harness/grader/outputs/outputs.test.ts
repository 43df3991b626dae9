import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commonFailures, dashboardHtml, histogram } from './dashboard.ts';
import { MergeError } from '../errors.ts';
import { SubmissionGrade } from './grade-format.ts';
import { gradebookCsv, parseCsv, type TaskColumn } from './gradebook-csv.ts';
import { crashResults, gradescopeResults, writeJsonAtomic } from './gradescope-results.ts';
import { mergeGradebooks } from '../grade/merge.ts';
import { writeFingerprints } from '../grade/similar-hand-ins.ts';
import { inShard, parseShard, shardOf } from '../grade/shard.ts';
import { studentReportHtml } from './student-report.ts';
import { makeGrade } from './test-grades.ts';

const columns: TaskColumn[] = [
  { id: 'task1', title: 'Task 1: Friends', points: 10 },
  { id: 'task2', title: 'Task 2: Images', points: 20 },
];

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'grader-outputs-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('gradebook.csv', () => {
  it('has a row per submission with points per task, total and status, sorted by name', () => {
    const csv = gradebookCsv(columns, [
      makeGrade('zoe', [10, 20]),
      makeGrade('=cmd|calc', [0, 0], { status: 'crashed', detail: 'NameError: name "x", oops' }),
      makeGrade('amy', [0, 7.5], {
        starter: { origin: 'given', changed: [{ file: 'server.py', added: 40, removed: 2 }], signatures: ['receive_image is missing (the starter declares receive_image(sock) -> bytes)'] },
      }),
    ]);
    expect(parseCsv(csv)).toEqual([
      ['name', 'task1 (10)', 'task2 (20)', 'total (30)', 'status', 'similar', 'starter check'],
      ["'=cmd|calc", '0', '0', '0', 'crashed: NameError: name "x", oops', '', ''],
      ['amy', '0', '7.5', '7.5', 'ok', '', "server.py differs from the starter (+40 −2 lines; the starter's server.py was run); receive_image is missing (the starter declares receive_image(sock) -> bytes)"],
      ['zoe', '10', '20', '30', 'ok', '', ''],
    ]);
    expect(csv).toContain('"crashed: NameError: name ""x"", oops"');
  });

  it("report.html puts a hand-in's changed course files first, and says the starter's ran", () => {
    const flagged = makeGrade('amy', [0, 7.5], { starter: { origin: 'class', changed: [{ file: 'server.py', added: 3, removed: 0 }], signatures: [] } });
    const html = studentReportHtml(flagged);
    expect(html).toContain("<h2>Your files and the starter's</h2>");
    expect(html).toContain("server.py differs from the starter (+3 −0 lines; the starter&#39;s server.py was run)");
    expect(html).toContain("the class&#39;s most common copies, standing in for the starter");
    expect(studentReportHtml(makeGrade('zoe', [10, 20]))).not.toContain('starter');
    expect(gradescopeResults(flagged).output).toContain("**Only socket_utils.py is yours:** server.py differs from the starter (+3 −0 lines; the starter's server.py was run)");
    expect(gradescopeResults(makeGrade('zoe', [10, 20])).output).not.toContain('starter');
    const dashboard = dashboardHtml('Test course', columns, [flagged, makeGrade('zoe', [10, 20])]);
    expect(dashboard.match(/class="pill warn" title="([^"]*)">flagged</g)).toEqual([
      '<span class="pill warn" title="server.py differs from the starter (+3 −0 lines; the starter&#39;s server.py was run)">flagged<',
    ].map((x) => x.slice('<span '.length)));
  });
});

describe('Gradescope results.json', () => {
  it('has one test per rubric item with score, max_score, status, number, markdown output and visibility', () => {
    const results = gradescopeResults(makeGrade('amy', [10, 0]));
    expect(results.score).toBe(10);
    expect(results.execution_time).toBe(2);
    expect(results.tests.map((t) => [t.number, t.name, t.score, t.max_score, t.status, t.output_format, t.visibility])).toEqual([
      ['1.1', 'Task 1: Friends: Friend requests', 10, 10, 'passed', 'md', 'visible'],
      ['2.1', 'Task 2: Images: Image <upload>', 0, 20, 'failed', 'md', 'visible'],
      ['3', 'Robustness (not graded)', 0, 0, 'failed', 'md', 'visible'],
    ]);
    const failed = results.tests[1]?.output ?? '';
    expect(failed).toContain('❌ **client.5.1** upload \\<b\\>post\\</b\\> — FAILED (CLNT-1)');
    expect(failed).toContain('💡 Wait for {"status": "ready"} before sending the image.');
  });

  it('explains a crashed run', () => {
    const results = crashResults('Error: boom ```', 2500);
    expect(results).toMatchObject({ score: 0, tests: [], output_format: 'md', execution_time: 3 });
    // The message is kept as it is, in a block whose fence is longer than any backtick run in it.
    expect(results.output).toContain('\n````text\nError: boom ```\n````\n');
  });
});

describe('HTML pages', () => {
  it('escapes everything a student controls', () => {
    const evil = makeGrade('<script>alert(1)</script>', [0, 0], { output: { stdout: '<img src=x onerror=alert(1)>', stderr: '' } });
    const report = studentReportHtml(evil);
    const dashboard = dashboardHtml('Course <b>', columns, [evil]);
    for (const html of [report, dashboard]) {
      expect(html).not.toContain('<script>alert');
      expect(html).not.toContain('<img src=x');
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
    expect(report).toContain('Keep reading until the whole message arrived.');
  });

  it('ranks the most common failures of graded cases, with their hints', () => {
    const grades = [makeGrade('a', [0, 20]), makeGrade('b', [0, 0]), makeGrade('c', [10, 20])];
    const top = commonFailures(grades);
    // 7.1.1 (NON-STRICT in all three) is in no rubric item: ungraded, so not a "most common failure".
    expect(top.map((f) => [f.id, f.count])).toEqual([
      ['3.1.1', 2],
      ['client.5.1', 1],
    ]);
    expect(top.find((f) => f.id === '3.1.1')?.hint).toBe('Keep reading until the whole message arrived.');
  });

  it('gives full marks a bin of their own', () => {
    expect(histogram([0, 5, 30, 30, 14.9], 30, 3).map((b) => [b.from, b.to, b.count])).toEqual([
      [0, 10, 2],
      [10, 20, 1],
      [20, 30, 0],
      [30, 30, 2],
    ]);
    const bins = histogram([100, 93, 98, 99.99], 100);
    expect(bins.at(-1)).toEqual({ from: 100, to: 100, count: 1 });
    expect(bins.at(-2)?.count).toBe(3);
  });
});

describe('shards', () => {
  it('parses i/n and rejects anything else', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/3', '4/3', '1/0', 'a/b', '1-2']) expect(() => parseShard(bad)).toThrow(/--shard must be i\/n/);
  });

  it('puts every name in exactly one shard, stably', () => {
    const names = Array.from({ length: 200 }, (_, i) => `student-${i}`);
    const shards = [1, 2, 3].map((index) => names.filter((n) => inShard(n, { index, count: 3 })));
    expect(shards.flat().sort()).toEqual([...names].sort());
    for (const s of shards) expect(s.length).toBeGreaterThan(30);
    expect(shardOf('student-7', 3)).toBe(shardOf('student-7', 3));
  });
});

describe('gradebook merge', () => {
  it('joins shard outputs into one gradebook and dashboard', async () => {
    const a = path.join(tmp, 'shard-1');
    const b = path.join(tmp, 'shard-2');
    for (const [dir, grade] of [
      [a, makeGrade('amy', [10, 20])],
      [b, makeGrade('bob', [0, 5])],
      [b, makeGrade('cat', [10, 0])],
    ] as const) {
      await mkdir(path.join(dir, grade.folder), { recursive: true });
      await writeJsonAtomic(path.join(dir, grade.folder, 'grade.json'), grade);
    }
    const out = path.join(tmp, 'merged');
    const { grades } = await mergeGradebooks(out, [a, b]);
    expect(grades.map((g) => g.name).sort()).toEqual(['amy', 'bob', 'cat']);
    const csv = parseCsv(await readFile(path.join(out, 'gradebook.csv'), 'utf8'));
    expect(csv.map((r) => [r[0], r[3]])).toEqual([['name', 'total (30)'], ['amy', '30'], ['bob', '5'], ['cat', '10']]);
    expect(await readFile(path.join(out, 'index.html'), 'utf8')).toContain('bob/report.html');
    expect(SubmissionGrade.parse(JSON.parse(await readFile(path.join(out, 'bob', 'grade.json'), 'utf8'))).total).toBe(5);
  });

  it('flags near-identical socket_utils.py across shards, as one run would', async () => {
    const a = path.join(tmp, 'fp-1');
    const b = path.join(tmp, 'fp-2');
    for (const [dir, grade] of [
      [a, makeGrade('amy', [10, 20])],
      [b, makeGrade('bob', [0, 5])],
    ] as const) {
      await mkdir(path.join(dir, grade.folder), { recursive: true });
      await writeJsonAtomic(path.join(dir, grade.folder, 'grade.json'), grade);
    }
    // Nine shared shingles out of ten: 0.9 >= the threshold (0.8).
    await writeFingerprints(a, new Map([['amy', [1, 2, 3, 4, 5, 6, 7, 8, 9]]]));
    await writeFingerprints(b, new Map([['bob', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]]));
    const out = path.join(tmp, 'fp-merged');
    await mergeGradebooks(out, [a, b]);
    const csv = parseCsv(await readFile(path.join(out, 'gradebook.csv'), 'utf8'));
    const similar = csv[0]?.indexOf('similar') ?? -1;
    expect(csv.map((r) => [r[0], r[similar]])).toEqual([['name', 'similar'], ['amy', 'socket_utils.py 90% like bob'], ['bob', 'socket_utils.py 90% like amy']]);
  });

  it('refuses shards graded with different rubrics', async () => {
    const a = path.join(tmp, 'r1');
    const b = path.join(tmp, 'r2');
    await mkdir(path.join(a, 'amy'), { recursive: true });
    await mkdir(path.join(b, 'bob'), { recursive: true });
    await writeJsonAtomic(path.join(a, 'amy', 'grade.json'), makeGrade('amy', [1, 1]));
    await writeJsonAtomic(path.join(b, 'bob', 'grade.json'), makeGrade('bob', [1, 1], { rubric: 'Other' }));
    await expect(mergeGradebooks(path.join(tmp, 'r-out'), [a, b])).rejects.toBeInstanceOf(MergeError);
    await expect(mergeGradebooks(path.join(tmp, 'r-out'), [])).rejects.toThrow(/at least one shard/);
  });
});
