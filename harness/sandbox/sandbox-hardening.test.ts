import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameDecoder, encodeJson } from '../../spec/codec/index.ts';
import { runBounded } from '../process/run-bounded.ts';
import { processesUnder } from '../process/process-groups.ts';
import { SANDBOX_UID_BASE } from './sandbox-uid.ts';
import { listenOutbound } from './sandbox-relay.ts';
import { sandboxCommand, type PythonRuntime, type SandboxPlan, type WrapOptions } from './sandbox.ts';
import { bwrapTestSetup } from '../testing/bwrap-plan.ts';
import { SandboxedTarget } from '../grader/server-half/sandboxed-target.ts';
import { freePort } from '../process/free-port.ts';
import { ServerProcess } from '../process/server-process.ts';
import { prepareWorkspace } from '../grader/submissions/workspace.ts';
import type { Rubric } from '../grader/rubric/format.ts';

// Each row of issue 14's report, reproduced for real under the bwrap sandbox: the attack runs as a
// small Python program and the test shows it contained. No timing is asserted; every wait is bounded.

const LIMITS = { cpuSeconds: 30, memoryMiB: 1024, processes: 16, fileSizeMiB: 16 };
const CORRECT = fileURLToPath(new URL('../../fixtures/submissions/correct', import.meta.url));
let tmp: string;
let python: PythonRuntime;
let plan: SandboxPlan | undefined;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'grader-harden-'));
  ({ python, plan } = await bwrapTestSetup());
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let count = 0;
async function workspace(): Promise<string> {
  const ws = path.join(tmp, `ws-${++count}`);
  await mkdir(ws, { recursive: true });
  return ws;
}

/** Runs a Python program to completion in a fresh sandboxed workspace; its stdout is JSON. */
async function runInside(code: string, extra: Partial<WrapOptions> = {}): Promise<{ report: Record<string, unknown>; ws: string; uid?: number }> {
  const ws = await workspace();
  await writeFile(path.join(ws, 'probe.py'), code);
  const wrapped = sandboxCommand([python.executable, 'probe.py'], ws, { plan: plan as SandboxPlan, limits: LIMITS, python, hide: [tmp], ...extra });
  const ran = await runBounded(wrapped.argv, { cwd: ws, timeoutMs: 20_000, outputLimitBytes: 64 * 1024 });
  const text = ran.stdout.trim();
  if (!text) throw new Error(`no report; stderr: ${ran.stderr}`);
  return { report: JSON.parse(text.split('\n').pop() as string) as Record<string, unknown>, ws, ...(wrapped.uid !== undefined ? { uid: wrapped.uid } : {}) };
}

