import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeJson } from '../../spec/codec/index.ts';
import { spawnGroup, type GroupProcess } from '../process/process-groups.ts';
import { treeProbe } from '../process/tree-probe.ts';
import { ScenarioConnection } from './connection.ts';
import { StepFailure } from './step-failure.ts';
import { WireLog } from './wire-log.ts';
import { canThrottle, throttledCpuGroup, type ThrottledCpuGroup } from '../testing/throttled-cpu-group.ts';

// "Time in which the hand-in was runnable but not scheduled never counts against it", shown with a
// real starved server: a Python server in a cgroup allowed 4% of one CPU (CFS quota), so a reply
// that takes it ~80 ms of CPU takes ~2 s on the wall clock. A wall-clock judge with a 1 s budget
// fails it; the own-time judge must not, whatever else the machine is doing. The same cgroup makes
// the other two rules visible: a server blocked on input is stuck at once, and one that spins is
// charged the CPU it gets.

const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

/** More than loopback's socket buffers hold, so the write waits on the server's reads. */
const BIG = 16 * 1024 * 1024;

// Reads a request, burns CPU for BURN loop turns, answers; MODE "silent" never answers, "spin" spins;
// "slowread" reads BIG bytes burning BURN turns per read; "deaf" never reads at all; "close" burns,
// then closes instead of answering; "idle" drops the client after 0.6 s without a request (an idle
// limit: a timed wait).
const SERVER = `
import json, socket, sys, time
mode, burn = sys.argv[1], int(sys.argv[2])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
if mode == "idle":
    c.settimeout(0.6)
    try:
        c.recv(4096)
    except socket.timeout:
        c.close()
    time.sleep(3600)
if mode == "deaf":
    time.sleep(3600)
if mode == "slowread":
    got = 0
    while got < ${BIG}:
        got += len(c.recv(65536))
        n = 0
        for i in range(burn):
            n += i * i
    time.sleep(3600)
c.recv(4096)
if mode == "silent":
    c.recv(4096)
while mode == "spin":
    pass
n = 0
for i in range(burn):
    n += i * i
if mode == "close":
    c.close()
    time.sleep(3600)
c.sendall(json.dumps({"status": "success", "n": n % 7}).encode())
c.recv(4096)
`;

const throttled = canThrottle();
let group: ThrottledCpuGroup;
const started: GroupProcess[] = [];

beforeAll(() => {
  if (throttled) group = throttledCpuGroup('own-time-test', 4);
});

afterEach(() => {
  for (const g of started.splice(0)) g.signal('SIGKILL');
});

afterAll(async () => {
  if (throttled) await group.remove();
});

/** Starts the server inside the throttled group (it joins before python runs) and returns its port. */
async function startThrottled(mode: 'answer' | 'silent' | 'spin' | 'slowread' | 'deaf' | 'close' | 'idle', burn: number): Promise<{ port: number; proc: GroupProcess }> {
  const argv = group.wrap([PYTHON, '-c', SERVER, mode, String(burn)]);
  const proc = spawnGroup(argv, { cwd: os.tmpdir() });
  started.push(proc);
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    proc.child.stdout?.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.includes('\n')) resolve(Number(text.trim()));
    });
    void proc.exited.then((e) => reject(new Error(`server exited: ${JSON.stringify(e)}`)));
  });
  return { port, proc };
}

/** Runs `exchange` on a connection to the server, judged by its own time; the outcome is a value or the error. */
async function timed(port: number, proc: GroupProcess, exchange: (conn: ScenarioConnection) => Promise<unknown>): Promise<{ wallMs: number; outcome: unknown }> {
  const probe = treeProbe({ pid: () => proc.pid, running: () => proc.exit() === undefined });
  const wire = new WireLog('own-time test');
  const conn = await ScenarioConnection.open('c', '127.0.0.1', port, 10_000, wire, probe);
  const at = performance.now();
  try {
    const outcome = await exchange(conn).catch((error: unknown) => error);
    return { wallMs: performance.now() - at, outcome };
  } finally {
    conn.destroy();
    wire.finish('end');
  }
}

/** Asks for a reply within `budgetMs` of the server's own time. */
const ask = (port: number, proc: GroupProcess, budgetMs: number) =>
  timed(port, proc, async (conn) => {
    await conn.write([encodeJson({ action: 'get_all_users' })], 0, 'json', 'the request');
    return (await conn.readJson(budgetMs, 'a reply')).value;
  });

