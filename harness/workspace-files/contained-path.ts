import type { Stats } from 'node:fs';
import { lstat, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { untrusted, UntrustedFileError } from './errors.ts';

// Where a path given by (or stored by) a submission really lands. O_NOFOLLOW guards only the last
// component, so every folder on the way is checked with lstat, and the opened descriptor is checked
// again afterwards: a folder swapped for a link between the two checks is still caught.

export interface ContainedPath {
  /** The submission's folder, links in the harness's own part of the path resolved. */
  rootReal: string;
  /** The absolute path to open, under rootReal. */
  full: string;
  /** The path as the student knows it, e.g. data/posts/posts.json. */
  display: string;
  /** Components below the root, e.g. ['data', 'posts', 'posts.json']. */
  parts: string[];
}

export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** The name shown in messages, decided before touching the disk (a timeout message needs it too). */
export function displayName(root: string, target: string): string {
  const abs = path.resolve(root, target);
  return isInside(path.resolve(root), abs) ? path.relative(path.resolve(root), abs).split(path.sep).join('/') || '.' : target;
}

/** Lexical containment first (absolute and ../ names), then the root's real location. */
export async function containedPath(root: string, target: string): Promise<ContainedPath> {
  const rootAbs = path.resolve(root);
  const abs = path.resolve(rootAbs, target);
  const display = displayName(root, target);
  if (!isInside(rootAbs, abs)) throw untrusted.outside(display);
  const rel = path.relative(rootAbs, abs);
  const rootReal = await realpath(rootAbs).catch((error: unknown) => {
    throw errnoToUntrusted(error, '.');
  });
  return { rootReal, full: path.join(rootReal, rel), display, parts: rel === '' ? [] : rel.split(path.sep) };
}

/** Every folder between the root and the last component must be a real folder, not a link. */
export async function assertNoLinkedParents(located: ContainedPath): Promise<void> {
  let current = located.rootReal;
  for (const part of located.parts.slice(0, -1)) {
    current = path.join(current, part);
    const shown = path.relative(located.rootReal, current).split(path.sep).join('/');
    const info = await lstat(current).catch((error: unknown) => {
      throw errnoToUntrusted(error, shown);
    });
    if (info.isSymbolicLink()) throw untrusted.symlink(shown);
    if (!info.isDirectory()) throw untrusted.notFolder(shown, kindOf(info));
  }
}

/** Where an open descriptor really points (Linux /proc); undefined where that cannot be known. */
export async function openedPath(fd: number): Promise<string | undefined> {
  return readlink(`/proc/self/fd/${fd}`).catch(() => undefined);
}

export async function assertOpenedInside(fd: number, located: ContainedPath): Promise<void> {
  const real = await openedPath(fd);
  if (real !== undefined && !isInside(located.rootReal, real)) throw untrusted.outside(located.display);
}

export function kindOf(info: Stats): string {
  if (info.isFile()) return 'regular file';
  if (info.isDirectory()) return 'folder';
  if (info.isSymbolicLink()) return 'symbolic link';
  if (info.isFIFO()) return 'named pipe (FIFO)';
  if (info.isSocket()) return 'socket';
  if (info.isCharacterDevice()) return 'character device';
  if (info.isBlockDevice()) return 'block device';
  return 'special file';
}

export function errnoToUntrusted(error: unknown, shown: string): UntrustedFileError {
  if (error instanceof UntrustedFileError) return error;
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return untrusted.missing(shown);
    case 'ELOOP':
      return untrusted.symlink(shown);
    default:
      return untrusted.unreadable(shown, error);
  }
}
