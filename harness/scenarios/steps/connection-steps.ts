import { z } from 'zod';
import { Millis } from '../values.ts';
import type { StepSchema } from './step-schema.ts';

// The kinds that only open, close or watch the client's connection.

export const expectClosedStepSchema = {
  kind: 'expectClosed',
  field: () => z.literal(true).optional().describe('the server closes this connection (replies before the close are allowed)'),
} as const satisfies StepSchema;

export const expectNoReplyStepSchema = {
  kind: 'expectNoReply',
  field: () => Millis.optional().describe('no byte arrives on this connection for this many ms'),
} as const satisfies StepSchema;

export const closeStepSchema = {
  kind: 'close',
  field: () => z.literal(true).optional().describe('close this connection'),
} as const satisfies StepSchema;

export const halfCloseStepSchema = {
  kind: 'halfClose',
  field: () => z.literal(true).optional().describe('shut down the write side of this connection (FIN)'),
} as const satisfies StepSchema;

export const connectStepSchema = {
  kind: 'connect',
  field: () => z.literal(true).optional().describe('(re)open this connection now'),
} as const satisfies StepSchema;
