import { cp, mkdir, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AdmZip from 'adm-zip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubmissionGrade } from '../outputs/grade-format.ts';
import { loadExpectedTable } from '../../../fixtures/submissions/expected-table.ts';
import { runGrade, type GradeRunResult } from './grade-run.ts';
import { parseCsv } from '../outputs/gradebook-csv.ts';

// The grader end to end on the kit's own samples: every fixture submission plus the broken ones
// (the unmodified skeleton, a crash at start-up, a server that never answers, and a realistic
// nested hand-in delivered as a zip), graded in one run with the default rubric, sandboxed.

const SUBMISSIONS = fileURLToPath(new URL('../../../fixtures/submissions/', import.meta.url));
const BROKEN = fileURLToPath(new URL('../../../fixtures/broken-submissions/', import.meta.url));

// Points per task (task1..task6), from the default rubric (fixtures/rubrics/cpe356.yaml). The
// samples' figures are the fairness table fixtures/submissions/EXPECTED.yaml (reasoned, not copied);
// the hand-ins below are the ones that never get that far.
const TABLE = loadExpectedTable();
const EXPECTED: Record<string, { tasks: number[]; status: string; detail?: RegExp }> = {
  ...Object.fromEntries(
    Object.entries(TABLE.samples).map(([name, e]) => [
      name,
      { tasks: Object.values(e.tasks), status: e.status, ...(e.detail ? { detail: new RegExp(`^${e.detail.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) } : {}) },
    ]),
  ),
  // nested.zip: the correct code found in "Phase 2 - Question/InstaNet" beside __MACOSX and __pycache__.
  nested: { tasks: [15, 10, 20, 15, 20, 20], status: 'ok' },
  // The unmodified hand-out: server.py cannot unpack create_server_socket's None; every client
  // function returns None.
  skeleton: { tasks: [0, 0, 0, 0, 0, 0], status: 'crashed', detail: /^TypeError: cannot unpack non-iterable NoneType object/ },
  'crash-at-startup': { tasks: [0, 0, 0, 0, 0, 0], status: 'crashed', detail: /^NameError: name 'BUFER_SIZE' is not defined/ },
  // It listens but never answers: status timeout, every server case 0. On the client side its
  // create_client_socket connects (client.2.1) and client.py's own raw login works, but its
  // receive_json_message never returns: 1 of the 2 login checks, 2.5 of 5.
  hang: { tasks: [0, 2.5, 0, 0, 0, 0], status: 'timeout', detail: /no reply to login/ },
  // Hand-ins that never reach Python.
  'notes-only': { tasks: [0, 0, 0, 0, 0, 0], status: 'no-server', detail: /^missing server\.py$/ },
  'zip-slip': { tasks: [0, 0, 0, 0, 0, 0], status: 'bad-archive', detail: /would be written outside its folder/ },
};

/** The case ids the rubric scores (tasks' items), as recorded in a grade. */
function gradedCaseIds(grade: SubmissionGrade | undefined): string[] {
  return (grade?.tasks ?? []).flatMap((t) => t.items.flatMap((i) => i.cases.map((c) => c.id)));
}

let root: string;
let submissions: string;
let out: string;
let first: GradeRunResult;

async function leftovers(prefix: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if ((await readlink(`/proc/${entry}/cwd`)).startsWith(prefix)) pids.push(Number(entry));
    } catch {
      /* exited */
    }
  }
  return pids;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'grader-e2e-'));
  // The grader's scratch folders go under this file's own TMPDIR, so "no process left behind" is
  // checked for this run only (other test files grade at the same time).
  await mkdir(path.join(root, 'tmp'));
  process.env.TMPDIR = path.join(root, 'tmp');
  submissions = path.join(root, 'class');
  out = path.join(root, 'out');
  await mkdir(submissions, { recursive: true });
  for (const entry of await readdir(SUBMISSIONS, { withFileTypes: true })) {
    if (entry.isDirectory()) await cp(path.join(SUBMISSIONS, entry.name), path.join(submissions, entry.name), { recursive: true });
  }
  for (const name of ['skeleton', 'crash-at-startup', 'hang']) {
    await cp(path.join(BROKEN, name), path.join(submissions, name), { recursive: true });
  }
  const zip = new AdmZip();
  zip.addLocalFolder(path.join(BROKEN, 'nested'));
  zip.writeZip(path.join(submissions, 'nested.zip'));
  const notes = new AdmZip();
  notes.addFile('README.txt', Buffer.from('I will hand in the code tomorrow'));
  notes.writeZip(path.join(submissions, 'notes-only.zip'));
  const slip = new AdmZip();
  slip.addFile('server.py', Buffer.from('print(1)'));
  (slip.getEntries()[0] as AdmZip.IZipEntry).entryName = '../../server.py';
  slip.writeZip(path.join(submissions, 'zip-slip.zip'));
  first = await runGrade({
    submissions,
    out,
    jobs: 2,
    sandbox: 'auto',
    // Generous: a case's verdict must not depend on how busy the machine is.
    caseTimeoutSeconds: 8,
    force: false,
    progress: 'none',
    stream: { write: () => true } as unknown as NodeJS.WritableStream,
  });
}, 480_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('instanet grade on the kit samples', () => {
  it('grades every submission with the exact points per task', () => {
    const got = Object.fromEntries(first.grades.map((g) => [g.name, { tasks: g.tasks.map((t) => t.earned), status: g.status }]));
    const want = Object.fromEntries(Object.entries(EXPECTED).map(([name, e]) => [name, { tasks: e.tasks, status: e.status }]));
    expect(got).toEqual(want);
    for (const g of first.grades) {
      expect(g.total).toBeCloseTo(g.tasks.reduce((s, t) => s + t.earned, 0), 5);
      const expected = EXPECTED[g.name];
      if (expected?.detail) expect(g.detail).toMatch(expected.detail);
    }
  });

  it('charges each defect once, to the function at fault, as the fairness table says', () => {
    const graded = new Set(gradedCaseIds(first.grades[0]));
    const chargesOf = (name: string) => {
      const grade = first.grades.find((g) => g.name === name);
      const inRubric = (grade?.cases ?? []).filter((c) => graded.has(c.id));
      const charged = Object.fromEntries(inRubric.filter((c) => c.verdict === 'FAILED' || c.verdict === 'ERROR').map((c) => [c.id, c.blame]));
      const excused = inRubric.filter((c) => c.excusedBy).map((c) => c.id).sort();
      return { charged, excused };
    };
    for (const [name, expected] of Object.entries(TABLE.samples)) {
      // A hand-in that is a broken sample once the starter's files run is charged as that sample is.
      const want = expected.sameAs ? chargesOf(expected.sameAs) : { charged: expected.charged, excused: [...expected.excused].sort() };
      if (expected.sameAs) expect(Object.keys(want.charged).length, `${expected.sameAs} is charged something`).toBeGreaterThan(0);
      expect({ name, ...chargesOf(name) }).toEqual({ name, ...want });
    }
  });

  it("runs the class's most common server.py and constants.py as the starter, and flags the hand-in that changed server.py", async () => {
    const log = await readFile(path.join(out, 'grade.log'), 'utf8');
    // Every sample and broken hand-in but one carries the course's server.py and constants.py; none has client.py.
    const handIns = first.grades.filter((g) => g.status !== 'no-server' && g.status !== 'bad-archive').length;
    expect(log).toContain(
      `no --starter: the class's most common server.py, constants.py served as the starter (hand-ins that agreed: server.py: ${handIns - 1} of ${handIns}, constants.py: ${handIns} of ${handIns})`,
    );
    const csv = parseCsv(await readFile(path.join(out, 'gradebook.csv'), 'utf8'));
    const starterColumn = csv[0]?.indexOf('starter check') ?? -1;
    expect(starterColumn).toBeGreaterThan(0);
    for (const g of first.grades) {
      const differs = TABLE.samples[g.name]?.differs ?? [];
      const flags = csv.find((r) => r[0] === g.name)?.[starterColumn] ?? '';
      expect({ name: g.name, files: g.starter?.changed.map((c) => c.file) ?? [] }).toEqual({ name: g.name, files: g.status === 'no-server' || g.status === 'bad-archive' ? [] : differs });
      if (differs.length === 0) expect(flags, g.name).toBe('');
    }
    const flagged = first.grades.find((g) => g.name === 'layer-in-server');
    expect(flagged?.starter?.origin).toBe('class');
    // The pasted layer: the lines added to server.py; nothing of the starter's was removed.
    const change = flagged?.starter?.changed[0];
    expect(change?.removed).toBe(0);
    expect(change?.added).toBeGreaterThan(100);
    expect(csv.find((r) => r[0] === 'layer-in-server')?.[starterColumn]).toBe(`server.py differs from the starter (+${change?.added} −0 lines; the starter's server.py was run)`);
    expect(await readFile(path.join(out, 'layer-in-server', 'report.html'), 'utf8')).toContain('server.py differs from the starter');
  });

  it('writes gradebook.csv, per-student results.json and report.html, index.html and grade.log', async () => {
    const csv = parseCsv(await readFile(path.join(out, 'gradebook.csv'), 'utf8'));
    expect(csv[0]).toEqual(['name', 'task1 (15)', 'task2 (10)', 'task3 (20)', 'task4 (15)', 'task5 (20)', 'task6 (20)', 'total (100)', 'status', 'similar', 'starter check']);
    expect(csv.slice(1).map((r) => r[0]).sort()).toEqual(Object.keys(EXPECTED).sort());
    const row = (name: string) => csv.find((r) => r[0] === name);
    expect(row('correct')?.slice(1, 9)).toEqual(['15', '10', '20', '15', '20', '20', '100', 'ok']);
    expect(row('correct')?.at(-1)).toBe('');
    expect(row('skeleton')?.[7]).toBe('0');
    expect(row('crash-at-startup')?.[8]).toMatch(/^crashed: NameError: name 'BUFER_SIZE' is not defined/);
    expect(row('hang')?.[8]).toMatch(/^timeout: /);

    for (const g of first.grades) {
      const dir = path.join(out, g.folder);
      const results = JSON.parse(await readFile(path.join(dir, 'results.json'), 'utf8')) as {
        score: number;
        tests: { score: number; max_score: number; status: string; name: string; number: string; output: string; output_format: string; visibility: string }[];
      };
      expect(results.score).toBe(g.total);
      expect(results.tests.filter((t) => t.max_score > 0).reduce((s, t) => s + t.max_score, 0)).toBe(100);
      for (const t of results.tests) {
        expect(Object.keys(t)).toEqual(expect.arrayContaining(['score', 'max_score', 'status', 'name', 'number', 'output', 'output_format', 'visibility']));
      }
      expect(SubmissionGrade.parse(JSON.parse(await readFile(path.join(dir, 'grade.json'), 'utf8'))).name).toBe(g.name);
      expect(await readFile(path.join(dir, 'report.html'), 'utf8')).toContain(`${g.total} / 100`);
    }
    const noWait = JSON.parse(await readFile(path.join(out, 'no-wait-ready', 'results.json'), 'utf8')) as { tests: { name: string; output: string }[] };
    const clientTest = noWait.tests.find((t) => t.name.includes('Your client sends image posts'));
    expect(clientTest?.output).toMatch(/client\.5\.1.*FAILED/);
    expect(clientTest?.output).toMatch(/💡 /);

    const index = await readFile(path.join(out, 'index.html'), 'utf8');
    expect(index).toContain('Most common failures');
    expect(index).toContain('correct/report.html');
    const log = await readFile(path.join(out, 'grade.log'), 'utf8');
    expect(log).toMatch(/hang: 2\.5\/100 timeout/);
  });

  it('leaves no process behind', async () => {
    expect(await leftovers(root)).toEqual([]);
    expect(await readdir(path.join(root, 'tmp'))).toEqual([]); // scratch folders removed too
  });

  it('resumes: a second run keeps every unchanged grade, --force regrades', async () => {
    const again = await runGrade({
      submissions,
      out,
      jobs: 2,
      sandbox: 'auto',
      caseTimeoutSeconds: 8,
      force: false,
      progress: 'none',
      only: '{correct,skeleton,crash-at-startup}',
      stream: { write: () => true } as unknown as NodeJS.WritableStream,
    });
    expect([again.graded, again.reused]).toEqual([0, 3]);
    const forced = await runGrade({
      submissions,
      out,
      jobs: 2,
      sandbox: 'auto',
      caseTimeoutSeconds: 8,
      force: true,
      progress: 'none',
      only: 'crash-at-startup',
      stream: { write: () => true } as unknown as NodeJS.WritableStream,
    });
    expect([forced.graded, forced.reused]).toEqual([1, 0]);
  });
});
