import { sleep } from '../connection.ts';
import type { StepKind } from './step-kind.ts';

export const pauseStep: StepKind = {
  name: 'pause',
  matches: (step) => step.pause !== undefined,
  describe: () => 'pause',
  usesConnection: false,
  run: ({ step }) => sleep(step.pause ?? 0),
};
