import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isPlainEntry, listUntrustedDir, readUntrustedFile, untrustedEntryExists, UntrustedFileError } from './index.ts';

// Each hostile shape a student's server can leave in its data/ folder, against the one reader the
// host uses. Every call is bounded by the reader's own timeout; nothing here measures time.

const SECRET = 'canary-7f3a-do-not-leak';
const LIMITS = { maxBytes: 1024, timeoutMs: 5000 };
let base: string;
let root: string;
let outside: string;

function mkfifo(file: string): void {
  execFileSync('python3', ['-c', 'import os, sys; os.mkfifo(sys.argv[1])', file]);
}

async function failure(work: Promise<unknown>): Promise<UntrustedFileError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UntrustedFileError);
  const e = error as UntrustedFileError;
  expect(e.message).not.toContain(SECRET);
  return e;
}

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'instanet-untrusted-'));
  root = path.join(base, 'submission');
  outside = path.join(base, 'outside');
  mkdirSync(path.join(root, 'data', 'posts'), { recursive: true });
  mkdirSync(path.join(root, 'data', 'images'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'secret.json'), JSON.stringify([SECRET]));
  writeFileSync(path.join(outside, 'posts.json'), JSON.stringify([SECRET]));
  writeFileSync(path.join(root, 'data', 'posts', 'good.json'), '[]');
  writeFileSync(path.join(root, 'data', 'big.bin'), Buffer.alloc(LIMITS.maxBytes + 1));
  writeFileSync(path.join(root, 'data', 'exact.bin'), Buffer.alloc(LIMITS.maxBytes, 7));
  symlinkSync(path.join(outside, 'secret.json'), path.join(root, 'data', 'posts', 'posts.json'));
  symlinkSync(outside, path.join(root, 'data', 'messages'));
  symlinkSync('/dev/zero', path.join(root, 'data', 'images', 'zero.jpg'));
  mkfifo(path.join(root, 'data', 'images', 'fifo.jpg'));
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('readUntrustedFile', () => {
  test('reads a plain file inside the folder', async () => {
    expect((await readUntrustedFile(root, 'data/posts/good.json', LIMITS)).toString()).toBe('[]');
    expect((await readUntrustedFile(root, 'data/exact.bin', LIMITS)).length).toBe(LIMITS.maxBytes);
  });

  test('an absolute path inside the folder is fine', async () => {
    expect((await readUntrustedFile(root, path.join(root, 'data/posts/good.json'), LIMITS)).toString()).toBe('[]');
  });

  test('a link to a file outside is refused, not followed', async () => {
    const e = await failure(readUntrustedFile(root, 'data/posts/posts.json', LIMITS));
    expect(e.code).toBe('INSTANET_ERR_UNTRUSTED_SYMLINK');
    expect(e.message).toBe("data/posts/posts.json is a symbolic link (made by the submission); the kit does not follow links in a submission's folder");
  });

  test('a linked parent folder is refused', async () => {
    const e = await failure(readUntrustedFile(root, 'data/messages/secret.json', LIMITS));
    expect(e.code).toBe('INSTANET_ERR_UNTRUSTED_SYMLINK');
    expect(e.file).toBe('data/messages');
  });

  test('a FIFO is refused at once, without blocking', async () => {
    const e = await failure(readUntrustedFile(root, 'data/images/fifo.jpg', LIMITS));
    expect(e.code).toBe('INSTANET_ERR_UNTRUSTED_NOT_REGULAR');
    expect(e.message).toContain('named pipe (FIFO)');
  });

  test('a link to /dev/zero is refused', async () => {
    expect((await failure(readUntrustedFile(root, 'data/images/zero.jpg', LIMITS))).code).toBe('INSTANET_ERR_UNTRUSTED_SYMLINK');
  });

  test('a character device named directly is outside the folder', async () => {
    expect((await failure(readUntrustedFile(root, '/dev/zero', LIMITS))).code).toBe('INSTANET_ERR_UNTRUSTED_OUTSIDE');
  });

  test('a character device inside the folder is not a regular file', async () => {
    // mknod needs privileges the sandboxed student lacks; a root test runner can still prove the check.
    const device = path.join(root, 'data', 'images', 'null.jpg');
    try {
      execFileSync('mknod', [device, 'c', '1', '3'], { stdio: 'ignore' });
    } catch {
      return; // not root here: the fstat check is still covered by the FIFO case
    }
    const e = await failure(readUntrustedFile(root, 'data/images/null.jpg', LIMITS));
    expect(e.code).toBe('INSTANET_ERR_UNTRUSTED_NOT_REGULAR');
    expect(e.message).toContain('character device');
  });

  test('a folder is not a regular file', async () => {
    expect((await failure(readUntrustedFile(root, 'data/posts', LIMITS))).code).toBe('INSTANET_ERR_UNTRUSTED_NOT_REGULAR');
  });

  test('a file over the cap is refused', async () => {
    const e = await failure(readUntrustedFile(root, 'data/big.bin', LIMITS));
    expect(e.code).toBe('INSTANET_ERR_UNTRUSTED_TOO_LARGE');
  });

  test('../ and absolute names outside the folder are refused', async () => {
    expect((await failure(readUntrustedFile(root, '../outside/secret.json', LIMITS))).code).toBe('INSTANET_ERR_UNTRUSTED_OUTSIDE');
    expect((await failure(readUntrustedFile(root, path.join(outside, 'secret.json'), LIMITS))).code).toBe('INSTANET_ERR_UNTRUSTED_OUTSIDE');
  });

  test('a missing file has its own code', async () => {
    expect((await failure(readUntrustedFile(root, 'data/posts/none.json', LIMITS))).code).toBe('INSTANET_ERR_UNTRUSTED_MISSING');
  });
});

