import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addressTarget, parseAddress } from './address-target.ts';
import { freePort } from '../process/free-port.ts';
import { splitCommand } from './split-command.ts';
import { spawnedTarget } from './spawned-target.ts';
import { TargetConfigError, TargetStartError } from './target.ts';

const CORRECT = fileURLToPath(new URL('../../fixtures/submissions/correct/', import.meta.url));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitGone(pid: number, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !alive(pid);
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'instanet-spawn-test-'));
  // A server that forks a helper process and never reaps it: stop() must take the whole group down.
  await writeFile(
    path.join(scratch, 'forking.py'),
    [
      'import socket, subprocess, sys',
      'child = subprocess.Popen(["sleep", "300"])',
      'open("child.pid", "w").write(str(child.pid))',
      // Written before it listens: the kit calls it up once a connection is accepted, and a stop
      // right after must not race these lines (seen once: stderr empty, the server stopped first).
      'print("up", flush=True); print("warning on stderr", file=sys.stderr, flush=True)',
      's = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
      's.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5)',
      'while True: s.accept()',
    ].join('\n'),
  );
  await writeFile(path.join(scratch, 'crash.py'), 'import sys\nprint("Traceback: boom", file=sys.stderr)\nsys.exit(3)\n');
  await writeFile(path.join(scratch, 'silent.py'), 'import time\ntime.sleep(300)\n');
  // Ignores the port it is given, as a server with a hard-coded PORT does, and says where it is.
  await writeFile(
    path.join(scratch, 'own-port.py'),
    'import socket, time\ns = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()\nprint(f"Server listening on 127.0.0.1:{s.getsockname()[1]}", flush=True)\ntime.sleep(300)\n',
  );
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('spawnedTarget', () => {
  test('runs a fresh copy with the known users, captures output and kills the whole process group', async () => {
    const target = spawnedTarget({ command: 'python3 forking.py {port}', cwd: scratch });
    const instance = await target.start();
    // The copy the server runs in: the data folder's parent, never the source folder.
    const seen = { workspace: path.dirname(instance.dataDir ?? '') };
    expect(seen.workspace).not.toBe(scratch);
    expect(instance.dataDir).toBe(path.join(seen.workspace, 'data'));
    const users = JSON.parse(await readFile(path.join(instance.dataDir ?? '', 'users', 'users.json'), 'utf8')) as Record<string, { password: string }>;
    expect(Object.keys(users)).toEqual(['user1', 'user2', 'user3', 'user4', 'user5', 'user6']);
    expect(users.user1?.password).toBe('123');
    const childPid = Number(await readFile(path.join(seen.workspace, 'child.pid'), 'utf8'));
    expect(alive(childPid)).toBe(true);
    expect(existsSync(path.join(scratch, 'child.pid'))).toBe(false); // the source folder is untouched
    const stopped = await instance.stop();
    expect(stopped).toEqual({ status: 'ok' });
    expect(await waitGone(childPid)).toBe(true);
    expect(instance.output()).toEqual({ stdout: 'up\n', stderr: 'warning on stderr\n' });
    expect(existsSync(seen.workspace)).toBe(false);
  });

  test('a server that exits at once is a TargetStartError carrying its stderr', async () => {
    const target = spawnedTarget({ command: 'python3 crash.py', cwd: scratch });
    const error = await target.start().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(TargetStartError);
    expect((error as TargetStartError).message).toMatch(/exited before accepting connections \(code 3/);
    expect((error as TargetStartError).output.stderr).toContain('Traceback: boom');
  });

  test('a server that never listens fails after the ready deadline and is killed', async () => {
    const target = spawnedTarget({ command: 'python3 silent.py', cwd: scratch, readyTimeoutMs: 400 });
    const error = await target.start().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(TargetStartError);
    expect((error as Error).message).toMatch(/did not accept connections on port \d+ within 400 ms/);
  });

  test('a server that says it listens on another port is a TargetStartError that names both ports', async () => {
    const target = spawnedTarget({ command: 'python3 own-port.py --port {port}', cwd: scratch, readyTimeoutMs: 30_000 });
    const error = await target.start().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(TargetStartError);
    expect((error as Error).message).toMatch(/printed "Server listening on 127\.0\.0\.1:(\d+)": it listens on port \1, not on \d+, the port the kit put in place of \{port\}/);
  });

  test('preflight rejects a command without {port}, a missing --cwd and a program not on PATH, starting nothing', async () => {
    const preflight = (command: string, cwd = scratch) => spawnedTarget({ command, cwd }).preflight?.().then(() => undefined, (e: unknown) => e);
    expect(await preflight('python3 silent.py')).toMatchObject({ code: 'INSTANET_ERR_TARGET_CONFIG', message: expect.stringMatching(/must contain \{port\}/) });
    expect(await preflight('python3 x.py {port}', path.join(scratch, 'missing'))).toMatchObject({ code: 'INSTANET_ERR_TARGET_CONFIG' });
    expect(await preflight('no-such-python3 x.py {port}')).toMatchObject({ code: 'INSTANET_ERR_ENVIRONMENT', message: expect.stringMatching(/not on PATH/) });
    expect(await preflight('python3 x.py --port {port}')).toBeUndefined();
  });

  test('an address target with nothing listening fails its preflight as an environment problem', async () => {
    const port = await freePort();
    const error = await addressTarget(`127.0.0.1:${port}`).preflight?.().then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'INSTANET_ERR_ENVIRONMENT', message: expect.stringContaining(`nothing accepts connections at 127.0.0.1:${port}`) });
  });

  test('the course sample starts and answers on its port', async () => {
    const instance = await spawnedTarget({ command: 'python3 server.py --port {port}', cwd: CORRECT }).start();
    try {
      expect(instance.output().stdout).toContain(`Server listening on localhost:${instance.port}`);
    } finally {
      await instance.stop();
    }
  });

  test('configuration mistakes are TargetConfigErrors', async () => {
    await expect(spawnedTarget({ command: 'python3 x.py', cwd: path.join(scratch, 'missing') }).start()).rejects.toBeInstanceOf(TargetConfigError);
    expect(() => spawnedTarget({ command: '  ', cwd: scratch })).toThrow(TargetConfigError);
    expect(() => parseAddress('localhost')).toThrow(TargetConfigError);
    expect(parseAddress('127.0.0.1:5001')).toEqual({ host: '127.0.0.1', port: 5001 });
    expect(parseAddress('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseAddress(':5000')).toEqual({ host: '127.0.0.1', port: 5000 });
  });
});

describe('splitCommand', () => {
  test.each([
    ['python3 server.py --port {port}', ['python3', 'server.py', '--port', '{port}']],
    ['"my python" \'a b\' c\\ d', ['my python', 'a b', 'c d']],
    ['x "" y', ['x', '', 'y']],
    ['a "b \\" c"', ['a', 'b " c']],
  ])('%s', (line, argv) => {
    expect(splitCommand(line)).toEqual(argv);
  });
  test('an unterminated quote is an error', () => {
    expect(() => splitCommand('a "b')).toThrow(/unterminated/);
  });
});
