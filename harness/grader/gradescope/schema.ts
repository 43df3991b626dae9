import { z } from 'zod';

// Gradescope's documented results.json ("Autograder Specifications", output format): every field is
// optional, but the overall score must come from `score` or from every test's `score`. Strict, so a
// misspelt field (which Gradescope silently ignores) fails a test here instead.

const Visibility = z.enum(['hidden', 'after_due_date', 'after_published', 'visible']);
const Format = z.enum(['text', 'html', 'simple_format', 'md', 'ansi']);

export const GradescopeTestSchema = z
  .object({
    score: z.number().optional(),
    max_score: z.number().optional(),
    status: z.enum(['passed', 'failed']).optional(),
    name: z.string().optional(),
    name_format: Format.optional(),
    number: z.string().optional(),
    output: z.string().optional(),
    output_format: Format.optional(),
    tags: z.array(z.string()).optional(),
    visibility: Visibility.optional(),
    extra_data: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const GradescopeResultsSchema = z
  .object({
    score: z.number().optional(),
    execution_time: z.number().nonnegative().optional(),
    output: z.string().optional(),
    output_format: Format.optional(),
    test_output_format: Format.optional(),
    test_name_format: Format.optional(),
    visibility: Visibility.optional(),
    stdout_visibility: Visibility.optional(),
    extra_data: z.record(z.string(), z.unknown()).optional(),
    tests: z.array(GradescopeTestSchema).optional(),
    leaderboard: z
      .array(z.object({ name: z.string(), value: z.union([z.number(), z.string()]), order: z.enum(['asc', 'desc']).optional() }).strict())
      .optional(),
  })
  .strict()
  .refine((r) => r.score !== undefined || (r.tests ?? []).every((t) => t.score !== undefined), {
    message: 'score is missing and not every test has one',
  });
