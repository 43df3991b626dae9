import { Pattern } from '../values.ts';
import type { StepSchema } from './step-schema.ts';

export const expectStepSchema = {
  kind: 'expect',
  field: () => Pattern.optional().describe('the next reply on this connection (with send/raw: the reply to it)'),
} as const satisfies StepSchema;
