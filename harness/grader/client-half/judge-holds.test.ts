import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnGroup, type GroupProcess } from '../../process/process-groups.ts';
import { ownTimeLine } from '../../process/run-bounded.ts';

// The client judge holds {"status": "ready"} back to see whether a client sends its image early
// (CLNT-1), and the final reply to see whether send_json_message_with_image returns first. Both holds
// decide verdicts, so they run in the hand-in's own time as the grader confirms it on stdin
// (`own OWN AT` lines, run-bounded.ts ownTimeLine): a grader reporting that the machine took all the time
// must keep the hold open, or a starved defective client passes (seen: no-wait-ready 91 instead of 88
// beside 8 busy loops) and a starved honest one fails. The holds here are long (2 s of own time, 4 s
// of starvation) so that a late read of a grace line on a busy machine cannot end one early.

const DRIVER_DIR = fileURLToPath(new URL('../python/', import.meta.url));

// Prints "ready", then holds HOLD seconds of own time and prints how long that took on the clock.
const HOLDER = `
import sys, time
sys.path.insert(0, ${JSON.stringify(DRIVER_DIR)})
import client_driver as d
if sys.argv[1] == "fed":
    d.follow_own_time(sys.stdin.buffer)
print("ready", flush=True)
t = time.monotonic()
d.hold_own(float(sys.argv[2]))
print("held %.3f" % (time.monotonic() - t), flush=True)
`;

const started: GroupProcess[] = [];
afterEach(() => {
  for (const p of started.splice(0)) p.signal('SIGKILL');
});

// Every wait on the holder is bounded (a busy CI machine may be slow, never silent for this long).
const LINE_WAIT_MS = 60_000;

interface Holder {
  proc: GroupProcess;
  /** Before the holder started: own time fed as of this moment is below any hold the holder begins. */
  spawnedAt: number;
  line: (prefix: string) => Promise<string>;
}

