import { existsSync } from 'node:fs';
import path from 'node:path';
import { SandboxUnavailableError } from './errors.ts';

// Where things sit inside a bwrap sandbox. bwrap binds the whole system read-only (`--ro-bind / /`),
// so a mount point it must create can only go where it is writable: inside a hidden folder, which is
// an empty tmpfs of the sandbox's own. A mount point under a folder that does not exist on this
// machine (a minimal image without /run, as on Gradescope) would make bwrap mkdir it on the read-only
// root, and the sandbox would never start. This file is the one place that decides.

/**
 * Folders hidden from every sandboxed process (those that exist on this machine). The order is the
 * kit folder's preference: the first that exists holds it (kitFolderInside).
 */
export const HIDDEN_FOLDERS: readonly string[] = ['/run', '/tmp', '/var/tmp', '/mnt', '/media', '/srv', '/opt', '/home', '/root', '/work', '/autograder'];

/** The kit folder's name inside its hidden parent. */
const KIT_FOLDER_NAME = 'instanet';

/**
 * The folder (inside the sandbox) that holds whatever the kit binds in: its launcher, the relay
 * folders, the client driver. Under the first hidden folder that exists here, so bwrap can always
 * make it; none existing means no sandbox can be laid out (SandboxUnavailableError).
 */
export function kitFolderInside(exists: (dir: string) => boolean = existsSync): string {
  const parent = HIDDEN_FOLDERS.find((dir) => exists(dir));
  if (!parent) throw new SandboxUnavailableError(`no folder the sandbox hides exists on this machine (${HIDDEN_FOLDERS.join(', ')}), so bwrap has nowhere to put the kit's files`);
  return path.posix.join(parent, KIT_FOLDER_NAME);
}

/** Where the kit's launcher (python/sandbox_launcher.py) appears inside the sandbox. */
export function launcherInside(): string {
  return path.posix.join(kitFolderInside(), 'sandbox_launcher.py');
}

/** Where the grader's Python client driver folder appears inside the sandbox. */
export function clientDriverInside(): string {
  return path.posix.join(kitFolderInside(), 'client-driver');
}

/** Where relay number `name` (e.g. `expose-0`) appears inside the sandbox. */
export function relayFolderInside(name: string): string {
  return path.posix.join(kitFolderInside(), name);
}
