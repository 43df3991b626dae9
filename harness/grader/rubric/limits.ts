import type { BoxLimits } from '../../sandbox/resource-box.ts';
import type { SandboxLimits } from '../../sandbox/sandbox.ts';
import type { Rubric } from './format.ts';

/** The rubric's resource limits, as the sandbox applies them to every process of a submission. */
export function limitsOf(rubric: Rubric): SandboxLimits {
  const { cpuSeconds, memoryMiB, processes, fileSizeMiB } = rubric.limits;
  return { cpuSeconds, memoryMiB, processes, fileSizeMiB };
}

/**
 * A hand-in's resource box: the rubric's memory figure for all its pages together (its processes'
 * real use is a small part of their address space), and room for the rubric's process count (which
 * prlimit allows each sandbox, under a uid of its own) in every sandbox the kit may run for it at
 * once. How many instances run side by side is the kit's choice, never the student's: with a
 * smaller limit a hand-in within the rubric's count in every instance lost forks to its own other
 * instances, and which case lost them depended on timing (fork-many: 64.66, 73.58, 82.83 in three
 * runs). The box stays a bound on all of them together; `sandboxesAtOnce` comes from the grader.
 */
export function boxLimitsOf(limits: SandboxLimits, sandboxesAtOnce: number): BoxLimits {
  return { memoryMiB: limits.memoryMiB, pids: (limits.processes + SANDBOX_OWN_PROCESSES) * sandboxesAtOnce };
}

/** What a sandbox holds beside the student's processes: bubblewrap's two, the relay, one spare. */
const SANDBOX_OWN_PROCESSES = 4;