describe('listing and existence', () => {
  test('lists kinds without following links', async () => {
    const entries = await listUntrustedDir(root, 'data/images', LIMITS);
    const kinds = Object.fromEntries(entries.map((e) => [e.name, e.kind]));
    expect(kinds['zero.jpg']).toBe('symlink');
    expect(kinds['fifo.jpg']).toBe('other');
  });

  test('refuses to list a linked folder', async () => {
    expect((await failure(listUntrustedDir(root, 'data/messages', LIMITS))).code).toBe('INSTANET_ERR_UNTRUSTED_SYMLINK');
  });

  test('existence counts a link without following it', async () => {
    expect(await untrustedEntryExists(root, 'data/images/zero.jpg', LIMITS)).toBe(true);
    expect(await untrustedEntryExists(root, 'data/images/none.jpg', LIMITS)).toBe(false);
    expect(await untrustedEntryExists(root, 'nothing/here.json', LIMITS)).toBe(false);
  });

  test('the copy filter keeps folders and regular files only', async () => {
    expect(await isPlainEntry(path.join(root, 'data'))).toBe(true);
    expect(await isPlainEntry(path.join(root, 'data', 'posts', 'good.json'))).toBe(true);
    expect(await isPlainEntry(path.join(root, 'data', 'posts', 'posts.json'))).toBe(false);
    expect(await isPlainEntry(path.join(root, 'data', 'images', 'fifo.jpg'))).toBe(false);
    expect(await isPlainEntry(path.join(root, 'data', 'messages'))).toBe(false);
  });
});

describe('withDeadline', () => {
  test('gives up on an operation that never ends, with the timeout error', async () => {
    const { withDeadline } = await import('../base/deadline.ts');
    const { untrusted } = await import('./errors.ts');
    const e = await failure(withDeadline(new Promise<never>(() => undefined), 20, () => untrusted.timeout('data/x.json', 20)));
    expect(e.code).toBe('INSTANET_ERR_UNTRUSTED_TIMEOUT');
  });
});
