import type { BoxLimits } from '../sandbox/resource-box.ts';
import type { SandboxLimits } from '../sandbox/sandbox.ts';
import type { Rubric } from './rubric-format.ts';

/** The rubric's resource limits, as the sandbox applies them to every process of a submission. */
export function limitsOf(rubric: Rubric): SandboxLimits {
  const { cpuSeconds, memoryMiB, processes, fileSizeMiB } = rubric.limits;
  return { cpuSeconds, memoryMiB, processes, fileSizeMiB };
}

/**
 * A hand-in's resource box: the rubric's memory figure for all its pages together (its processes'
 * real use is a small part of their address space), and room for the processes of as many
 * instances as start side by side (grade-submission.ts's STARTING_AT_ONCE, three), each allowed the
 * rubric's count by prlimit: a hand-in whose instances all hold that many more is stopped here.
 */
export function boxLimitsOf(limits: SandboxLimits): BoxLimits {
  return { memoryMiB: limits.memoryMiB, pids: limits.processes * 3 };
}
