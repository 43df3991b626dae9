import { lstat, opendir } from 'node:fs/promises';
import path from 'node:path';

// The folders a sandbox may write (its workspace, its relay folders) sit on the grader's own disk.
// Both halves watch them the same way: total blocks and number of entries, polled, with the walk
// cut short once past either limit so a flood costs the watcher no more than the limit itself.

/**
 * Files and folders a workspace may hold: a quota on bytes alone lets student code exhaust the
 * filesystem's inodes with empty files.
 */
export const DEFAULT_FILE_LIMIT = 10_000;

export interface QuotaLimits {
  bytes: number;
  files: number;
}

export type QuotaBreach = { kind: 'bytes' | 'files'; limit: number };

/** Sum of file sizes under dir, stopping early once past `stopAt` (no symlinks followed). */
export async function directorySize(dir: string, stopAt = Number.POSITIVE_INFINITY): Promise<number> {
  return (await directoryUsage(dir, { bytes: stopAt })).bytes;
}

/**
 * Bytes in files and the number of entries (files, folders, links, sockets) under dir, stopping
 * early once past either limit (no symlinks followed). Entries are counted as a folder is read and
 * sizes taken afterwards, many at a time: a walk that read a folder of 300 000 empty files whole and
 * awaited one lstat per entry took longer than a server's start-up on a busy machine, so the server
 * was reported "no-listen" instead of "too many files".
 */
export async function directoryUsage(
  dir: string,
  stopAt: { bytes?: number; files?: number } = {},
): Promise<{ bytes: number; files: number }> {
  const maxBytes = stopAt.bytes ?? Number.POSITIVE_INFINITY;
  const maxFiles = stopAt.files ?? Number.POSITIVE_INFINITY;
  let total = 0;
  let files = 0;
  const over = () => total > maxBytes || files > maxFiles;
  const stack = [dir];
  while (stack.length && !over()) {
    const current = stack.pop() as string;
    const regular: string[] = [];
    try {
      // for-await closes the folder when the loop is left early.
      for await (const entry of await opendir(current, { bufferSize: 256 })) {
        files++;
        const full = path.join(current, entry.name);
        if (entry.isDirectory()) stack.push(full);
        else if (entry.isFile()) regular.push(full);
        if (files > maxFiles) break;
      }
    } catch {
      /* removed meanwhile, or not ours to read */
    }
    for (let i = 0; i < regular.length && !over(); i += SIZE_BATCH) {
      const sizes = await Promise.all(
        regular.slice(i, i + SIZE_BATCH).map((file) => lstat(file).then((s) => s.blocks * 512, () => 0 /* removed meanwhile */)),
      );
      for (const size of sizes) total += size;
    }
  }
  return { bytes: total, files };
}

/** lstat calls in flight at once while sizing a folder. */
const SIZE_BATCH = 64;

/** Which limit the folders together are past, if any. */
export async function quotaBreach(dirs: readonly string[], limits: QuotaLimits): Promise<QuotaBreach | undefined> {
  let bytes = 0;
  let files = 0;
  for (const dir of dirs) {
    const used = await directoryUsage(dir, { bytes: limits.bytes - bytes, files: limits.files - files });
    bytes += used.bytes;
    files += used.files;
  }
  if (bytes > limits.bytes) return { kind: 'bytes', limit: limits.bytes };
  if (files > limits.files) return { kind: 'files', limit: limits.files };
  return undefined;
}

export const mib = (bytes: number): number => Math.round(bytes / 1024 / 1024);

/**
 * Polls the folders every `everyMs` (one walk at a time) until stopped or past a limit; `onBreach`
 * is called once. The timer never keeps the grader alive.
 */
export function watchQuota(
  dirs: readonly string[],
  limits: QuotaLimits,
  onBreach: (breach: QuotaBreach) => void,
  everyMs = 500,
): { stop: () => void } {
  let stopped = false;
  let walking = false;
  const timer = setInterval(() => {
    if (stopped || walking) return;
    walking = true;
    void quotaBreach(dirs, limits)
      .then((breach) => {
        if (breach && !stopped) {
          stopped = true;
          clearInterval(timer);
          onBreach(breach);
        }
      })
      .finally(() => (walking = false));
  }, everyMs);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
