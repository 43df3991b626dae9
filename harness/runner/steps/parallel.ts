import { parallelStepSchema } from '../../scenarios/steps/parallel.ts';
import type { StepKind } from './step-kind.ts';

/** Branches run side by side; the first failure is the step's. */
export const parallelStep: StepKind<'parallel'> = {
  schema: parallelStepSchema,
  describe: () => 'parallel',
  usesConnection: false,
  async run({ step, ctx, index, runStep }) {
    const results = await Promise.allSettled((step.parallel ?? []).map((s, k) => runStep(s, ctx, `${index}.${k + 1}`)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  },
};
