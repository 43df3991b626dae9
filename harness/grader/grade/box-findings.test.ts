import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBox, planBoxes, type Box, type BoxPlan } from '../../sandbox/resource-box.ts';
import { BoxWatch, boxFindings, type BoxSamples } from './box-findings.ts';

// What a hand-in's box is said to have done, from real processes in a real box: many sleeping
// processes at once are named by their count and never taken for busy loops; processes that loop
// are. Skipped only where no backend exists (the plan says why).

let plan: BoxPlan;
const started: ChildProcess[] = [];

beforeAll(async () => {
  plan = await planBoxes();
  if (plan.kind === 'none') console.log(`box-findings tests skipped: ${plan.warning}`);
});

afterAll(() => {
  for (const child of started) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

function startIn(box: Box, script: string): void {
  const [cmd, ...args] = box.enter(['sh', '-c', script]);
  started.push(spawn(cmd as string, args, { detached: true, stdio: 'ignore' }));
}

/** Samples until `done` holds or 60 s pass (a bound for a starved machine, never a verdict). */
async function watchUntil(box: Box, done: (s: BoxSamples) => boolean): Promise<BoxSamples> {
  const watch = new BoxWatch(box);
  try {
    for (let i = 0; i < 600 && !done(watch.seenSoFar); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    // Two more samples' time, so a wrong "busy" reading would have had its chance to show.
    await new Promise((resolve) => setTimeout(resolve, 2500));
  } finally {
    watch.stop();
  }
  return watch.seenSoFar;
}

describe('box findings', () => {
  it('names 60 sleeping processes by their count, and not as busy loops', async (ctx) => {
    if (plan.kind === 'none') ctx.skip();
    const box = (await createBox('unit-findings-many', { memoryMiB: 256, pids: 200 })) as Box;
    try {
      startIn(box, 'i=0; while [ $i -lt 60 ]; do sleep 60 & i=$((i+1)); done; wait');
      const samples = await watchUntil(box, (s) => s.mostThreads > 60);
      expect(samples.mostThreads).toBeGreaterThan(60);
      expect(samples.mostRunnable).toBe(0);
      const found = await boxFindings(box, samples, 30);
      expect(found.incidents).toEqual([
        `pids: up to ${samples.mostThreads} processes and threads at once across its sandboxes (the rubric allows 30 in each; its resource box held them within 200)`,
      ]);
    } finally {
      await box.destroy();
    }
  }, 120_000);

  it('names 20 processes that loop as busy loops', async (ctx) => {
    if (plan.kind === 'none') ctx.skip();
    const box = (await createBox('unit-findings-busy', { memoryMiB: 256, pids: 64 })) as Box;
    try {
      startIn(box, 'i=0; while [ $i -lt 20 ]; do (while :; do :; done) & i=$((i+1)); done; wait');
      const samples = await watchUntil(box, (s) => s.mostRunnable > 16);
      expect(samples.mostRunnable).toBeGreaterThan(16);
      const found = await boxFindings(box, samples, 256);
      expect(found.incidents).toEqual([
        `cpu: up to ${samples.mostRunnable} of its threads stayed runnable from one second to the next (busy loops); its resource box held them to an equal share`,
      ]);
    } finally {
      await box.destroy();
    }
  }, 120_000);
});
