import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import AdmZip from 'adm-zip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLASS_FILES, folderNames } from '../outputs/folder-names.ts';
import { parseCsv } from '../outputs/gradebook-csv.ts';
import { runGrade } from './grade-run.ts';
import { listSubmissions, type SubmissionSource } from '../submissions/submissions.ts';

// Issue 22, "rows and files": every hand-in of a class gets a row and a folder of its own, whatever
// its name, and a regrade of a few students keeps the others' rows. The hand-ins here have no
// server.py (status no-server), so grading them is quick and the names are what is tested.

const LONG_A = `${'a'.repeat(254)}!`;
const LONG_B = `${'a'.repeat(254)}?`; // cleans up to the same folder name as LONG_A
const HOSTILE = 'evil\u001b[2J\u001b]0;t\u0007\nname'; // clears the screen, sets a title, splits a line

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'grader-class-rows-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const folder = (name: string, kind: 'folder' | 'zip' = 'folder'): SubmissionSource => ({ name, kind, path: `/nowhere/${name}` });

describe('output folder names', () => {
  it('never takes a class file name, in any case', () => {
    const sources = [folder('index.html'), folder('gradebook.csv', 'zip'), folder('GRADE.LOG'), folder('summary.md')];
    const names = [...folderNames(sources).values()];
    for (const n of names) expect(CLASS_FILES as readonly string[]).not.toContain(n.toLowerCase());
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(4);
  });

  it('gives two 255-character names that clean up alike two folders the file system accepts', async () => {
    const names = folderNames([folder(LONG_A), folder(LONG_B)]);
    const [a, b] = [names.get([...names.keys()][0] as SubmissionSource), names.get([...names.keys()][1] as SubmissionSource)] as [string, string];
    expect(a).not.toBe(b);
    for (const n of [a, b]) {
      expect(Buffer.byteLength(n)).toBeLessThan(255);
      await mkdir(path.join(tmp, 'long', n), { recursive: true });
    }
    expect((await readdir(path.join(tmp, 'long'))).length).toBe(2);
  });
});

describe('listing a class', () => {
  it('lists hidden and odd names and a symbolic link (refused, not followed); skips tool folders', async () => {
    const root = path.join(tmp, 'odd');
    for (const d of ['.dotname', '...', 'alice', '.git', '__MACOSX']) await mkdir(path.join(root, d), { recursive: true });
    await symlink(path.join(root, 'alice'), path.join(root, 'linked'));
    const list = await listSubmissions(root);
    expect(list.map((s) => s.name)).toEqual(['...', '.dotname', 'alice', 'linked']);
    expect(list.find((s) => s.name === 'linked')?.refused).toMatch(/symbolic link.*not follow/);
    expect(list.filter((s) => s.refused).length).toBe(1);
  });
});

async function makeClass(root: string): Promise<void> {
  for (const d of ['alice', 'bob', 'carol', 'index.html', '.dotname', '...', LONG_A, LONG_B, HOSTILE]) {
    await mkdir(path.join(root, d), { recursive: true });
    await writeFile(path.join(root, d, 'notes.txt'), 'no server here');
  }
  const zip = new AdmZip();
  zip.addFile('readme.txt', Buffer.from('nothing'));
  await writeFile(path.join(root, 'gradebook.csv.zip'), zip.toBuffer());
  await symlink(path.join(root, 'alice'), path.join(root, 'linked'));
}

async function grade(submissions: string, out: string, extra: { only?: string; force?: boolean } = {}) {
  const stream = new PassThrough();
  stream.resume();
  return runGrade({ submissions, out, jobs: 2, sandbox: 'none', force: extra.force ?? false, progress: 'none', stream, ...(extra.only ? { only: extra.only } : {}) });
}

const EVERY_NAME = ['...', '.dotname', 'alice', 'bob', 'carol', 'gradebook.csv', 'index.html', LONG_A, LONG_B, 'linked', 'evil␛[2J␛]0;t␇␊name'].sort();

describe('a class with every awkward name', () => {
  it('writes every row and every class file, and --only --force keeps the other rows', async () => {
    const root = path.join(tmp, 'class');
    const out = path.join(tmp, 'class-out');
    await makeClass(root);
    const first = await grade(root, out);
    expect(first.grades.map((g) => g.name.replace(HOSTILE, 'evil␛[2J␛]0;t␇␊name')).sort()).toEqual(EVERY_NAME);
    const rows = () => readFile(path.join(out, 'gradebook.csv'), 'utf8').then((t) => parseCsv(t).slice(1).map((r) => r[0]).sort());
    expect(await rows()).toEqual(EVERY_NAME);
    const dashboard = await readFile(path.join(out, 'index.html'), 'utf8');
    expect(dashboard).toContain('11 submission');
    expect(await readFile(path.join(out, 'gradebook.csv'), 'utf8')).not.toMatch(/[\u0000-\u0009\u000b\u000c\u000e-\u001f]/);
    const log = await readFile(path.join(out, 'grade.log'), 'utf8');
    expect(log).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(first.grades.find((g) => g.name === 'linked')).toMatchObject({ status: 'no-server', detail: expect.stringMatching(/symbolic link/) });

    const again = await grade(root, out, { only: '{alice,bob}', force: true });
    expect(again.graded).toBe(2);
    expect(await rows()).toEqual(EVERY_NAME);
    expect(await readFile(path.join(out, 'index.html'), 'utf8')).toContain('11 submission');
  }, 120_000);
});
