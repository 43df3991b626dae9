import type { Target, TargetInstance } from '../targets/target.ts';

// Every start() of a target gives the same fresh state, so an instance can be started before the
// batch that will use it is known: a lane that finishes a batch then takes a server that is already
// listening instead of waiting out a start-up (a Python server takes ~0.4 s) on the critical path.

export interface InstancePool extends Target {
  /** Starts the first instances now, before any lane asks for one. */
  warm(): void;
  /** Stops the instances started ahead that no batch took; resolves once they are gone. */
  close(): Promise<void>;
}

/**
 * A target whose start() hands out instances started ahead of time. `ahead` is how many are kept
 * starting or ready beyond the ones in use; at most `limit` are ever started (the number of batches),
 * so a run costs no extra start-ups except the ones left over when batches are skipped whole.
 */
export function instancePool(target: Target, options: { ahead: number; limit: number }): InstancePool {
  const ready: Promise<TargetInstance>[] = [];
  let started = 0;
  let closed = false;

  const startOne = () => {
    if (closed || started >= options.limit) return;
    started += 1;
    const starting = target.start();
    // A failed start is handed to the batch that takes it (it reports the failure as sequential
    // runs do); until then the rejection must not count as unhandled.
    starting.catch(() => undefined);
    ready.push(starting);
  };
  const fill = () => {
    while (!closed && ready.length < options.ahead && started < options.limit) startOne();
  };

  return {
    description: target.description,
    ...(target.profile ? { profile: target.profile } : {}),
    ...(target.preflight ? { preflight: () => target.preflight?.() ?? Promise.resolve() } : {}),
    start(): Promise<TargetInstance> {
      if (closed) return target.start();
      if (ready.length === 0) startOne();
      const next = ready.shift() ?? target.start();
      fill();
      return next;
    },
    async close(): Promise<void> {
      closed = true;
      const left = ready.splice(0);
      await Promise.all(left.map((p) => p.then((i) => i.stop(), () => undefined)));
    },
    warm: fill,
  };
}
