import { z } from 'zod';
import type { StepSchema } from './step-schema.ts';

export const groupStepSchema = {
  kind: 'steps',
  nestsSteps: true,
  field: (step) => z.array(step).min(1).optional().describe('steps run in order (a branch of a parallel block)'),
} as const satisfies StepSchema;
