import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGrade } from '../grade/grade-run.ts';
import { DOES_NOT_IMPORT, socketUtilsImportError } from './import-check.ts';
import { lostPointsByFunction } from '../outputs/lost-points.ts';
import { pointsText } from '../outputs/points-text.ts';

// Issue 22: a syntax error in socket_utils.py gave 172 lines, 50 times "not run: crashed
// (SyntaxError …)", and the points "not attributed". It must be said first and once, with the file,
// line and message, and every point charged to that.

const CORRECT = fileURLToPath(new URL('../../../fixtures/submissions/correct/', import.meta.url));
// Line 4 is a def without its colon.
const BROKEN = 'import json\nimport socket\n\ndef send_json_message(sock, data)\n    sock.sendall(json.dumps(data).encode())\n';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'grader-import-check-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('socketUtilsImportError', () => {
  it('names the line and the error of a file that does not compile, and nothing for one that does', async () => {
    const dir = path.join(tmp, 'unit');
    await cp(CORRECT, dir, { recursive: true });
    expect(await socketUtilsImportError(dir, path.join(tmp, 'scratch-ok'), 'python3')).toBeUndefined();
    await writeFile(path.join(dir, 'socket_utils.py'), BROKEN);
    expect(await socketUtilsImportError(dir, path.join(tmp, 'scratch-bad'), 'python3')).toMatch(/^line 4: SyntaxError: /);
    await writeFile(path.join(dir, 'socket_utils.py'), 'def f():\nreturn 1\n');
    expect(await socketUtilsImportError(dir, path.join(tmp, 'scratch-indent'), 'python3')).toMatch(/^line 2: IndentationError: /);
  });
});

describe('a hand-in whose socket_utils.py does not import', () => {
  it('is told so first and once, and every lost point is charged to it', async () => {
    const root = path.join(tmp, 'class');
    await cp(CORRECT, path.join(root, 'sam'), { recursive: true });
    await writeFile(path.join(root, 'sam', 'socket_utils.py'), BROKEN);
    const stream = new PassThrough();
    stream.resume();
    const run = await runGrade({ submissions: root, out: path.join(tmp, 'out'), jobs: 1, sandbox: 'none', force: false, progress: 'none', stream });
    const grade = run.grades[0];
    expect(grade).toMatchObject({ status: 'crashed', total: 0 });
    expect(grade?.detail).toMatch(/^socket_utils\.py does not import: line 4: SyntaxError: /);
    const lost = lostPointsByFunction(grade as NonNullable<typeof grade>);
    expect(lost.map((l) => [l.blame, l.points])).toEqual([[DOES_NOT_IMPORT, 100]]);
    const text = pointsText(grade as NonNullable<typeof grade>);
    const lines = text.split('\n');
    expect(lines[0]).toContain('socket_utils.py does not import: line 4: SyntaxError');
    expect(text).not.toContain('not run: crashed');
    expect(text.match(/SyntaxError/g)).toHaveLength(1);
    expect(lines.length).toBeLessThan(60);
  }, 120_000);
});