function holder(mode: 'fed' | 'alone', holdSeconds: number): Holder {
  const spawnedAt = performance.now();
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
      const timer = setTimeout(() => reject(new Error(`no "${prefix}" line within ${LINE_WAIT_MS} ms; output: ${text}`)), LINE_WAIT_MS);
      timer.unref();
      const look = () => {
        const found = text.split('\n').find((l) => l.startsWith(prefix));
        if (found) {
          clearTimeout(timer);
          resolve(found);
        } else waiters.push(look);
      };
      void proc.exited.then((e) => reject(new Error(`holder exited before "${prefix}": ${JSON.stringify(e)}`)));
      look();
    });
  return { proc, spawnedAt, line };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('the judge holds in own time (client_driver.py hold_own)', () => {
  it('stays open while the grader says the machine took the time, and ends once the hand-in gets it', async () => {
    // Own time is fed from before the holder started, so however late this side reads "ready" on a busy
    // machine, the starved figure is below the hold's start and cannot end it.
    const { proc, spawnedAt, line } = holder('fed', 2);
    await line('ready');
    const held = line('held');
    let finished = false;
    void held.then(() => (finished = true), () => undefined);
    const feedStart = performance.now();
    // Starved: every second on the clock was the machine's, so the own time stays where it started.
    while (performance.now() - feedStart < 4000) {
      proc.child.stdin?.write(ownTimeLine({ ownMs: 0, at: performance.now(), startedAt: spawnedAt }));
      await sleep(20);
    }
    const finishedWhileStarved = finished;
    const starvedMs = performance.now() - feedStart;
    // Then the hand-in runs: its own time moves with the clock, until the hold ends (`held` is bounded).
    const feedOn = setInterval(() => {
      const now = performance.now();
      proc.child.stdin?.write(ownTimeLine({ ownMs: now - feedStart - starvedMs, at: now, startedAt: spawnedAt }));
    }, 20);
    await held.finally(() => clearInterval(feedOn));
    expect(finishedWhileStarved).toBe(false);
    const seconds = Number((await held).split(' ')[1]);
    // A wall-clock hold would have ended after 2 s; this one ran through the starvation, then most of its 2 s
    // (less a late-read line's few ms).
    expect(seconds).toBeGreaterThan(starvedMs / 1000 + 1);
  }, 150_000);

  it('does not count the time a line sat in the pipe: a word on own time read late is read as of when it was measured', async () => {
    // The hand-in gets no time at all (its own time stays at 0), while the judge reads each word
    // later and later, up to 4 s after the grader measured it (its reader starved). Counted from
    // arrival, as the old `grace SECONDS` lines were, each delay would be the hand-in's time and a
    // 3 s hold would end once the delay passed 3 s; counted from when it was measured, the hold
    // stays open.
    const { proc, spawnedAt, line } = holder('fed', 3);
    await line('ready');
    const held = line('held');
    let finished = false;
    void held.then(() => (finished = true), () => undefined);
    const feedStart = performance.now();
    for (let now = feedStart; now - feedStart < 4000; now = performance.now()) {
      const delayMs = now - feedStart;
      proc.child.stdin?.write(ownTimeLine({ ownMs: 0, at: now - delayMs, startedAt: spawnedAt }));
      await sleep(20);
    }
    const finishedWhileLate = finished;
    expect(finishedWhileLate).toBe(false);
  }, 90_000);

  it('a hold that lasts a whole step of the grader’s word (coarse on a busy machine) costs the flow only its length', async () => {
    // The grader's word on own time comes once a second (it reads /proc for a tree of 200 processes
    // on a loaded machine), and the hand-in gets all the time: the 0.15 s hold of "ready" can end
    // only with the next word, a second later. That second was the kit holding the reply back, so the
    // flow's deadline moves on by what the hold took past 0.15 s (seen: fork-many lost client.5.1,
    // 6.1 and 6.2, "sent only 0 bytes after ready", beside a fork bomb and 8 busy loops).
    const script = `
import sys
sys.path.insert(0, ${JSON.stringify(DRIVER_DIR)})
import client_driver as d
d.follow_own_time(sys.stdin.buffer)
proxy = d.RecordingProxy('127.0.0.1', 9)
flow = d.Flow(None, 'client.5.1', 3.0)
flow.proxy = proxy
print("ready", flush=True)
extended = flow.extended_since_now()
proxy._hold(d.HOLD_READY_SECONDS)
print("held %.3f %.3f %.3f" % (proxy.held_back, extended(), flow.remaining()), flush=True)
`;
    const proc = spawnGroup(['python3', '-c', script], { cwd: os.tmpdir(), stdin: 'pipe' });
    started.push(proc);
    let text = '';
    proc.child.stdout?.on('data', (c: Buffer) => (text += c.toString()));
    proc.child.stderr?.on('data', () => undefined);
    const until = performance.now() + 30_000;
    while (!text.includes('ready') && performance.now() < until) await sleep(20);
    const feedStart = performance.now();
    while (!text.includes('held') && performance.now() < until) {
      const now = performance.now();
      proc.child.stdin?.write(ownTimeLine({ ownMs: now - feedStart, at: now, startedAt: feedStart }));
      await sleep(1000);
    }
    const [heldBack, extended, remaining] = (/held (\S+) (\S+) (\S+)/.exec(text) ?? []).slice(1).map(Number);
    expect(heldBack).toBeGreaterThan(0.4);
    expect(extended).toBeCloseTo(heldBack as number, 3);
    // Without giving it back, the flow would have about 2 s left of its 3; with it, 3 s less the hold
    // and the own time that passed around it (the word's run-ahead, at most 0.3 s).
    expect(remaining).toBeGreaterThan(3 - 0.15 - 0.35);
  }, 60_000);

  it('with no grader feeding it (a judge run by hand), holds by the monotonic clock', async () => {
    const { line } = holder('alone', 0.3);
    await line('ready');
    const seconds = Number((await line('held')).split(' ')[1]);
    expect(seconds).toBeGreaterThanOrEqual(0.3);
    expect(seconds).toBeLessThan(30);
  }, 150_000);
});
