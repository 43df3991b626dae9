import { existsSync } from 'node:fs';
import path from 'node:path';
import { STUDENT_RUNNER } from '../../grader/client-half/client-half.ts';
import { StudentImageEncoder } from '../../grader/server-half/student-image-encoder.ts';
import { REFERENCE_FRAMING } from '../../runner/image-framing.ts';
import type { TestFlags } from './test.ts';

// The image bytes `instanet test` sends: a server's image framing is its author's own (only their
// receive_image reads what their send_image writes), so with --server and a --cwd holding
// socket_utils.py the kit frames images with that send_image; otherwise the reference framing is
// assumed, and the run says so.

export interface RunEncoder {
  student?: StudentImageEncoder;
  /** One line before the cases when the framing is assumed. */
  note?: string;
}

const ASSUMED = `the image bytes are sent in the reference framing (${REFERENCE_FRAMING}), assumed: no send_image of this server's author is available`;

export async function imageEncoderFor(flags: TestFlags): Promise<RunEncoder> {
  if (!flags.server || flags.target) return flags.target ? { note: ASSUMED } : {};
  const dir = path.resolve(flags.cwd);
  if (!existsSync(path.join(dir, 'socket_utils.py'))) return { note: `${ASSUMED} (${flags.cwd} has no socket_utils.py)` };
  // The same student code the server runs, in a process of its own: `instanet test --server` runs
  // the author's code unsandboxed already (the grader runs this runner in its sandbox).
  return { student: new StudentImageEncoder({ argv: ['python3', '-B', STUDENT_RUNNER], cwd: dir, submissionDir: dir }) };
}

/** The run report's informational line on the image framing. */
export function framingOf(encoder: RunEncoder): { imageFraming?: string } {
  if (encoder.student?.lastFraming) {
    const same = encoder.student.lastFraming === REFERENCE_FRAMING;
    return { imageFraming: `image framing (informational): the server's own send_image writes ${encoder.student.lastFraming}${same ? ' (as the reference does)' : `; the reference uses ${REFERENCE_FRAMING}`}; the image cases were sent in it` };
  }
  if (encoder.note) return { imageFraming: `image framing (informational): ${encoder.note}` };
  return {};
}