/** Writes BIG bytes in one piece within `budgetMs` of the server's own time. */
const push = (port: number, proc: GroupProcess, budgetMs: number) =>
  timed(port, proc, (conn) => conn.writeWithin([Buffer.alloc(BIG, 0x61)], 0, 'raw', 'raw bytes', budgetMs).then(() => 'taken'));

/** Sends a request (unless `quiet`), then expects the server to close within `budgetMs` of its own time. */
const closing = (port: number, proc: GroupProcess, budgetMs: number, quiet = false) =>
  timed(port, proc, async (conn) => {
    if (!quiet) await conn.write([encodeJson({ action: 'get_all_users' })], 0, 'json', 'the request');
    await conn.expectClosed(budgetMs);
    return 'closed';
  });

describe.runIf(throttled)('waits in the server’s own time (a real server held to 4% of a CPU)', () => {
  it('a reply that needs more wall time than the budget, only because the server was not scheduled, still counts', async () => {
    const { port, proc } = await startThrottled('answer', 3_000_000);
    const { wallMs, outcome } = await ask(port, proc, 1000);
    expect(outcome).toMatchObject({ status: 'success' });
    // The precondition that makes the test mean something: by the wall clock the budget was blown.
    expect(wallMs).toBeGreaterThan(1000);
  });

  it('a server blocked on input with everything delivered is stuck: it fails well before its budget, marked own-time', async () => {
    const { port, proc } = await startThrottled('silent', 0);
    const { outcome } = await ask(port, proc, 30_000);
    expect(outcome).toBeInstanceOf(StepFailure);
    const failure = outcome as StepFailure;
    expect(failure.kind).toBe('timeout');
    expect(failure.ownTime).toBe(true);
    expect(failure.actual).toMatch(/none can come: every thread of the server \(1\) is blocked waiting for input/);
  });

  it('a spinning server uses up its budget with the CPU it gets: it fails, charged in own time, not as the kit’s', async () => {
    const { port, proc } = await startThrottled('spin', 0);
    const { outcome } = await ask(port, proc, 200);
    expect(outcome).toBeInstanceOf(StepFailure);
    expect((outcome as StepFailure).actual).toMatch(/^no reply within 200 ms \(\d+ ms of the server's own time/);
  });

  it('a write the server reads slowly only because it is not scheduled is taken within a budget the wall clock blew', async () => {
    const { port, proc } = await startThrottled('slowread', 10_000);
    const { wallMs, outcome } = await push(port, proc, 1000);
    expect(outcome).toBe('taken');
    expect(wallMs).toBeGreaterThan(1000);
  });

  it('a server that never reads costs the write its budget in own time, then a timeout that says it stopped reading', async () => {
    const { port, proc } = await startThrottled('deaf', 0);
    const { outcome } = await push(port, proc, 500);
    expect(outcome).toBeInstanceOf(StepFailure);
    expect((outcome as StepFailure).kind).toBe('timeout');
    expect((outcome as StepFailure).actual).toMatch(/^it stopped reading: not all 16777216 byte\(s\) were taken within \d+ ms of the server's own time/);
  });

  it('a close that needs more wall time than the budget, only because the server was not scheduled, still counts', async () => {
    const { port, proc } = await startThrottled('close', 3_000_000);
    const { wallMs, outcome } = await closing(port, proc, 1000);
    expect(outcome).toBe('closed');
    expect(wallMs).toBeGreaterThan(1000);
  });

  it('a server that keeps an idle limit sleeps in a timed wait: not stuck, and its close comes', async () => {
    const { port, proc } = await startThrottled('idle', 0);
    const { outcome } = await closing(port, proc, 5000, true);
    expect(outcome).toBe('closed');
  });

  it('a server blocked on input with no timeout can never close: it fails well before its budget, marked own-time', async () => {
    const { port, proc } = await startThrottled('silent', 0);
    const { wallMs, outcome } = await closing(port, proc, 30_000);
    expect(outcome).toBeInstanceOf(StepFailure);
    const failure = outcome as StepFailure;
    expect(failure.ownTime).toBe(true);
    expect(failure.actual).toMatch(/^still open, and no close can come: every thread of the server \(1\) is blocked waiting for input/);
    expect(wallMs).toBeLessThan(30_000);
  });
});
