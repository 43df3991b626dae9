import type { StepKind as StepKindName } from '../../scenarios/format.ts';
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

// How each kind of step runs, by its name in the format's registry (harness/scenarios/steps/index.ts):
// the compiler asks for a runner for every kind there, for no other, and under its own name.
export const STEP_KINDS: { readonly [K in StepKindName]: StepKind<K> } = {
  send: sendStep,
  raw: rawStep,
  expect: expectStep,
  expectClosed: expectClosedStep,
  expectNoReply: expectNoReplyStep,
  eventually: eventuallyStep,
  pause: pauseStep,
  close: closeStep,
  halfClose: halfCloseStep,
  connect: connectStep,
  parallel: parallelStep,
  steps: groupStep,
  concurrent: concurrentStep,
  files: filesStep,
};

export type { StepKind, StepRun } from './step-kind.ts';
export { connection } from './support.ts';
