import { z } from 'zod';
import { Pattern } from '../values.ts';
import type { StepSchema } from './step-schema.ts';

export const FileCheck = z
  .object({
    json: z.string().min(1).optional().describe("a JSON file, relative to the server's data folder"),
    expect: Pattern.optional().describe('what the JSON file holds'),
    post: Pattern.optional().describe('an entry of posts/posts.json matching this; with image: its image file'),
    dm: z
      .object({ users: z.tuple([z.string(), z.string()]), match: Pattern })
      .strict()
      .optional()
      .describe('an entry of the conversation file of two users matching this; with image: its image file'),
    image: z.literal('last').optional().describe("the entry's image_path holds exactly the last image sent in this case"),
    absent: z.array(z.string().min(1)).optional().describe('paths (relative to the data folder) that must not exist'),
  })
  .strict()
  .describe("A check of the server's data folder (only when the target exposes it; SKIPPED otherwise).");
export type FileCheck = z.infer<typeof FileCheck>;

export const filesStepSchema = {
  kind: 'files',
  field: () => FileCheck.optional(),
} as const satisfies StepSchema;
