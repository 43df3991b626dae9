import { z } from 'zod';
import type { StepSchema } from './step-schema.ts';

export const sendStepSchema = {
  kind: 'send',
  takesExpect: true,
  field: () => z.record(z.unknown()).optional().describe('a JSON request; {{...}} templates are expanded'),
} as const satisfies StepSchema;
