import { groupStepSchema } from '../../scenarios/steps/group.ts';
import type { StepKind } from './step-kind.ts';

export const groupStep: StepKind<'steps'> = {
  schema: groupStepSchema,
  describe: () => 'steps',
  usesConnection: false,
  run: ({ step, ctx, index, runSteps }) => runSteps(step.steps ?? [], ctx, `${index}.`),
};
