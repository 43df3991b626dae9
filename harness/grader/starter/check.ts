import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { diffLines } from 'diff';
import { readUntrustedFile, UntrustedFileError } from '../../workspace-files/index.ts';
import { readDeclarations, signatureProblems, type Declarations } from './signatures.ts';
import { COURSE_FILES, type Starter } from './starter.ts';

// One hand-in against the starter: which course files it changed (and by how many lines), and
// which of the starter's socket_utils.py functions it does not declare as the starter does. Only
// counts and function names are reported: with a starter taken from the class, the other side of
// the diff is other students' files, and a student's report must never show or name them.

export interface FileChange {
  file: string;
  added: number;
  removed: number;
}

export interface StarterCheck {
  changed: FileChange[];
  signatures: string[];
}

const READ = { maxBytes: 4 * 1024 * 1024, timeoutMs: 10_000 };

/**
 * A course file the hand-in lacks (or holds as a link, a FIFO) is not a change: the starter's copy
 * runs either way. Line endings are not a change either: a file saved on Windows is the same file.
 */
export async function checkAgainstStarter(handIn: string, starter: Starter, python: string, scratch: string): Promise<StarterCheck> {
  const changed: FileChange[] = [];
  for (const file of COURSE_FILES) {
    const theirs = starter.files.get(file);
    if (!theirs) continue;
    const mine = await readUntrustedFile(handIn, file, READ).catch((error: unknown) => {
      if (error instanceof UntrustedFileError) return undefined;
      throw error;
    });
    if (!mine) continue;
    const change = lineChange(file, theirs.toString('utf8'), mine.toString('utf8'));
    if (change) changed.push(change);
  }
  const signatures = starter.declarations ? signatureProblems(starter.declarations, await declarationsOf(handIn, python, scratch)) : [];
  return { changed, signatures };
}

/** Parsed from a copy read the safe way: a socket_utils.py that is a link must not make the host parse its target. */
async function declarationsOf(handIn: string, python: string, scratch: string): Promise<Declarations | { error: string }> {
  const content = await readUntrustedFile(handIn, 'socket_utils.py', READ).catch((error: unknown) => {
    if (error instanceof UntrustedFileError) return undefined;
    throw error;
  });
  if (!content) return { error: 'is not a plain file' };
  const copy = path.join(scratch, 'socket_utils.signatures.py');
  await writeFile(copy, content);
  return readDeclarations(copy, python, scratch);
}

function lineChange(file: string, starter: string, handIn: string): FileChange | undefined {
  const normal = (text: string) => text.replace(/\r\n?/g, '\n');
  const [a, b] = [normal(starter), normal(handIn)];
  if (a === b) return undefined;
  let added = 0;
  let removed = 0;
  for (const part of diffLines(a, b)) {
    if (part.added) added += part.count ?? 0;
    else if (part.removed) removed += part.count ?? 0;
  }
  return { file, added, removed };
}
