import { filesStepSchema } from '../../scenarios/steps/files.ts';
import { checkFiles } from '../file-checks.ts';
import { expand } from '../templates.ts';
import type { StepKind } from './step-kind.ts';

export const filesStep: StepKind<'files'> = {
  schema: filesStepSchema,
  describe: () => 'data files',
  usesConnection: false,
  async run({ step, ctx, index, timeoutMs }) {
    await checkFiles(expand(step.files as NonNullable<typeof step.files>, { clock: ctx.clock }), ctx, timeoutMs);
    ctx.log.push(`${index}: data files as expected`);
  },
};
