import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { assertNoLinkedParents, assertOpenedInside, containedPath, displayName, errnoToUntrusted, kindOf, type ContainedPath } from './contained-path.ts';
import { withDeadline } from '../base/deadline.ts';
import { untrusted } from './errors.ts';

// The one way the host reads a file from a submission's folder (its data/ in particular). The
// harness may run as root: a link there could hand it /etc/shadow or another student's code, a FIFO
// would block a libuv thread for good, /dev/zero never ends. So: no link is followed (O_NOFOLLOW for
// the file, lstat for the folders above it), opening never waits (O_NONBLOCK), only a regular file
// is read, never more than maxBytes + 1 bytes, and never for longer than timeoutMs.

export interface UntrustedReadOptions {
  /** Larger files are refused (INSTANET_ERR_UNTRUSTED_TOO_LARGE); at most maxBytes + 1 are read. */
  maxBytes: number;
  timeoutMs: number;
}

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const CHUNK_BYTES = 256 * 1024;

/** `target` is relative to `root` (the submission's folder) or absolute; either way it must stay inside. */
export async function readUntrustedFile(root: string, target: string, options: UntrustedReadOptions): Promise<Buffer> {
  const read = (async () => {
    const located = await containedPath(root, target);
    await assertNoLinkedParents(located);
    return readLocated(located, options.maxBytes);
  })();
  return withDeadline(read, options.timeoutMs, () => untrusted.timeout(displayName(root, target), options.timeoutMs));
}

export async function readUntrustedText(root: string, target: string, options: UntrustedReadOptions): Promise<string> {
  return (await readUntrustedFile(root, target, options)).toString('utf8');
}

async function readLocated(located: ContainedPath, maxBytes: number): Promise<Buffer> {
  const handle = await openNoFollow(located);
  try {
    const info = await handle.stat();
    assertRegular(info, located.display);
    await assertOpenedInside(handle.fd, located);
    if (info.size > maxBytes) throw untrusted.tooLarge(located.display, maxBytes);
    return await readCapped(handle, maxBytes, located.display);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function openNoFollow(located: ContainedPath): Promise<FileHandle> {
  try {
    return await open(located.full, OPEN_FLAGS);
  } catch (error) {
    throw errnoToUntrusted(error, located.display);
  }
}

function assertRegular(info: Stats, display: string): void {
  if (!info.isFile()) throw untrusted.notRegular(display, kindOf(info));
}

// The size from fstat can be stale (the server may still be writing): the cap is enforced on the
// bytes actually read, never on the size announced.
async function readCapped(handle: FileHandle, maxBytes: number, display: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const want = Math.min(CHUNK_BYTES, maxBytes + 1 - total);
    const buffer = Buffer.allocUnsafe(want);
    const { bytesRead } = await handle.read(buffer, 0, want, null);
    if (bytesRead === 0) break;
    chunks.push(buffer.subarray(0, bytesRead));
    total += bytesRead;
    if (total > maxBytes) throw untrusted.tooLarge(display, maxBytes);
  }
  return Buffer.concat(chunks, total);
}
