import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnGroup, type GroupProcess } from './process-groups.ts';
import { processTree, sampleThreads, type ThreadSample } from './thread-sample.ts';

// Real python3 processes, read through the real /proc: what the own-time clock will see of a
// hand-in that waits for input, sleeps, spins, or hides a child behind setsid().

const started: GroupProcess[] = [];
afterEach(() => {
  for (const g of started.splice(0)) g.signal('SIGKILL');
});

// The interpreter itself, not a pyenv shim (a shell script that would add processes of its own).
const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

function python(code: string): GroupProcess {
  const g = spawnGroup([PYTHON, '-c', code], { cwd: os.tmpdir() });
  started.push(g);
  return g;
}

/** Samples the tree until `ok` holds (bounded: python3 may be slow to start on a busy machine). */
async function until(pid: number, ok: (threads: ThreadSample[], tree: number[]) => boolean): Promise<{ threads: ThreadSample[]; tree: number[] }> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const tree = await processTree(pid);
    const threads = await sampleThreads(tree);
    if (ok(threads, tree)) return { threads, tree };
    if (Date.now() > deadline) return { threads, tree };
    await new Promise((r) => setTimeout(r, 50));
  }
}

const linuxX64 = process.platform === 'linux' && process.arch === 'x64';

describe.runIf(linuxX64)('sampleThreads on real processes', () => {
  it('a server blocked in accept() is waiting for input', async () => {
    const g = python('import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); s.accept()');
    const { threads } = await until(g.pid as number, (t) => t.some((x) => x.state === 'S' && x.wait === 'input'));
    expect(threads.map((t) => `${t.state}/${t.wait}`)).toEqual(['S/input']);
  });

  it('time.sleep is a timer wait: the hand-in’s own choice of time', async () => {
    const g = python('import time; time.sleep(60)');
    const { threads } = await until(g.pid as number, (t) => t.some((x) => x.wait === 'timer'));
    expect(threads.map((t) => `${t.state}/${t.wait}`)).toEqual(['S/timer']);
  });

  it('a busy loop is runnable and its CPU time grows', async () => {
    const g = python('while True: pass');
    const first = await until(g.pid as number, (t) => t.some((x) => x.cpuNs > 0n));
    const second = await until(g.pid as number, (t) => (t[0]?.cpuNs ?? 0n) > (first.threads[0]?.cpuNs ?? 0n) + 20_000_000n);
    expect(second.threads[0]?.state).toBe('R');
  });

  it('a child that called setsid() is still in the tree, and so are its threads', async () => {
    const g = python(
      'import os, threading, time\n' +
        'if os.fork() == 0:\n    os.setsid()\n    threading.Thread(target=time.sleep, args=(60,)).start()\n    time.sleep(60)\n' +
        'else:\n    time.sleep(60)',
    );
    const { threads, tree } = await until(g.pid as number, (t, tr) => tr.length === 2 && t.length === 3);
    expect(tree).toHaveLength(2);
    expect(threads).toHaveLength(3);
  });
});
