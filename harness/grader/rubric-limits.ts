import type { SandboxLimits } from '../sandbox/sandbox.ts';
import type { Rubric } from './rubric-format.ts';

/** The rubric's resource limits, as the sandbox applies them to every process of a submission. */
export function limitsOf(rubric: Rubric): SandboxLimits {
  const { cpuSeconds, memoryMiB, processes, fileSizeMiB } = rubric.limits;
  return { cpuSeconds, memoryMiB, processes, fileSizeMiB };
}
