import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesUnder } from '../process/process-groups.ts';
import { wrapCommand, type PythonRuntime, type SandboxPlan } from './sandbox.ts';
import { bwrapTestSetup } from '../testing/bwrap-plan.ts';
import { freePort } from '../process/free-port.ts';
import { ServerProcess } from '../process/server-process.ts';

// Real python3 processes under the real sandbox: every misbehaviour the grader promises to
// survive, each checked for its status and for leaving no process behind.

const LIMITS = { cpuSeconds: 30, memoryMiB: 1024, processes: 64, fileSizeMiB: 16 };
let tmp: string;
let python: PythonRuntime;
let bwrapPlan: SandboxPlan | undefined;
const plain: SandboxPlan = { kind: 'none', userNamespace: false };

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'grader-sandbox-'));
  ({ python, plan: bwrapPlan } = await bwrapTestSetup());
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const LISTEN = `
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('localhost', int(sys.argv[1]))); s.listen(5)
`;

/** A server that forks a child into a session of its own (escaping its group) and keeps serving. */
const FORKER = `${LISTEN}
import os, time
if os.fork() == 0:
    os.setsid()
    time.sleep(600)
    os._exit(0)
while True:
    c, _ = s.accept(); c.close()
`;

async function start(name: string, code: string, plan: SandboxPlan, opts: { readyMs?: number; diskBytes?: number; outputBytes?: number } = {}) {
  const ws = path.join(tmp, name);
  await mkdir(ws, { recursive: true });
  await writeFile(path.join(ws, 'server.py'), code);
  const port = await freePort();
  const proc = new ServerProcess({
    argv: wrapCommand([python.executable, 'server.py', String(port)], ws, { plan, limits: LIMITS, python, hide: [tmp] }),
    workspace: ws,
    port,
    readyMs: opts.readyMs ?? 8000,
    outputLimitBytes: opts.outputBytes ?? 4096,
    diskLimitBytes: opts.diskBytes ?? 64 * 1024 * 1024,
  });
  return { ws, port, proc };
}

describe('server processes (plain)', () => {
  it('a crash at start-up is "crashed" with the last stderr line', async () => {
    const { proc } = await start('crash', 'import sys\nprint("starting")\nraise ValueError("boom at start")\n', plain);
    expect(await proc.waitListening()).toEqual({ status: 'crashed', detail: 'ValueError: boom at start' });
    await proc.stop();
  });

  it('a server that never listens is "no-listen" after the ready timeout', async () => {
    const { proc, ws } = await start('sleeper', 'import time\ntime.sleep(600)\n', plain, { readyMs: 800 });
    const failure = await proc.waitListening();
    expect(failure?.status).toBe('no-listen');
    await proc.stop();
    expect(await processesUnder(ws)).toEqual([]);
  });

  it('a flood of output is drained and capped, and the server still starts', async () => {
    const code = `${LISTEN}
import threading
def flood():
    while True:
        sys.stdout.write('x' * 1000 + '\\n')
threading.Thread(target=flood, daemon=True).start()
while True:
    c, _ = s.accept(); c.close()
`;
    const { proc } = await start('flood', code, plain, { outputBytes: 4096 });
    expect(await proc.waitListening()).toBeUndefined();
    await new Promise((r) => setTimeout(r, 300));
    await proc.stop();
    expect(proc.stdout.bytes).toBeGreaterThan(100_000);
    expect(proc.stdout.text().length).toBeLessThan(4096 + 100);
    expect(proc.stdout.text()).toMatch(/bytes of output dropped/);
  });

  it('a server that fills its disk is stopped with "disk-quota"', async () => {
    const code = `${LISTEN}
i = 0
while True:
    with open('junk%d.bin' % i, 'wb') as f:
        f.write(b'x' * 1024 * 1024)
    i += 1
`;
    const { proc, ws } = await start('disk', code, plain, { diskBytes: 8 * 1024 * 1024 });
    await proc.waitListening();
    for (let i = 0; i < 100 && !proc.diskQuotaExceeded; i++) await new Promise((r) => setTimeout(r, 100));
    expect(proc.diskQuotaExceeded).toMatch(/grew past 8 MiB/);
    await proc.stop();
    expect(await processesUnder(ws)).toEqual([]);
  });

  it('a server that forks a detached child leaves nothing behind once stopped', async () => {
    const { proc, ws } = await start('forker', FORKER, plain);
    expect(await proc.waitListening()).toBeUndefined();
    expect((await processesUnder(ws)).length).toBeGreaterThanOrEqual(2);
    await proc.stop();
    expect(await processesUnder(ws)).toEqual([]);
  });
});

