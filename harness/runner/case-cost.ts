import type { Step } from '../scenarios/format.ts';
import type { LoadedScenario } from '../scenarios/loader.ts';

// How long a case may keep its lane busy, read from the scenario alone (no clock, so the schedule
// is the same on every run). Only the order in which batches start depends on it, never a verdict:
// the batches that can wait out timeouts start first, so their waiting overlaps everything else.

/** A step's time spent in deliberate pauses, shaped writes and timeouts a weak server waits out. */
function stepCost(step: Step, defaultTimeoutMs: number): number {
  let ms = 0;
  if (step.pause) ms += step.pause;
  if (step.expectNoReply) ms += step.expectNoReply;
  if (step.eventually) ms += (step.eventually.attempts ?? 10) * (step.eventually.intervalMs ?? 100);
  // An expected close is where a server without the rule makes the harness wait out the timeout.
  if (step.expectClosed) ms += step.timeout ?? defaultTimeoutMs;
  // A short explicit timeout on a reply marks a case written to be waited out (robustness cases).
  else if (step.timeout !== undefined && step.timeout <= 1000) ms += step.timeout;
  // A file check retries for up to a second while a slow server has not written yet.
  if (step.files) ms += Math.min(step.timeout ?? defaultTimeoutMs, 1000);
  const image = step.image;
  if (image) {
    const size = image.size ?? 0;
    // Megabytes cost time on both ends even without pauses (~4 MB/s through a Python server).
    ms += size / 4000;
    if (image.delayMs) ms += Math.ceil(size / Math.max(1, image.chunk ?? size)) * image.delayMs + (image.splitHeader ? image.delayMs : 0);
  }
  if (step.shape?.delayMs) ms += step.shape.delayMs * (step.shape.splitAt !== undefined || step.shape.splitUtf8 ? 1 : 10);
  for (const inner of [...(step.parallel ?? []), ...(step.steps ?? [])]) ms += stepCost(inner, defaultTimeoutMs);
  return ms;
}

/** Estimated milliseconds for one case: a fixed cost for its connections plus its waits. */
export function caseCost(scenario: LoadedScenario, defaultTimeoutMs: number): number {
  return 20 + scenario.steps.reduce((sum, step) => sum + stepCost(step, defaultTimeoutMs), 0);
}
