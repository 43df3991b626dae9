import { lstat } from 'node:fs/promises';

/**
 * A filter for fs.cp over a submission's folder: folders and regular files only. A link copied as
 * a link still points where the student chose, and copying a FIFO or a device blocks or never ends.
 */
export async function isPlainEntry(src: string): Promise<boolean> {
  const info = await lstat(src).catch(() => undefined);
  return info !== undefined && (info.isDirectory() || info.isFile());
}
