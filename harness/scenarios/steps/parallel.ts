import { z } from 'zod';
import type { StepSchema } from './step-schema.ts';

export const parallelStepSchema = {
  kind: 'parallel',
  nestsSteps: true,
  field: (step) => z.array(step).min(2).optional().describe('steps run at the same time'),
} as const satisfies StepSchema;
