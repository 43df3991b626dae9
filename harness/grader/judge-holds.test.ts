import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnGroup, type GroupProcess } from '../process/process-groups.ts';

// The client judge holds {"status": "ready"} back to see whether a client sends its image early
// (CLNT-1), and the final reply to see whether send_json_message_with_image returns first. Both holds
// decide verdicts, so they run in the hand-in's own time as the grader confirms it on stdin
// (`grace SECONDS` lines, run-bounded.ts): a grader reporting that the machine took all the time
// must keep the hold open, or a starved defective client passes (seen: no-wait-ready 91 instead of 88
// beside 8 busy loops) and a starved honest one fails. The holds here are long (2 s of own time, 4 s
// of starvation) so that a late read of a grace line on a busy machine cannot end one early.

const DRIVER_DIR = fileURLToPath(new URL('./python/', import.meta.url));

// Prints "ready", then holds HOLD seconds of own time and prints how long that took on the clock.
const HOLDER = `
import sys, time
sys.path.insert(0, ${JSON.stringify(DRIVER_DIR)})
import client_driver as d
if sys.argv[1] == "fed":
    d.follow_grace(sys.stdin.buffer)
print("ready", flush=True)
t = time.monotonic()
d.hold_own(float(sys.argv[2]))
print("held %.3f" % (time.monotonic() - t), flush=True)
`;

const started: GroupProcess[] = [];
afterEach(() => {
  for (const p of started.splice(0)) p.signal('SIGKILL');
});

function holder(mode: 'fed' | 'alone', holdSeconds: number): { proc: GroupProcess; line: (prefix: string) => Promise<string> } {
  const proc = spawnGroup(['python3', '-c', HOLDER, mode, String(holdSeconds)], { cwd: os.tmpdir(), stdin: 'pipe' });
  started.push(proc);
  let text = '';
  proc.child.stderr?.on('data', () => undefined);
  const waiters: (() => void)[] = [];
  proc.child.stdout?.on('data', (c: Buffer) => {
    text += c.toString();
    for (const w of waiters.splice(0)) w();
  });
  const line = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const look = () => {
        const found = text.split('\n').find((l) => l.startsWith(prefix));
        if (found) resolve(found);
        else waiters.push(look);
      };
      void proc.exited.then((e) => reject(new Error(`holder exited before "${prefix}": ${JSON.stringify(e)}`)));
      look();
    });
  return { proc, line };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('the judge holds in own time (client_driver.py hold_own)', () => {
  it('stays open while the grader says the machine took the time, and ends once the hand-in gets it', async () => {
    const { proc, line } = holder('fed', 2);
    await line('ready');
    const held = line('held');
    let finished = false;
    void held.then(() => (finished = true), () => undefined);
    const feedStart = performance.now();
    const grace = () => (performance.now() - feedStart) / 1000;
    // Starved: every second on the clock was the machine's.
    while (performance.now() - feedStart < 4000) {
      proc.child.stdin?.write(`grace ${grace().toFixed(3)}\n`);
      await sleep(20);
    }
    const finishedWhileStarved = finished;
    const starvedFor = grace();
    // Then the hand-in runs: the grace stays where it was, so own time moves with the clock.
    const until = performance.now() + 60_000;
    while (!finished && performance.now() < until) {
      proc.child.stdin?.write(`grace ${starvedFor.toFixed(3)}\n`);
      await sleep(20);
    }
    expect(finishedWhileStarved).toBe(false);
    const seconds = Number((await held).split(' ')[1]);
    // A wall-clock hold would have ended after 2 s; this one ran through the starvation, then most of its 2 s
    // (less a late-read line's few ms).
    expect(seconds).toBeGreaterThan(starvedFor + 1);
  }, 90_000);

  it('with no grader feeding it (a judge run by hand), holds by the monotonic clock', async () => {
    const { line } = holder('alone', 0.3);
    await line('ready');
    const seconds = Number((await line('held')).split(' ')[1]);
    expect(seconds).toBeGreaterThanOrEqual(0.3);
    expect(seconds).toBeLessThan(30);
  }, 60_000);
});
