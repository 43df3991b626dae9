import { lstat, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { SubmissionsFolderError, UnsafeArchiveError } from '../errors.ts';

// Students hand in whatever their file manager produced: nested folders, macOS resource forks,
// byte-code caches, zips. Discovery is forgiving about layout and strict about safety.

export interface SubmissionSource {
  /** Student-facing name: the folder name, or the zip's name without ".zip". */
  readonly name: string;
  readonly kind: 'folder' | 'zip';
  readonly path: string;
  /** Why this entry cannot be graded at all (a symbolic link): it still gets a row saying so. */
  readonly refused?: string;
}

/** Names nobody hands in on purpose: never a submission, never searched, never copied. */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || name === '__MACOSX' || name === '__pycache__' || name === 'node_modules';
}

/**
 * Tools' folders at the top of a class folder (a repository of hand-ins, an editor, a Mac): not a
 * student. Any other name, hidden (".dotname") or odd ("..."), is a hand-in and gets a row.
 */
const TOOL_FOLDERS = new Set(['.git', '.github', '.svn', '.hg', '.idea', '.vscode', '.ipynb_checkpoints', '.Trash', '.Trashes', '.fseventsd', '.Spotlight-V100', '__MACOSX', '__pycache__', 'node_modules']);

export async function listSubmissions(root: string): Promise<SubmissionSource[]> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    throw new SubmissionsFolderError(`cannot read the submissions folder ${root} (${(error as Error).message})`);
  }
  const out: SubmissionSource[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (TOOL_FOLDERS.has(entry.name)) continue;
    const full = path.join(root, entry.name);
    const zip = entry.name.toLowerCase().endsWith('.zip');
    if (entry.isDirectory()) out.push({ name: entry.name, kind: 'folder', path: full });
    else if (entry.isFile() && zip) out.push({ name: entry.name.slice(0, -'.zip'.length), kind: 'zip', path: full });
    else if (entry.isSymbolicLink()) {
      // Never followed: a link may point at another student's folder, at /, or change between runs.
      const name = zip ? entry.name.slice(0, -'.zip'.length) : entry.name;
      out.push({ name, kind: zip ? 'zip' : 'folder', path: full, refused: `${entry.name} is a symbolic link, which the grader does not follow (hand in the folder or zip itself)` });
    }
  }
  // "alice/" beside "alice.zip": keep both, the zip under its full file name.
  return out.map((s) => {
    const clash = s.kind === 'zip' && out.some((o) => o !== s && o.name === s.name);
    const name = clash ? path.basename(s.path) : s.name;
    return { ...s, name };
  });
}

export interface ZipLimits {
  maxEntries: number;
  maxTotalBytes: number;
}

const DEFAULT_ZIP_LIMITS: ZipLimits = { maxEntries: 5000, maxTotalBytes: 256 * 1024 * 1024 };

/**
 * Extracts a hand-in zip into `dest`. Every entry is checked before anything is written: an
 * absolute name, a ".." step or a symbolic link (zip-slip) rejects the whole archive, and so does
 * a zip bomb (too many entries, too many declared bytes).
 */
export async function extractZip(zipPath: string, dest: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<void> {
  let zip: AdmZip;
  try {
    zip = new AdmZip(zipPath);
  } catch (error) {
    throw new UnsafeArchiveError(`${path.basename(zipPath)} is not a readable zip (${(error as Error).message})`);
  }
  const entries = zip.getEntries();
  if (entries.length > limits.maxEntries) {
    throw new UnsafeArchiveError(`${path.basename(zipPath)} holds ${entries.length} entries (limit ${limits.maxEntries})`);
  }
  const root = path.resolve(dest);
  let total = 0;
  const plan: { target: string; entry: AdmZip.IZipEntry }[] = [];
  for (const entry of entries) {
    const name = entry.entryName.replace(/\\/g, '/');
    const target = path.resolve(root, name);
    if (path.isAbsolute(name) || /^[a-zA-Z]:/.test(name) || (target !== root && !target.startsWith(root + path.sep))) {
      throw new UnsafeArchiveError(`${path.basename(zipPath)}: entry "${entry.entryName}" would be written outside its folder`);
    }
    // Unix mode lives in the high 16 bits of the external attributes; 0o120000 is a symlink.
    if (((entry.header.attr >>> 16) & 0o170000) === 0o120000) {
      throw new UnsafeArchiveError(`${path.basename(zipPath)}: entry "${entry.entryName}" is a symbolic link`);
    }
    total += entry.header.size;
    if (total > limits.maxTotalBytes) {
      throw new UnsafeArchiveError(`${path.basename(zipPath)} expands to more than ${limits.maxTotalBytes} bytes`);
    }
    plan.push({ target, entry });
  }
  await mkdir(root, { recursive: true });
  for (const { target, entry } of plan) {
    if (entry.isDirectory) {
      await mkdir(target, { recursive: true });
      continue;
    }
    await mkdir(path.dirname(target), { recursive: true });
    const data = entry.getData();
    if (data.length !== entry.header.size) {
      throw new UnsafeArchiveError(`${path.basename(zipPath)}: entry "${entry.entryName}" does not match its declared size`);
    }
    await writeFile(target, data, { flag: 'wx' });
  }
}

export type LocateResult =
  | { found: true; dir: string; relative: string }
  | { found: false; reason: string };

const MAX_DEPTH = 6;

/**
 * The shallowest folder holding both server.py and socket_utils.py (ties broken by path, so the
 * choice is deterministic). Symbolic links are never followed: a link to / must not be searched.
 */
export async function locateServer(root: string): Promise<LocateResult> {
  let level = [root];
  let loneServer: string | undefined;
  for (let depth = 0; depth <= MAX_DEPTH && level.length > 0; depth++) {
    const next: string[] = [];
    const hits: string[] = [];
    for (const dir of level.sort()) {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      const files = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
      if (files.has('server.py') && files.has('socket_utils.py')) hits.push(dir);
      else if (files.has('server.py') && loneServer === undefined) loneServer = dir;
      for (const e of entries) if (e.isDirectory() && !isIgnoredName(e.name)) next.push(path.join(dir, e.name));
    }
    const first = hits.sort()[0];
    if (first !== undefined) return { found: true, dir: first, relative: path.relative(root, first) || '.' };
    level = next;
  }
  if (loneServer !== undefined) {
    return { found: false, reason: `missing socket_utils.py beside ${path.relative(root, path.join(loneServer, 'server.py'))}` };
  }
  return { found: false, reason: 'missing server.py' };
}

export async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await lstat(p)).isDirectory();
  } catch {
    return false;
  }
}
