import type { BigIntStats } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

// Temporary files start with a dot and end with this suffix so that (a) a crash never leaves a
// half-written file under a name the course client or a grader reads (DATA-3), and (b) startup
// can sweep leftovers from a killed run without touching anything else.
export const TEMP_SUFFIX = '.instanet-tmp';

let counter = 0;

export function isTempFileName(name: string): boolean {
  return name.startsWith('.') && name.endsWith(TEMP_SUFFIX);
}

function tempPathFor(target: string): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return join(dirname(target), `.${basename(target)}.${process.pid}.${counter}${TEMP_SUFFIX}`);
}

export interface AtomicWriteOptions {
  /** Makes the rename durable; defaults to an fsync of the directory of its own. */
  syncDirectory?: (directory: string) => Promise<void>;
}

/**
 * Replaces `target` with `bytes` so that, whatever instant the process dies at, the file holds
 * either the old or the new content (DATA-3): write a temporary sibling, fdatasync it, rename it
 * over the target. The rename is durable only once the directory is fsynced too, which this leaves
 * to the caller (see writeFileAtomic) so that writers can overlap that fsync with their next write.
 * Returns the file's identity as it now stands under the target name (a rename keeps inode, size
 * and mtime).
 */
export async function replaceFile(target: string, bytes: Buffer): Promise<BigIntStats> {
  const temp = tempPathFor(target);
  let renamed = false;
  try {
    const handle = await open(temp, 'w', 0o644);
    let stats: BigIntStats;
    try {
      await handle.writeFile(bytes);
      await handle.datasync();
      stats = await handle.stat({ bigint: true });
    } finally {
      await handle.close();
    }
    await rename(temp, target);
    renamed = true;
    return stats;
  } finally {
    if (!renamed) await unlink(temp).catch(() => undefined);
  }
}

/** replaceFile, then the directory fsync: the new content is durable when this resolves (DATA-4). */
export async function writeFileAtomic(target: string, bytes: Buffer, options: AtomicWriteOptions = {}): Promise<BigIntStats> {
  const stats = await replaceFile(target, bytes);
  await (options.syncDirectory ?? syncDirectory)(dirname(target));
  return stats;
}

export async function syncDirectory(directory: string): Promise<void> {
  // Some file systems refuse fsync on a directory (EISDIR/EINVAL/EPERM); the rename is then as
  // durable as that file system can make it, which is all we can promise.
  let handle;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Group commit for directory fsyncs: every rename in a directory needs a directory fsync after it,
 * but one fsync covers all renames that happened before it started. Callers that arrive while one
 * is running share the next one.
 */
export class DirectorySyncer {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(private readonly directory: string) {}

  sync = (): Promise<void> => {
    if (!this.running) {
      this.running = syncDirectory(this.directory).finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    // The running fsync may have started before the caller's rename: wait for a fresh one.
    this.next ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.sync();
      });
    return this.next;
  };
}
