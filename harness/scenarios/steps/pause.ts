import { Millis } from '../values.ts';
import type { StepSchema } from './step-schema.ts';

export const pauseStepSchema = {
  kind: 'pause',
  field: () => Millis.optional().describe('wait this many ms'),
} as const satisfies StepSchema;
