import { pauseStepSchema } from '../../scenarios/steps/pause.ts';
import { sleep } from '../connection.ts';
import type { StepKind } from './step-kind.ts';

export const pauseStep: StepKind<'pause'> = {
  schema: pauseStepSchema,
  describe: () => 'pause',
  usesConnection: false,
  run: ({ step }) => sleep(step.pause ?? 0),
};
