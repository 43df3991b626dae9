import { mkdir, mkdtemp, readFile, rm, symlink, writeFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AdmZip from 'adm-zip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnsafeArchiveError } from '../errors.ts';
import { parseRubric } from '../rubric/loader.ts';
import { extractZip, listSubmissions, locateServer } from './submissions.ts';
import { hashSubmission, prepareWorkspace } from './workspace.ts';

const BROKEN = fileURLToPath(new URL('../../../fixtures/broken-submissions/', import.meta.url));
const rubric = parseRubric('name: t\nversion: 1\nusers: { count: 2, prefix: u, password: pw }\ntasks: [{ id: a, title: A, points: 1, items: [{ name: x, points: 1, cases: ["1.*"] }] }]\n');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'grader-submissions-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('finding server.py', () => {
  it('finds the nested hand-in and ignores __MACOSX and __pycache__', async () => {
    const found = await locateServer(path.join(BROKEN, 'nested'));
    expect(found).toEqual({ found: true, dir: path.join(BROKEN, 'nested', 'Phase 2 - Question', 'InstaNet'), relative: path.join('Phase 2 - Question', 'InstaNet') });
  });

  it('prefers the shallowest server.py that has socket_utils.py beside it', async () => {
    const root = path.join(tmp, 'shallow');
    await mkdir(path.join(root, 'old', 'deeper'), { recursive: true });
    await writeFile(path.join(root, 'server.py'), '');
    await writeFile(path.join(root, 'old', 'server.py'), '');
    await writeFile(path.join(root, 'old', 'socket_utils.py'), '');
    await writeFile(path.join(root, 'old', 'deeper', 'server.py'), '');
    await writeFile(path.join(root, 'old', 'deeper', 'socket_utils.py'), '');
    expect(await locateServer(root)).toMatchObject({ found: true, relative: 'old' });
  });

  it('says what is missing', async () => {
    const root = path.join(tmp, 'lonely');
    await mkdir(path.join(root, '__MACOSX'), { recursive: true });
    await writeFile(path.join(root, '__MACOSX', 'server.py'), '');
    await writeFile(path.join(root, '__MACOSX', 'socket_utils.py'), '');
    expect(await locateServer(root)).toEqual({ found: false, reason: 'missing server.py' });
    await writeFile(path.join(root, 'server.py'), '');
    expect(await locateServer(root)).toEqual({ found: false, reason: 'missing socket_utils.py beside server.py' });
  });
});

describe('listing and extracting hand-ins', () => {
  it('lists folders and zips, skipping dotfiles and __MACOSX', async () => {
    const root = path.join(tmp, 'class');
    for (const d of ['bob', 'alice', '.git', '__MACOSX']) await mkdir(path.join(root, d), { recursive: true });
    await writeFile(path.join(root, 'carol.zip'), new AdmZip().toBuffer());
    await writeFile(path.join(root, 'alice.zip'), new AdmZip().toBuffer());
    await writeFile(path.join(root, 'notes.txt'), 'x');
    const list = await listSubmissions(root);
    expect(list.map((s) => [s.name, s.kind])).toEqual([
      ['alice', 'folder'],
      ['alice.zip', 'zip'],
      ['bob', 'folder'],
      ['carol', 'zip'],
    ]);
  });

  it('extracts a zip hand-in', async () => {
    const zip = new AdmZip();
    zip.addFile('InstaNet/server.py', Buffer.from('print(1)'));
    zip.addFile('InstaNet/socket_utils.py', Buffer.from(''));
    const file = path.join(tmp, 'ok.zip');
    zip.writeZip(file);
    const dest = path.join(tmp, 'ok-out');
    await extractZip(file, dest);
    expect(await readFile(path.join(dest, 'InstaNet', 'server.py'), 'utf8')).toBe('print(1)');
    expect(await locateServer(dest)).toMatchObject({ found: true, relative: 'InstaNet' });
  });

  it('rejects zip-slip entries and writes nothing', async () => {
    const zip = new AdmZip();
    zip.addFile('good.txt', Buffer.from('fine'));
    zip.addFile('evil.txt', Buffer.from('owned'));
    const evil = zip.getEntries()[1] as AdmZip.IZipEntry;
    evil.entryName = '../../escaped.txt';
    const file = path.join(tmp, 'slip.zip');
    zip.writeZip(file);
    const dest = path.join(tmp, 'slip-out', 'inner');
    await expect(extractZip(file, dest)).rejects.toBeInstanceOf(UnsafeArchiveError);
    await expect(extractZip(file, dest)).rejects.toThrow(/outside its folder/);
    await expect(readdir(path.join(tmp, 'slip-out'))).rejects.toThrow();
  });

  it('rejects symbolic links and zip bombs', async () => {
    const zip = new AdmZip();
    zip.addFile('link', Buffer.from('/etc/passwd'));
    // Unix mode 0o120777 (a symbolic link) in the high half of the external attributes.
    (zip.getEntries()[0] as AdmZip.IZipEntry).header.attr = (0o120777 * 0x10000) >>> 0;
    const file = path.join(tmp, 'link.zip');
    zip.writeZip(file);
    await expect(extractZip(file, path.join(tmp, 'link-out'))).rejects.toThrow(/symbolic link/);
    const big = new AdmZip();
    big.addFile('zeros', Buffer.alloc(1024 * 1024));
    const bigFile = path.join(tmp, 'big.zip');
    big.writeZip(bigFile);
    await expect(extractZip(bigFile, path.join(tmp, 'big-out'), { maxEntries: 10, maxTotalBytes: 1000 })).rejects.toThrow(/expands to more than/);
    await writeFile(path.join(tmp, 'junk.zip'), 'not a zip');
    await expect(extractZip(path.join(tmp, 'junk.zip'), path.join(tmp, 'junk-out'))).rejects.toThrow(/not a readable zip/);
  });
});

describe('workspaces', () => {
  it('copies the code without caches, links or old data, and writes the rubric users', async () => {
    const src = path.join(tmp, 'src');
    await mkdir(path.join(src, 'data', 'users'), { recursive: true });
    await mkdir(path.join(src, '__pycache__'), { recursive: true });
    await writeFile(path.join(src, 'server.py'), 'x');
    await writeFile(path.join(src, '__pycache__', 'a.pyc'), 'x');
    await writeFile(path.join(src, 'data', 'users', 'users.json'), '{"old": {}}');
    await symlink('/etc/passwd', path.join(src, 'passwd'));
    const ws = path.join(tmp, 'ws');
    await prepareWorkspace(src, ws, rubric);
    expect((await readdir(ws)).sort()).toEqual(['data', 'server.py']);
    expect(JSON.parse(await readFile(path.join(ws, 'data', 'users', 'users.json'), 'utf8'))).toEqual({
      u1: { password: 'pw', friends: [], requests: [] },
      u2: { password: 'pw', friends: [], requests: [] },
    });
    expect(await readFile(path.join(ws, 'data', 'posts', 'posts.json'), 'utf8')).toBe('[]');
  });

  it('hashes the code only: data/ and caches do not change the key, code does', async () => {
    const src = path.join(tmp, 'src');
    const before = await hashSubmission(src);
    await writeFile(path.join(src, 'data', 'users', 'users.json'), '{}');
    await writeFile(path.join(src, '__pycache__', 'b.pyc'), 'y');
    expect(await hashSubmission(src)).toBe(before);
    await writeFile(path.join(src, 'server.py'), 'changed');
    expect(await hashSubmission(src)).not.toBe(before);
  });
});
