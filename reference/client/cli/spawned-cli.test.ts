import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startReferenceServer, type TestReferenceServer } from '../test-support/reference-server.ts';
import { freePortForRefusal, onJsonRequests, startFakeServer } from '../test-support/fake-server.ts';
import { runClientCli } from './client-command.ts';
import { memoryIo } from '../test-support/memory-io.ts';

// The real `instanet client` process: exit codes, stdout/stderr split, and the shell on piped stdin.

const INSTANET = fileURLToPath(new URL('../../../harness/cli/instanet.mjs', import.meta.url));

function instanet(args: string[], stdin = ''): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [INSTANET, 'client', ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`instanet client ${args.join(' ')} did not finish: ${out} ${err}`));
    }, 30_000);
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
    child.stdin.end(stdin);
  });
}

describe('instanet client as a process', () => {
  let ref: TestReferenceServer;
  beforeAll(async () => {
    ref = await startReferenceServer();
  });
  afterAll(() => ref?.stop());

  it('exit 0 with JSON on stdout', async () => {
    const result = await instanet(['--port', String(ref.port), '-u', 'user1', '--password', '123', '--json', 'users']);
    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    expect(JSON.parse(result.out)).toMatchObject({ ok: true, command: 'users', user: 'user1', result: { users: ['user1', 'user2', 'user3', 'user4', 'user5', 'user6'] } });
  });

  it('exit 2 on a usage error and 3 when nothing listens', async () => {
    const usage = await instanet(['-u', 'user1', '--password', '123', 'dm']);
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/missing required argument 'user'/);
    const port = await freePortForRefusal();
    const refused = await instanet(['--port', String(port), '-u', 'user1', '--password', '123', 'feed']);
    expect(refused.code).toBe(3);
    expect(refused.out).toBe('');
    expect(refused.err).toBe(`instanet client: cannot connect to 127.0.0.1:${port}: connection refused — is the server running? try \`instanet serve\`, or check --host/--port\n`);
  });

  it('runs the shell on piped stdin', async () => {
    const result = await instanet(['shell', '--port', String(ref.port), '--no-poll'], 'user2\n123\ndm user1 مرحبا\nmessages user1\n');
    expect(result.code).toBe(0);
    expect(result.out).toContain('Connected to');
    expect(result.out).toMatch(/\] user2: مرحبا\n/u);
  });
});

describe('instanet client --lenient', () => {
  it('strict: exit 3 naming the bad field; lenient: done, with a warning', async () => {
    const fake = await startFakeServer((socket) =>
      onJsonRequests(socket, (request) => {
        if (request.action === 'login') socket.write('{"status": "success", "message": "Login successful", "token": "abc"}');
        else socket.write('{"status": "success", "user_data": {"friends": ["user2"], "requests": []}}');
      }),
    );
    try {
      const args = ['--port', String(fake.port), '-u', 'user1', '--password', '123'];
      const strict = memoryIo();
      expect(await runClientCli([...args, 'friends'], strict.io)).toBe(3);
      expect(strict.err()).toMatch(/login: unexpected reply: \(reply\): Unrecognized key\(s\) in object: 'token' — bytes .* — the reply does not match the protocol; rerun with --lenient/);
      const lenient = memoryIo();
      expect(await runClientCli([...args, '--lenient', 'friends'], lenient.io)).toBe(0);
      expect(lenient.out()).toBe('1 friend:\n  user2\n');
      expect(lenient.err()).toMatch(/^warning: login reply \(reply\): Unrecognized key\(s\) in object: 'token' \(AUTH-1\)\n$/);
    } finally {
      await fake.close();
    }
  });
});
