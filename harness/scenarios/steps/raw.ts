import { z } from 'zod';
import type { StepSchema } from './step-schema.ts';

export const RawBytes = z
  .object({
    text: z.string().optional().describe('UTF-8 text, sent as is'),
    hex: z.string().regex(/^([0-9a-fA-F]{2}\s*)*$/, 'expected hex byte pairs').optional(),
    base64: z.string().regex(/^[A-Za-z0-9+/\s]*={0,2}$/, 'expected base64').optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const n = [v.text, v.hex, v.base64].filter((x) => x !== undefined).length;
    if (n !== 1) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'raw needs exactly one of "text", "hex" or "base64"' });
  });
export type RawBytes = z.infer<typeof RawBytes>;

export const rawStepSchema = {
  kind: 'raw',
  takesExpect: true,
  field: () => RawBytes.optional().describe('raw bytes, sent as they are'),
} as const satisfies StepSchema;
