import { stat } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError, UsageError } from '../../errors.ts';
import { resolvePython, type PythonRuntime } from '../../sandbox/sandbox.ts';
import { locateServer } from '../../grader/submissions.ts';

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
}

export async function studentFolder(given: string, option: '--client' | '--submission'): Promise<StudentFolder> {
  const info = await stat(given).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`${option} ${given} is not a folder (give the folder holding socket_utils.py)`);
  const root = path.resolve(given);
  const found = await locateServer(root);
  if (found.found) return { given, dir: found.dir, name: path.basename(root) };
  // The client half needs only socket_utils.py; the server half needs the course's server.py too.
  if (option === '--client' && (await stat(path.join(root, 'socket_utils.py')).catch(() => undefined))?.isFile()) {
    return { given, dir: root, name: path.basename(root) };
  }
  throw new UsageError(`${option} ${given}: ${found.reason} (the grader would give this hand-in the status no-server)`);
}

/** python3 runs the student's code; without it nothing can be checked, and that is the machine's fault. */
export async function studentPython(): Promise<PythonRuntime> {
  try {
    return await resolvePython();
  } catch (error) {
    throw new EnvironmentError(`python3 is needed to run socket_utils.py and could not be started: ${(error as Error).message}`, { cause: error });
  }
}
