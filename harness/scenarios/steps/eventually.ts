import { z } from 'zod';
import { Millis, Pattern } from '../values.ts';
import type { StepSchema } from './step-schema.ts';

export const EventuallySpec = z
  .object({
    send: z.record(z.unknown()).describe('the request to repeat'),
    expect: Pattern,
    attempts: z.number().int().min(1).max(100).optional().describe('default 10'),
    intervalMs: Millis.optional().describe('pause between attempts (default 100)'),
  })
  .strict()
  .describe('Poll with a request until its reply matches (state a recipient sees by polling), bounded.');

export const eventuallyStepSchema = {
  kind: 'eventually',
  field: () => EventuallySpec.optional(),
} as const satisfies StepSchema;
