import type { StepKind } from './step-kind.ts';

export const groupStep: StepKind = {
  name: 'steps',
  matches: (step) => step.steps !== undefined,
  describe: () => 'steps',
  usesConnection: false,
  run: ({ step, ctx, index, runSteps }) => runSteps(step.steps ?? [], ctx, `${index}.`),
};
