import type { Target, TargetInstance } from '../../targets/target.ts';

// A start is the costly part of a server instance: the interpreter, the student's imports, and
// whatever the hand-in does before it listens (a fork bomb forks up to the process limit then).
// A submission's lanes may each want a fresh instance at the same moment; if they all start at
// once, a hand-in that is expensive to start starves its own running cases. This caps how many
// of one submission's instances are starting at a time; instances already listening do not count.

/** `target` with at most `concurrent` start() calls in flight; the others wait their turn, in order. */
export function limitStarts(target: Target, concurrent: number): Target {
  let running = 0;
  const waiting: (() => void)[] = [];
  return {
    description: target.description,
    ...(target.profile ? { profile: target.profile } : {}),
    ...(target.notice ? { notice: target.notice } : {}),
    ...(target.preflight ? { preflight: () => target.preflight?.() ?? Promise.resolve() } : {}),
    async start(): Promise<TargetInstance> {
      // A finished start hands its slot to the next waiter directly, so the count never overshoots.
      if (running < concurrent) running += 1;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await target.start();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else running -= 1;
      }
    },
  };
}