function listenHost(): Promise<net.Server> {
  return new Promise((resolve) => {
    const server = net.createServer((s) => s.end('hello from the host'));
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

const portOf = (server: net.Server) => (server.address() as net.AddressInfo).port;

describe('bwrap sandbox hardening (issue 14)', () => {
  it('runs as an unprivileged uid of its own: /etc/shadow is unreadable', async (ctx) => {
    if (!plan?.userNamespace) return ctx.skip();
    const { report, uid } = await runInside(`import os, json
try:
    open('/etc/shadow').read(); shadow = 'read'
except OSError as e:
    shadow = type(e).__name__
print(json.dumps({'uid': os.getuid(), 'shadow': shadow, 'map': open('/proc/self/uid_map').read().split()}))
`);
    expect(report.shadow).toBe('PermissionError');
    expect(report.uid).toBe(1000);
    const [inside, outside] = report.map as string[];
    expect(inside).toBe('1000');
    expect(Number(outside)).not.toBe(0);
    if (plan.sandboxUid) {
      expect(uid).toBeGreaterThanOrEqual(SANDBOX_UID_BASE);
      expect(Number(outside)).toBe(uid);
    }
  });

  it('gives two sandboxes two different host uids', async (ctx) => {
    if (!plan?.sandboxUid) return ctx.skip();
    const code = 'import json\nprint(json.dumps({}))\n';
    const [a, b] = [await runInside(code), await runInside(code)];
    expect(a.uid).not.toBe(b.uid);
  });

  it('clears the environment: a canary in the grader\'s environment is absent inside', async (ctx) => {
    if (!plan) return ctx.skip();
    process.env.INSTANET_CANARY_14 = 'secret-token';
    try {
      const { report, ws } = await runInside('import os, json\nprint(json.dumps(dict(os.environ)))\n');
      expect(report.INSTANET_CANARY_14).toBeUndefined();
      expect(Object.keys(report).sort()).toEqual(
        expect.arrayContaining(['HOME', 'LANG', 'LC_ALL', 'PATH', 'PYTHONDONTWRITEBYTECODE', 'TMPDIR']),
      );
      expect(report.HOME).toBe(ws);
      expect(Object.keys(report).length).toBeLessThan(15);
    } finally {
      delete process.env.INSTANET_CANARY_14;
    }
  });

  it('caps a fork loop at the process limit (EAGAIN) and leaves nothing behind', async (ctx) => {
    if (!plan?.userNamespace) return ctx.skip();
    const { report, ws } = await runInside(`import os, time, errno, json
n, err = 0, None
for i in range(200):
    try:
        pid = os.fork()
    except OSError as e:
        err = errno.errorcode[e.errno]
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    n += 1
print(json.dumps({'forked': n, 'error': err}))
`);
    expect(report.error).toBe('EAGAIN');
    expect(report.forked).toBeGreaterThan(2);
    expect(report.forked).toBeLessThan(LIMITS.processes);
    expect(await processesUnder(ws)).toEqual([]);
  });

  it('isolates the network: a host listener is unreachable and /proc/net/tcp shows no host sockets', async (ctx) => {
    if (!plan?.isolatedNetwork) return ctx.skip();
    const host = await listenHost();
    try {
      const port = portOf(host);
      const { report } = await runInside(
        `import socket, json
s = socket.socket(); s.settimeout(5)
try:
    s.connect(('127.0.0.1', ${port})); result = 'connected'
except OSError as e:
    result = type(e).__name__
rows = [l.split() for l in open('/proc/net/tcp').read().splitlines()[1:]]
print(json.dumps({'connect': result, 'ports': [int(r[1].split(':')[1], 16) for r in rows]}))
`,
        { network: 'isolated' },
      );
      expect(report.connect).toBe('ConnectionRefusedError');
      expect(report.ports).not.toContain(port);
      expect(report.ports).toEqual([]);
    } finally {
      host.close();
    }
  });

  it('sizes /dev/shm: writing past its size fails', async (ctx) => {
    if (!plan) return ctx.skip();
    const { report } = await runInside(`import json
out = {}
for name, mib in (('small', 1), ('big', 64)):
    try:
        with open('/dev/shm/' + name, 'wb') as f:
            for _ in range(mib):
                f.write(b'x' * 1024 * 1024)
        out[name] = 'written'
    except OSError as e:
        out[name] = type(e).__name__ + ':' + str(e.errno)
print(json.dumps(out))
`);
    expect(report.small).toBe('written');
    expect(report.big).toBe('OSError:28'); // ENOSPC
  });

  it('stops a server creating thousands of empty files with "disk-quota" (too many files)', async (ctx) => {
    if (!plan) return ctx.skip();
    const ws = await workspace();
    const port = await freePort();
    await writeFile(
      path.join(ws, 'server.py'),
      `import socket, os
s = socket.socket(); s.bind(('127.0.0.1', ${port})); s.listen(5)
os.makedirs('junk', exist_ok=True)
i = 0
while True:
    open('junk/%d' % i, 'w').close(); i += 1
`,
    );
    const proc = new ServerProcess({
      argv: sandboxCommand([python.executable, 'server.py'], ws, { plan, limits: LIMITS, python, hide: [tmp] }).argv,
      workspace: ws,
      port,
      readyMs: 8000,
      outputLimitBytes: 4096,
      diskLimitBytes: 64 * 1024 * 1024,
      fileLimit: 500,
    });
    try {
      await proc.waitListening();
      for (let i = 0; i < 200 && !proc.diskQuotaExceeded; i++) await new Promise((r) => setTimeout(r, 100));
      expect(proc.diskQuotaExceeded).toMatch(/more than 500 files \(too many files\)/);
    } finally {
      await proc.stop();
    }
    expect(await processesUnder(ws)).toEqual([]);
  });

  it('still serves the sample server through the relay: login answers "Login successful"', async (ctx) => {
    if (!plan?.isolatedNetwork) return ctx.skip();
    const base = await workspace();
    const rubric = { users: { count: 6, prefix: 'user', password: '123' } } as unknown as Rubric; // only users are read
    await prepareWorkspace(CORRECT, base, rubric);
    const options = { plan, limits: LIMITS, python, hide: [tmp] };
    const target = new SandboxedTarget({
      baseWorkspace: base,
      scratch: path.join(tmp, 'scratch'),
      command: [python.executable, 'server.py', '--port', '{port}'],
      wrap: (argv, ws, expose) => sandboxCommand(argv, ws, { ...options, expose: [expose] }),
      readyMs: 15_000,
      outputLimitBytes: 8192,
      diskLimitBytes: 64 * 1024 * 1024,
      description: 'correct sample, isolated network',
    });
    const instance = await target.start();
    try {
      const reply = await request(instance.port, { action: 'login', username: 'user1', password: '123' });
      expect(reply).toEqual({ status: 'success', message: 'Login successful' });
    } finally {
      expect(await instance.stop()).toEqual({ status: 'ok' });
      await target.abort();
    }
  });

  it('lets code inside reach a host service only through an outbound relay', async (ctx) => {
    if (!plan?.isolatedNetwork) return ctx.skip();
    const host = await listenHost();
    const socketDir = path.join(tmp, `out-${++count}`);
    try {
      const port = portOf(host);
      const code = `import socket, json
s = socket.create_connection(('127.0.0.1', ${port}), timeout=5)
data = b''
while True:
    chunk = s.recv(100)
    if not chunk: break
    data += chunk
print(json.dumps({'got': data.decode()}))
`;
      const ws = await workspace();
      await writeFile(path.join(ws, 'probe.py'), code);
      const wrapped = sandboxCommand([python.executable, 'probe.py'], ws, { plan, limits: LIMITS, python, hide: [tmp], connect: [{ socketDir, port }] });
      expect(wrapped.network).toBe('isolated');
      const relay = await listenOutbound({ socketPath: wrapped.connectSockets[0] as string, port });
      try {
        const ran = await runBounded(wrapped.argv, { cwd: ws, timeoutMs: 20_000, outputLimitBytes: 64 * 1024 });
        expect(JSON.parse(ran.stdout.trim())).toEqual({ got: 'hello from the host' });
      } finally {
        await relay.close();
      }
      expect((await stat(socketDir)).isDirectory()).toBe(true);
    } finally {
      host.close();
    }
  });
});

function request(port: number, body: Record<string, string>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const decoder = new FrameDecoder();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no reply within 10 s'));
    }, 10_000);
    socket.on('connect', () => socket.write(encodeJson(body)));
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk);
      const frame = decoder.next();
      if (frame?.kind === 'json') {
        clearTimeout(timer);
        socket.destroy();
        resolve(frame.value);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

