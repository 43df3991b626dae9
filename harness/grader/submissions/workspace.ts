import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isIgnoredName } from './submissions.ts';
import type { Rubric } from '../rubric/format.ts';
import { isPlainEntry } from '../../workspace-files/index.ts';

// A submission is never run where it was handed in: it gets a private copy with a known data/
// folder, so one student's run cannot see or change another's files, and every run starts equal.

/** The users every submission starts from, written the way the course's server writes them. */
export function rubricUsers(rubric: Rubric): Record<string, { password: string; friends: string[]; requests: string[] }> {
  const users: Record<string, { password: string; friends: string[]; requests: string[] }> = {};
  for (let i = 1; i <= rubric.users.count; i++) {
    users[`${rubric.users.prefix}${i}`] = { password: rubric.users.password, friends: [], requests: [] };
  }
  return users;
}

/**
 * Copies the server folder (no symlinks, no caches, no data/), puts the course's own files over the
 * student's copies (`courseFiles`: the starter's server.py, client.py, constants.py; see starter.ts),
 * and writes a fresh data/ folder.
 */
export async function prepareWorkspace(serverDir: string, workspace: string, rubric: Rubric, courseFiles?: ReadonlyMap<string, Buffer>): Promise<void> {
  await mkdir(workspace, { recursive: true });
  await cp(serverDir, workspace, {
    recursive: true,
    dereference: false,
    verbatimSymlinks: true,
    filter: async (src) => {
      if (src === serverDir) return true;
      const rel = path.relative(serverDir, src);
      const top = rel.split(path.sep)[0];
      if (top === 'data') return false;
      // Links, FIFOs and devices are never copied: a FIFO blocks fs.cp and a device never ends.
      return !rel.split(path.sep).some(isIgnoredName) && (await isPlainEntry(src));
    },
  });
  await removeSymlinks(workspace);
  for (const [name, content] of courseFiles ?? []) {
    // Whatever the hand-in had under that name (a folder called client.py included) gives way.
    await rm(path.join(workspace, name), { recursive: true, force: true });
    await writeFile(path.join(workspace, name), content);
  }
  await resetData(workspace, rubric);
}

export async function resetData(workspace: string, rubric: Rubric): Promise<void> {
  const data = path.join(workspace, 'data');
  await rm(data, { recursive: true, force: true });
  for (const sub of ['users', 'posts', 'messages', 'images']) await mkdir(path.join(data, sub), { recursive: true });
  await writeFile(path.join(data, 'users', 'users.json'), JSON.stringify(rubricUsers(rubric), null, 4));
  await writeFile(path.join(data, 'posts', 'posts.json'), '[]');
}

// fs.cp copies links as links; a link is the one way a copied folder could still reach outside itself.
async function removeSymlinks(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) await rm(full, { force: true });
    else if (entry.isDirectory()) await removeSymlinks(full);
  }
}

/**
 * A digest of the files that are run (the same filter as the copy), in path order: the resume key
 * changes when a student's code does, and not when they re-zip the same files.
 */
export async function hashSubmission(serverDir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (isIgnoredName(entry.name) || (rel === '' && entry.name === 'data')) continue;
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full, childRel);
      else if (entry.isFile()) {
        hash.update(`${childRel}\0`);
        hash.update(await readFile(full));
        hash.update('\0');
      }
    }
  };
  await walk(serverDir, '');
  return hash.digest('hex');
}
