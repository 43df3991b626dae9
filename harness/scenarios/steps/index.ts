import { concurrentStepSchema } from './concurrent.ts';
import { closeStepSchema, connectStepSchema, expectClosedStepSchema, expectNoReplyStepSchema, halfCloseStepSchema } from './connection-steps.ts';
import { eventuallyStepSchema } from './eventually.ts';
import { expectStepSchema } from './expect.ts';
import { filesStepSchema } from './files.ts';
import { groupStepSchema } from './group.ts';
import { parallelStepSchema } from './parallel.ts';
import { pauseStepSchema } from './pause.ts';
import { rawStepSchema } from './raw.ts';
import { sendStepSchema } from './send.ts';

// The registry of step kinds: the one list of them. Its order is the order the format shows them in
// (the schema's keys, "a step needs one of: ..."), and the order in which a step that names several
// kinds (invalid, so never run) has them listed. Adding a kind: its schema file here, its runner in
// harness/runner/steps/ (the compiler asks for it).
export const STEP_SCHEMAS = [
  sendStepSchema,
  rawStepSchema,
  expectStepSchema,
  expectClosedStepSchema,
  expectNoReplyStepSchema,
  eventuallyStepSchema,
  pauseStepSchema,
  closeStepSchema,
  halfCloseStepSchema,
  connectStepSchema,
  parallelStepSchema,
  groupStepSchema,
  concurrentStepSchema,
  filesStepSchema,
] as const;

export type { StepSchema } from './step-schema.ts';
