import { z } from 'zod';

// A rubric turns verdicts into points. It is data (YAML in fixtures/rubrics/), so an instructor
// re-weights a course without touching code, and every point stays traceable to the cases behind it.

const CaseRef = z.union([
  z.string().min(1).describe('a case id or glob: a scenario ("3.2.1", "3.*") or a client check ("client.5.*")'),
  z
    .object({
      match: z.string().min(1).describe('a case id or glob'),
      weight: z.number().positive().describe('relative weight of each matched case inside its item (default 1)'),
    })
    .strict(),
]);
export type CaseRef = z.infer<typeof CaseRef>;

export const RubricItem = z
  .object({
    name: z.string().min(1).describe('what the points are for, as a student reads it'),
    points: z.number().nonnegative().describe('points of this item; the items of a task add up to its points'),
    cases: z.array(CaseRef).min(1).describe('scenarios and client checks; credit is the weighted share that passed'),
  })
  .strict();
export type RubricItem = z.infer<typeof RubricItem>;

export const RubricTask = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes').describe('column name in gradebook.csv'),
    title: z.string().min(1),
    points: z.number().nonnegative(),
    items: z.array(RubricItem).min(1),
  })
  .strict();
export type RubricTask = z.infer<typeof RubricTask>;

export const UngradedGroup = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
    title: z.string().min(1),
    cases: z.array(z.string().min(1)).min(1),
  })
  .strict();
export type UngradedGroup = z.infer<typeof UngradedGroup>;

const Verdict = z.enum(['PASSED', 'FAILED', 'NON-STRICT', 'INFORMATIONAL', 'SKIPPED', 'ERROR']);

export const Rubric = z
  .object({
    $schema: z.string().optional(),
    name: z.string().min(1).describe('course and assignment, shown on every report'),
    version: z.literal(1).describe('rubric format version'),
    users: z
      .object({
        count: z.number().int().min(1).max(50),
        prefix: z.string().regex(/^[a-z][a-z0-9_]*$/),
        password: z.string(),
      })
      .strict()
      .default({ count: 6, prefix: 'user', password: '123' })
      .describe("data/users/users.json every submission starts from: <prefix>1..<prefix><count>"),
    credit: z
      .record(Verdict, z.number().min(0).max(1))
      .default({})
      .describe('share of a case earned per verdict; unlisted: PASSED and INFORMATIONAL 1 (not the student\'s doing), others 0'),
    timeouts: z
      .object({
        readySeconds: z.number().positive().default(10).describe('time a server gets to start listening'),
        caseSeconds: z.number().positive().default(5).describe('per-case timeout handed to the runner'),
        submissionSeconds: z.number().positive().default(300).describe('wall-clock budget of one submission'),
        clientSeconds: z.number().positive().default(60).describe('budget of the client-half driver'),
      })
      .strict()
      .default({}),
    limits: z
      .object({
        cpuSeconds: z.number().int().positive().default(120),
        memoryMiB: z.number().int().positive().default(2048).describe('address space; threads reserve stacks, keep it generous'),
        processes: z.number().int().positive().default(256).describe('tasks (threads count) per submission'),
        fileSizeMiB: z.number().int().positive().default(128).describe('largest file a submission may write'),
        diskMiB: z.number().int().positive().default(512).describe('its workspace is stopped past this size'),
        outputKiB: z.number().int().positive().default(256).describe('stdout/stderr kept per process'),
      })
      .strict()
      .default({}),
    tasks: z.array(RubricTask).min(1),
    ungraded: z.array(UngradedGroup).default([]).describe('case groups reported but worth no points'),
  })
  .strict()
  .superRefine((rubric, ctx) => {
    const seen = new Set<string>();
    rubric.tasks.forEach((task, t) => {
      if (seen.has(task.id)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['tasks', t, 'id'], message: `duplicate task id "${task.id}"` });
      seen.add(task.id);
      const sum = task.items.reduce((s, i) => s + i.points, 0);
      if (Math.abs(sum - task.points) > 1e-9) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['tasks', t, 'points'],
          message: `task "${task.id}" is worth ${task.points} points but its items add up to ${sum}`,
        });
      }
    });
  });
export type Rubric = z.infer<typeof Rubric>;
export type RubricInput = z.input<typeof Rubric>;
export type CaseVerdict = z.infer<typeof Verdict>;

export const DEFAULT_CREDIT: Readonly<Record<CaseVerdict, number>> = {
  PASSED: 1,
  // A SHOULD the course's starter meets and the submission does not: graded as missed.
  'NON-STRICT': 0,
  // A behaviour the course's own starter lacks (levelled down by the course profile): not held against anyone.
  INFORMATIONAL: 1,
  FAILED: 0,
  SKIPPED: 0,
  ERROR: 0,
};

export function creditOf(rubric: Rubric, verdict: CaseVerdict): number {
  return rubric.credit[verdict] ?? DEFAULT_CREDIT[verdict];
}

export function totalPoints(rubric: Rubric): number {
  return rubric.tasks.reduce((s, t) => s + t.points, 0);
}
