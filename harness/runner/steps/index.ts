import { concurrentStep } from './concurrent.ts';
import { closeStep, connectStep, expectClosedStep, expectNoReplyStep, halfCloseStep } from './connection-steps.ts';
import { eventuallyStep } from './eventually.ts';
import { expectStep } from './expect.ts';
import { filesStep } from './files.ts';
import { groupStep } from './group.ts';
import { parallelStep } from './parallel.ts';
import { pauseStep } from './pause.ts';
import { rawStep } from './raw.ts';
import { sendStep } from './send.ts';
import type { StepKind } from './step-kind.ts';

// The step kinds, in the order they are tried: the first whose `matches` accepts a step is what the
// step is, for running it and for naming it in reports. (A raw write with `expect` is a raw step
// that checks its reply; a send with `image` runs the image exchange before its reply.)
export const STEP_KINDS: readonly StepKind[] = [
  pauseStep,
  parallelStep,
  groupStep,
  filesStep,
  concurrentStep,
  connectStep,
  closeStep,
  halfCloseStep,
  expectClosedStep,
  expectNoReplyStep,
  eventuallyStep,
  rawStep,
  sendStep,
  expectStep,
];

export type { StepKind, StepRun } from './step-kind.ts';
export { connection } from './support.ts';
