import { lstat, readdir, realpath } from 'node:fs/promises';
import { assertNoLinkedParents, containedPath, displayName, errnoToUntrusted, isInside, kindOf } from './contained-path.ts';
import { withDeadline } from '../base/deadline.ts';
import { untrusted, UntrustedFileError } from './errors.ts';

// Listing a folder of a submission: names and kinds as they are on disk (lstat), nothing followed,
// so a caller decides what to do with a link instead of reading through it by accident.

export type UntrustedEntryKind = 'file' | 'folder' | 'symlink' | 'other';
export interface UntrustedEntry {
  name: string;
  kind: UntrustedEntryKind;
}

export async function listUntrustedDir(root: string, target: string, options: { timeoutMs: number }): Promise<UntrustedEntry[]> {
  const list = (async () => {
    const located = await containedPath(root, target);
    await assertNoLinkedParents(located);
    const info = await lstat(located.full).catch((error: unknown) => {
      throw errnoToUntrusted(error, located.display);
    });
    if (info.isSymbolicLink()) throw untrusted.symlink(located.display);
    if (!info.isDirectory()) throw untrusted.notFolder(located.display, kindOf(info));
    const entries = await readdir(located.full, { withFileTypes: true }).catch((error: unknown) => {
      throw errnoToUntrusted(error, located.display);
    });
    // The folder may have been swapped for a link after the lstat: then what was listed is not ours.
    if (!isInside(located.rootReal, await realpath(located.full).catch(() => located.rootReal + '\0'))) throw untrusted.outside(located.display);
    return entries.map((e): UntrustedEntry => ({ name: e.name, kind: e.isSymbolicLink() ? 'symlink' : e.isDirectory() ? 'folder' : e.isFile() ? 'file' : 'other' }));
  })();
  return withDeadline(list, options.timeoutMs, () => untrusted.timeout(displayName(root, target), options.timeoutMs));
}

/** Whether anything (a link included, never followed) exists at `target`; reads no content. */
export async function untrustedEntryExists(root: string, target: string, options: { timeoutMs: number }): Promise<boolean> {
  const probe = (async () => {
    const located = await containedPath(root, target);
    await assertNoLinkedParents(located);
    await lstat(located.full).catch((error: unknown) => {
      throw errnoToUntrusted(error, located.display);
    });
    return true;
  })().catch((error: unknown) => {
    if (error instanceof UntrustedFileError && error.code === 'INSTANET_ERR_UNTRUSTED_MISSING') return false;
    throw error;
  });
  return withDeadline(probe, options.timeoutMs, () => untrusted.timeout(displayName(root, target), options.timeoutMs));
}
