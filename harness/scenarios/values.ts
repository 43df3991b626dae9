import { z } from 'zod';
import { patternProblems } from './pattern.ts';

// Zod values both the scenario format (format.ts) and its step kinds (steps/) are made of.

export const Millis = z.number().int().nonnegative();

/** An expected value: literal JSON (objects match as subsets, arrays element by element) or $-matchers. */
export const Pattern = z
  .unknown()
  .superRefine((value, ctx) => {
    for (const problem of patternProblems(value)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem.message, path: problem.path });
  })
  .describe(
    'Expected JSON. Objects match as subsets, arrays element by element; an object whose keys start with $ is a matcher: '
      + '$type, $regex, $contains, $length, $absent, $oneOf, $eq, $not, $each, $any, $raw (top level: the raw reply text).',
  );
export type Pattern = unknown;
