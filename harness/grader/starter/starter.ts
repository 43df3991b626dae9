import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../errors.ts';
import { readDeclarations, type Declarations } from './signatures.ts';
import { locateServer } from '../submissions/submissions.ts';

// The course's files are the course's: students write socket_utils.py, inside the TODO blocks, and
// server.py, client.py and constants.py are handed out. The grader runs every hand-in with the
// starter's copies of those three, so a socket layer pasted into server.py earns nothing it would
// not earn in the course app, and a hand-in that changed them is flagged, not trusted.

/** The files the course hands out and a hand-in runs with, whatever the student's copies say. */
export const COURSE_FILES = ['server.py', 'client.py', 'constants.py'] as const;
export type CourseFile = (typeof COURSE_FILES)[number];

export interface Starter {
  /** given: --starter DIR; class: the class's most common copies (no --starter). */
  origin: 'given' | 'class';
  /** The course files every workspace gets (a file the starter lacks is left as handed in). */
  files: ReadonlyMap<CourseFile, Buffer>;
  /** The starter's socket_utils.py declarations, when it has one (--starter only). */
  declarations?: Declarations | undefined;
  /** Part of each hand-in's resume key: another starter is another grade. */
  hash: string;
  /** The one line said once for the run (where the starter came from). */
  note: string;
}

export function starterHash(files: ReadonlyMap<CourseFile, Buffer>): string {
  const hash = createHash('sha256');
  for (const name of COURSE_FILES) {
    const content = files.get(name);
    if (content) hash.update(`${name}\0`).update(content).update('\0');
  }
  return hash.digest('hex');
}

const HANDED_OUT = 'give the course starter folder as handed out: server.py, client.py, constants.py and the skeleton socket_utils.py';

/**
 * `--starter DIR`, read once for the run. The folder is the instructor's, so it is read directly;
 * it may be nested the way a hand-in is (the shallowest server.py, as the grader finds a student's).
 */
export async function loadStarter(given: string, python: string, scratch: string): Promise<Starter> {
  const info = await stat(given).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`--starter ${given} is not a folder (${HANDED_OUT})`);
  const root = path.resolve(given);
  const found = await locateServer(root);
  const dir = found.found ? found.dir : root;
  const files = new Map<CourseFile, Buffer>();
  for (const name of COURSE_FILES) {
    const content = await readFile(path.join(dir, name)).catch(() => undefined);
    if (content) files.set(name, content);
  }
  if (!files.has('server.py')) throw new UsageError(`--starter ${given}: missing server.py (${HANDED_OUT})`);
  const skeleton = path.join(dir, 'socket_utils.py');
  const read = (await stat(skeleton).catch(() => undefined))?.isFile() ? await readDeclarations(skeleton, python, scratch) : undefined;
  if (read && 'error' in read) throw new UsageError(`--starter ${given}: its socket_utils.py ${read.error}`);
  const names = [...files.keys()].join(', ');
  return {
    origin: 'given',
    files,
    declarations: read,
    hash: starterHash(files),
    note: `every hand-in runs with the starter's ${names} from ${given}; only socket_utils.py is the student's${read ? '' : ' (the starter has no socket_utils.py: function names are not checked)'}`,
  };
}
