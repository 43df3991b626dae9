import { z } from 'zod';

// grade.json: everything known about one graded submission. The gradebook, the Gradescope file,
// the student's report and the class dashboard are all rendered from it, and `gradebook merge`
// and resuming read it back, so it is validated on the way in.

export const GRADE_FORMAT_VERSION = 1;

const Verdict = z.enum(['PASSED', 'FAILED', 'NON-STRICT', 'INFORMATIONAL', 'SKIPPED', 'ERROR']);

export const GradeStatus = z
  .enum(['ok', 'no-server', 'bad-archive', 'no-listen', 'crashed', 'timeout', 'disk-quota', 'memory', 'output-flood', 'wire-flood', 'error', 'kit-error'])
  .describe(
    'ok: graded; no-server: no server.py with socket_utils.py beside it; bad-archive: unreadable or unsafe zip; '
      + 'no-listen: never listened; crashed: exited at start-up; timeout: listened but never answered, or ran out of '
      + 'its time budget; disk-quota: wrote past its disk quota; memory: its processes together hit the memory limit '
      + 'of its resource box (shared memory and memfd counted); output-flood: graded, but printed without end (no '
      + 'points lost for it); wire-flood: graded, but its server sent megabytes beyond its replies (the cases it broke '
      + 'failed); error: the grader itself failed; kit-error: the kit could not judge it or part of it (a harness '
      + "failure, the judge starved by a busy machine): re-grade it, never the student's points",
  );
export type GradeStatus = z.infer<typeof GradeStatus>;

export const GradedCase = z
  .object({
    id: z.string(),
    title: z.string(),
    source: z.enum(['server', 'client']),
    verdict: Verdict,
    requirements: z.array(z.string()),
    hint: z.string().optional(),
    detail: z.string().optional(),
    expected: z.string().optional(),
    actual: z.string().optional(),
    serverOutput: z.array(z.string()).optional().describe("the student server's own output lines while the case ran (a traceback, a decode error)"),
    blame: z.string().optional().describe('the socket_utils.py function a failure is charged to'),
    excusedBy: z.array(z.string()).optional().describe('not charged: these failed cases are charged for it'),
  })
  .strict();
export type GradedCase = z.infer<typeof GradedCase>;

export const GradedItem = z
  .object({
    name: z.string(),
    points: z.number(),
    earned: z.number(),
    cases: z.array(z.object({ id: z.string(), weight: z.number(), credit: z.number(), excused: z.boolean().optional() }).strict()),
    unmatched: z.array(z.string()),
  })
  .strict();

export const GradedTask = z
  .object({ id: z.string(), title: z.string(), points: z.number(), earned: z.number(), items: z.array(GradedItem) })
  .strict();
export type GradedTask = z.infer<typeof GradedTask>;

export const StarterResult = z
  .object({
    origin: z.enum(['given', 'class']).describe("given: --starter DIR; class: the class's most common course files"),
    changed: z
      .array(z.object({ file: z.string(), added: z.number().int(), removed: z.number().int() }).strict())
      .describe("course files the hand-in changed (lines added and removed against the starter's); the starter's copy ran"),
    signatures: z.array(z.string()).describe("socket_utils.py functions not declared as the starter declares them, one line each"),
  })
  .strict();
export type StarterResult = z.infer<typeof StarterResult>;

export const SubmissionGrade = z
  .object({
    format: z.literal(GRADE_FORMAT_VERSION),
    kit: z.string(),
    rubric: z.string().describe('rubric name'),
    name: z.string().describe('submission name (folder or zip name)'),
    folder: z.string().describe('folder of this submission inside the output folder'),
    source: z.enum(['folder', 'zip']),
    located: z.string().optional().describe('where server.py was found, relative to the submission'),
    key: z.string().describe('sha256 of the submission files, the rubric and the kit version: the resume key'),
    status: GradeStatus,
    starter: StarterResult.optional().describe("the hand-in against the course's starter (absent: run as handed in)"),
    detail: z.string().optional().describe('e.g. the last stderr line of a crash'),
    sandbox: z.enum(['bwrap', 'container', 'none']),
    gradedAt: z.string(),
    durationMs: z.number().nonnegative(),
    total: z.number(),
    max: z.number(),
    tasks: z.array(GradedTask),
    ungraded: z.array(z.object({ id: z.string(), title: z.string(), cases: z.array(z.string()), passed: z.number() }).strict()),
    cases: z.array(GradedCase).describe('every case the grade is based on, server and client'),
    incidents: z.array(z.string()).describe('crashes, quota breaches and timeouts seen while cases ran'),
    warnings: z.array(z.string()),
    imageFraming: z
      .string()
      .optional()
      .describe("INFORMATIONAL: the image framing the student's own send_image writes (the course leaves it to their send_image / receive_image pair; the reference uses 8 bytes big-endian)"),
    output: z.object({ stdout: z.string(), stderr: z.string() }).strict().describe("the server's captured output (capped)"),
    clientOutput: z.string().describe("the client driver's stderr (capped)"),
  })
  .strict();
export type SubmissionGrade = z.infer<typeof SubmissionGrade>;

/** The kit, not the hand-in, failed (the grader's own error, or a part it could not judge): re-grade it. */
export function kitFailed(grade: Pick<SubmissionGrade, 'status'>): boolean {
  return grade.status === 'error' || grade.status === 'kit-error';
}

export function statusText(grade: Pick<SubmissionGrade, 'status' | 'detail'>): string {
  return grade.detail && grade.status !== 'ok' ? `${grade.status}: ${grade.detail}` : grade.status;
}

/** What the starter check found, one line each: a changed course file, a function declared otherwise. */
export function starterFlags(grade: Pick<SubmissionGrade, 'starter'>): string[] {
  if (!grade.starter) return [];
  return [
    ...grade.starter.changed.map((c) => `${c.file} differs from the starter (+${c.added} −${c.removed} lines; the starter's ${c.file} was run)`),
    ...grade.starter.signatures,
  ];
}
