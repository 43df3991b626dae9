import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../testing/cli-process.ts';
import { studentFolder } from './student-folder.ts';

// Issue 22: `--submission` given the class folder graded one hand-in of many and printed its points
// as the folder's; given a zip it refused although the grader takes zips.

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'instanet-submission-folder-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('instanet test --submission', () => {
  it('refuses a folder of many hand-ins in one line that lists them (exit 2)', async () => {
    const root = path.join(tmp, 'many');
    for (const name of ['ann', 'ben', 'cy']) {
      await mkdir(path.join(root, name), { recursive: true });
      await writeFile(path.join(root, name, 'server.py'), '');
      await writeFile(path.join(root, name, 'socket_utils.py'), '');
    }
    await writeFile(path.join(root, 'dee.zip'), new AdmZip().toBuffer());
    await expect(studentFolder(root, '--submission')).rejects.toThrow(/holds 4 hand-ins \(ann\/, ben\/, cy\/, dee\.zip\)/);
    const run = await runCli(['test', '--submission', root], 60_000);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n').filter((l) => l.includes('hand-ins'))).toHaveLength(1);
  }, 90_000);

  it('takes a zip as the grader does, and refuses a zip without a server in one line', async () => {
    const good = new AdmZip();
    good.addFile('InstaNet/server.py', Buffer.from(''));
    good.addFile('InstaNet/socket_utils.py', Buffer.from(''));
    await writeFile(path.join(tmp, 'mine.zip'), good.toBuffer());
    expect(await studentFolder(path.join(tmp, 'mine.zip'), '--submission')).toMatchObject({ name: 'mine', zip: path.join(tmp, 'mine.zip') });
    const empty = new AdmZip();
    empty.addFile('notes.txt', Buffer.from('x'));
    await writeFile(path.join(tmp, 'empty.zip'), empty.toBuffer());
    await expect(studentFolder(path.join(tmp, 'empty.zip'), '--submission')).rejects.toThrow(/missing server\.py/);
  });
});