describe('bwrap sandbox', () => {
  it('shows a read-only system, hides the kit and other folders, and keeps only the workspace writable', async (ctx) => {
    if (!bwrapPlan) return ctx.skip();
    await writeFile(path.join(tmp, 'secret-rubric.yaml'), 'secret');
    const code = `import os, json
report = {'pid': os.getpid(), 'uid': os.getuid()}
for p in ['/etc/x', '/tmp/x', '/root/x', '/usr/x', 'inside.txt']:
    try:
        open(p, 'w').write('x'); report[p] = 'written'
    except OSError as e:
        report[p] = type(e).__name__
report['kit'] = os.path.exists('/work/main/package.json')
report['rubric'] = os.path.exists(${JSON.stringify(path.join(tmp, 'secret-rubric.yaml'))})
report['procs'] = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
open('report.json', 'w').write(json.dumps(report))
${LISTEN}
while True:
    c, _ = s.accept(); c.close()
`;
    const { proc, ws } = await start('view', code, bwrapPlan as SandboxPlan);
    expect(await proc.waitListening()).toBeUndefined();
    const report = JSON.parse(await readFile(path.join(ws, 'report.json'), 'utf8').finally(() => proc.stop())) as Record<string, unknown>;
    expect(report['inside.txt']).toBe('written');
    for (const p of ['/etc/x', '/tmp/x', '/root/x', '/usr/x']) expect(report[p]).toBe('OSError');
    expect(report.kit).toBe(false);
    expect(report.rubric).toBe(false);
    // Its own PID namespace: only bwrap's init and the server itself are visible.
    expect((report.procs as number[]).length).toBeLessThanOrEqual(3);
    expect(report.pid).toBeLessThan(10);
    expect(await processesUnder(ws)).toEqual([]);
  });

  it('limits the number of processes and threads', async (ctx) => {
    if (!bwrapPlan?.userNamespace) return ctx.skip();
    const code = `import threading, time
n = 0
try:
    for i in range(1000):
        threading.Thread(target=time.sleep, args=(30,), daemon=True).start(); n += 1
except RuntimeError:
    pass
open('threads.txt', 'w').write(str(n))
${LISTEN}
while True:
    c, _ = s.accept(); c.close()
`;
    const { proc, ws } = await start('threads', code, bwrapPlan as SandboxPlan);
    expect(await proc.waitListening()).toBeUndefined();
    const n = Number(await readFile(path.join(ws, 'threads.txt'), 'utf8').finally(() => proc.stop()));
    expect(n).toBeGreaterThan(10);
    expect(n).toBeLessThan(LIMITS.processes + 80);
    expect(n).toBeLessThan(1000);
  });

  it('kills a forked child with the sandbox', async (ctx) => {
    if (!bwrapPlan) return ctx.skip();
    const { proc, ws } = await start('bwrap-forker', FORKER, bwrapPlan as SandboxPlan);
    expect(await proc.waitListening()).toBeUndefined();
    expect((await processesUnder(ws)).length).toBeGreaterThanOrEqual(2);
    await proc.stop();
    expect(await processesUnder(ws)).toEqual([]);
  });
});
