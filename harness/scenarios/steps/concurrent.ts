import { z } from 'zod';
import { Pattern } from '../values.ts';
import type { StepSchema } from './step-schema.ts';

export const ConcurrentSpec = z
  .object({
    clients: z.number().int().min(1).max(500).describe('how many connections, all open at once'),
    login: z.array(z.string().min(1)).min(1).optional().describe('users to log the connections in as, in turn'),
    repeat: z.number().int().min(1).max(100).optional().describe('requests per connection, one after the other (default 1)'),
    send: z.record(z.unknown()).describe('the request; {{i}} is the connection number, {{j}} the repetition'),
    expect: Pattern.optional(),
  })
  .strict()
  .describe('Open N connections, then have all of them send at the same moment; every reply is checked.');

export const concurrentStepSchema = {
  kind: 'concurrent',
  field: () => ConcurrentSpec.optional(),
} as const satisfies StepSchema;
