import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EnvironmentError, UsageError } from '../../errors.ts';
import { resolvePython, type PythonRuntime } from '../../sandbox/sandbox.ts';
import { extractZip, locateServer } from '../../grader/submissions/submissions.ts';

// `instanet test --client / --submission DIR`: the student's folder, found the way the grader finds
// it (the shallowest server.py with socket_utils.py beside it), so a hand-in the grader would call
// `no-server` is refused here in one line, before anything runs.

export interface StudentFolder {
  /** What the student typed, for messages. */
  given: string;
  /** The folder holding socket_utils.py (and server.py, when the grader needs it). */
  dir: string;
  /** The folder name, as the gradebook would show the student. */
  name: string;
  /** A zip is handed to the grader as a zip (it extracts and checks it the way it does for a class). */
  zip?: string;
}

/** At most this many names in the one-line refusal of a class folder. */
const LISTED = 5;

export async function studentFolder(given: string, option: '--client' | '--submission'): Promise<StudentFolder> {
  const info = await stat(given).catch(() => undefined);
  if (option === '--submission' && info?.isFile() && given.toLowerCase().endsWith('.zip')) return studentZip(given);
  if (!info?.isDirectory()) throw new UsageError(`${option} ${given} is not a folder (give the folder holding socket_utils.py)`);
  const root = path.resolve(given);
  const found = await locateServer(root);
  if (found.found && found.relative !== '.') await refuseClassFolder(given, root, option);
  if (found.found) return { given, dir: found.dir, name: path.basename(root) };
  // The client half needs only socket_utils.py; the server half needs the course's server.py too.
  if (option === '--client' && (await stat(path.join(root, 'socket_utils.py')).catch(() => undefined))?.isFile()) {
    return { given, dir: root, name: path.basename(root) };
  }
  throw new UsageError(`${option} ${given}: ${found.reason} (the grader would give this hand-in the status no-server)`);
}

/**
 * A folder of many hand-ins (the class) is not one submission: grading the first one found and
 * printing its points as if they were the folder's is a wrong answer, not a convenience.
 */
async function refuseClassFolder(given: string, root: string, option: string): Promise<void> {
  const handIns: string[] = [];
  for (const entry of (await readdir(root, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.isFile() && entry.name.toLowerCase().endsWith('.zip')) handIns.push(entry.name);
    else if (entry.isDirectory() && (await locateServer(path.join(root, entry.name))).found) handIns.push(`${entry.name}/`);
  }
  if (handIns.length < 2) return;
  const listed = handIns.slice(0, LISTED).join(', ') + (handIns.length > LISTED ? `, … (${handIns.length - LISTED} more)` : '');
  throw new UsageError(
    `${option} ${given} holds ${handIns.length} hand-ins (${listed}): give one of them, or grade them all with \`instanet grade ${given}\``,
  );
}

/** A zip is checked (safe entries, a server.py with socket_utils.py) before the grader starts, as a folder is. */
async function studentZip(given: string): Promise<StudentFolder> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'instanet-submission-zip-'));
  try {
    await extractZip(given, scratch).catch((error: unknown) => {
      throw new UsageError(`--submission ${given}: ${(error as Error).message} (the grader would give this hand-in the status bad-archive)`);
    });
    const found = await locateServer(scratch);
    if (!found.found) throw new UsageError(`--submission ${given}: ${found.reason} (the grader would give this hand-in the status no-server)`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const zip = path.resolve(given);
  return { given, dir: path.dirname(zip), name: path.basename(zip).slice(0, -'.zip'.length), zip };
}

/** python3 runs the student's code; without it nothing can be checked, and that is the machine's fault. */
export async function studentPython(): Promise<PythonRuntime> {
  try {
    return await resolvePython();
  } catch (error) {
    throw new EnvironmentError(`python3 is needed to run socket_utils.py and could not be started: ${(error as Error).message}`, { cause: error });
  }
}
