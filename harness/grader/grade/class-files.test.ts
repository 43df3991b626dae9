import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGrade, type GradeRunResult } from './grade-run.ts';
import { parseCsv } from '../outputs/gradebook-csv.ts';

// Issue 20: whatever grading one hand-in throws, the class files are written for the whole class.
// The failure is a real one, not a stub: bob's report.html is already a folder in the output, so
// writing his files fails (EISDIR) after he was graded. Hand-ins without a server.py keep it quick.

const CLI = fileURLToPath(new URL('../../cli/instanet.mjs', import.meta.url));
let root: string;
let result: GradeRunResult;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'class-files-'));
  const classDir = path.join(root, 'class');
  for (const name of ['alice', 'bob', 'carol']) {
    await mkdir(path.join(classDir, name), { recursive: true });
    await writeFile(path.join(classDir, name, 'notes.txt'), 'no server here\n');
  }
  await mkdir(path.join(root, 'out', 'bob', 'report.html'), { recursive: true });
  result = await runGrade({
    submissions: classDir,
    out: path.join(root, 'out'),
    jobs: 2,
    sandbox: 'none',
    force: false,
    progress: 'none',
    stream: { write: () => true } as unknown as NodeJS.WritableStream,
  });
}, 120_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('the class files when grading one hand-in throws', () => {
  it('has a row for every hand-in, the failed one with status kit-error that says to re-grade it', async () => {
    const rows = parseCsv(await readFile(path.join(root, 'out', 'gradebook.csv'), 'utf8'));
    const header = rows[0] ?? [];
    const status = header.indexOf('status');
    const total = header.findIndex((h) => h.startsWith('total'));
    const byName = new Map(rows.slice(1).map((r) => [r[0], r]));
    expect([...byName.keys()].sort()).toEqual(['alice', 'bob', 'carol']);
    // alice and carol have no server.py: graded as such (no-server), untouched by bob's failure.
    expect(byName.get('alice')?.[status]).toBe('no-server: missing server.py');
    expect(byName.get('carol')?.[status]).toBe('no-server: missing server.py');
    expect(byName.get('bob')?.[status]).toMatch(/^kit-error: the kit failed while grading this hand-in \(.*EISDIR.*\); re-grade it$/);
    expect(byName.get('bob')?.[total]).toBe('0');
  });

  it('writes the dashboard and the log with every hand-in, and reports the kit error for exit 3', async () => {
    const index = await readFile(path.join(root, 'out', 'index.html'), 'utf8');
    for (const name of ['alice', 'bob', 'carol']) expect(index).toContain(name);
    const log = await readFile(path.join(root, 'out', 'grade.log'), 'utf8');
    expect(log).toMatch(/ERROR bob: .*EISDIR/);
    expect(log).toMatch(/grader peak memory: \d+ MiB/);
    expect(result.kitErrors).toEqual([expect.stringMatching(/^bob: the kit failed while grading this hand-in/)]);
    expect(result.grades.map((g) => g.name).sort()).toEqual(['alice', 'bob', 'carol']);
    expect(result.peakMemoryMiB).toBeGreaterThan(0);
  });

  it('instanet grade exits 3, names the kit error and prints the grader peak memory', async () => {
    const out = path.join(root, 'cli-out');
    await mkdir(path.join(out, 'bob', 'report.html'), { recursive: true });
    const run = await execa('node', [CLI, 'grade', path.join(root, 'class'), '--out', out, '--sandbox', 'none', '--progress', 'none'], { reject: false, timeout: 120_000 });
    expect(run.exitCode).toBe(3);
    expect(run.stdout).toMatch(/^grader peak memory: \d+ MiB$/m);
    expect(run.stderr).toMatch(/^kit error: bob: the kit failed while grading this hand-in/m);
    const rows = parseCsv(await readFile(path.join(out, 'gradebook.csv'), 'utf8'));
    expect(rows.slice(1).map((r) => r[0]).sort()).toEqual(['alice', 'bob', 'carol']);
  }, 150_000);
});
