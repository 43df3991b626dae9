import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { InstaNetClient } from '../index.ts';
import { runClientCli } from '../cli/client-command.ts';
import { memoryIo, type MemoryIo } from '../test-support/memory-io.ts';
import { startReferenceServer, type TestReferenceServer } from '../test-support/reference-server.ts';
import { startPythonSample } from '../test-support/python-sample.ts';

// The shell driven through piped stdin (non-TTY readline), against the reference server over TCP.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});

async function server(options: Parameters<typeof startReferenceServer>[0] = {}): Promise<TestReferenceServer> {
  const running = await startReferenceServer(options);
  cleanups.push(() => running.stop());
  return running;
}

function startShell(args: string[]): { memory: MemoryIo; exited: Promise<number> } {
  const memory = memoryIo();
  const exited = runClientCli(['shell', '--history-file', '', ...args], memory.io);
  cleanups.push(async () => {
    memory.stdin.end();
    await exited;
  });
  return { memory, exited };
}

describe('instanet client shell', () => {
  const targets = [
    { name: 'reference server', start: () => server() },
    {
      name: 'correct Python sample',
      start: async () => {
        const sample = await startPythonSample('correct');
        cleanups.push(() => sample.stop());
        return sample;
      },
    },
  ];

  it.each(targets)('logs in, sends a DM, and shows the reply when polling finds it ($name)', async (target) => {
    const { port } = await target.start();
    const { memory, exited } = startShell(['--port', String(port), '--poll-interval', '200']);
    // Credentials are asked for when not given as flags.
    memory.stdin.write('user1\n123\n');
    await memory.waitFor('Connected to 127.0.0.1:');
    expect(memory.out()).toContain('as user1.');

    memory.stdin.write('dm user2 hello from the shell 👋\n');
    await memory.waitFor('Message sent to user2');

    const user2 = await InstaNetClient.connect({ port, timeoutMs: 5000 });
    await user2.login('user2', '123');
    await user2.sendMessage('user2', 'user1', 'وصلت الرسالة ✅');
    await user2.sendFriendRequest('user2', 'user1');
    await user2.close();

    await memory.waitFor('💬 user2: وصلت الرسالة ✅');
    await memory.waitFor('🔔 friend request from user2');
    memory.stdin.write('accept user2\nmessages user2\nquit\n');
    expect(await exited).toBe(0);
    const out = memory.out();
    expect(out).toContain('Friend request accepted: user2');
    expect(out).toMatch(/\] user1: hello from the shell 👋\n.*\] user2: وصلت الرسالة ✅\n/u);
    // The notice appears once, not on every poll.
    expect(out.split('💬 user2: وصلت الرسالة ✅').length).toBe(2);
    expect(memory.err()).toBe('');
  });

  it('has help, reports errors inline and keeps going', async () => {
    const { port } = await server();
    const { memory, exited } = startShell(['--port', String(port), '-u', 'user1', '--password', '123', '--no-poll']);
    memory.stdin.write('help\nfrends\naccept user6\ndm\nwhoami\nusers --json\nhistory\n');
    memory.stdin.end();
    expect(await exited).toBe(0);
    const out = memory.out();
    expect(out).toContain('Polling is off');
    expect(out).toMatch(/ {2}dm <user> <text\.\.\.> +send a direct message/);
    expect(out).toContain('error: unknown command `frends` — did you mean `friends`?');
    expect(out).toContain('error: server said error: Invalid request (accept_friend_request)');
    expect(out).toContain('error: dm: missing <user>');
    expect(out).toContain(`user1 on 127.0.0.1:${port}`);
    expect(out).toContain('"command": "users"');
    expect(out).toMatch(/ {3}3 {2}accept user6\n/);
  });

  it('exits 1 on refused credentials when not interactive, 3 when nothing listens', async () => {
    const { port } = await server();
    const bad = startShell(['--port', String(port), '-u', 'user1', '--password', 'nope']);
    expect(await bad.exited).toBe(1);
    expect(bad.memory.err()).toMatch(/Invalid credentials/);

    const gone = await server();
    const gonePort = gone.port;
    await gone.stop();
    const refused = startShell(['--port', String(gonePort), '-u', 'user1', '--password', '123']);
    expect(await refused.exited).toBe(3);
    expect(refused.memory.err()).toMatch(/connection refused — is the server running\?/);
  });

  it('reports a lost connection and reconnects when the server is back', async () => {
    const first = await server();
    const { port, dataDir } = first;
    const { memory, exited } = startShell(['--port', String(port), '-u', 'user1', '--password', '123', '--poll-interval', '100']);
    await memory.waitFor('Connected to');
    await first.server.close();
    await memory.waitFor(/connection to 127\.0\.0\.1:\d+ lost \(/);
    await server({ port, dataDir });
    await memory.waitFor('reconnected to 127.0.0.1:');
    memory.stdin.write('friends\nquit\n');
    expect(await exited).toBe(0);
    expect(memory.out()).toContain('No friends yet');
    expect(memory.out()).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('in a terminal: hides the password, completes commands with Tab, keeps the history in a file', async () => {
    const { port } = await server();
    const dir = mkdtempSync(path.join(tmpdir(), 'instanet-shell-tty-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const historyFile = path.join(dir, 'history');
    const input = new PassThrough();
    const output = Object.assign(new PassThrough(), { columns: 120, rows: 40, isTTY: true });
    let screen = '';
    let errors = '';
    output.on('data', (chunk: Buffer) => (screen += chunk.toString('utf8')));
    const waitScreen = (text: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${JSON.stringify(text)} on screen:\n${screen}`)), 15_000);
        const check = () => {
          if (!screen.includes(text)) return;
          clearTimeout(timer);
          output.off('data', check);
          resolve();
        };
        output.on('data', check);
        check();
      });
    const exited = runClientCli(['shell', '--port', String(port), '-u', 'user1', '--history-file', historyFile, '--no-poll'], {
      stdout: output,
      stderr: { write: (text: string) => (errors += text) },
      stdin: input,
      interactive: true,
      env: {},
      cwd: dir,
    });
    cleanups.push(async () => {
      input.end();
      await exited;
    });
    await waitScreen('password: ');
    input.write('s3cr3t-is-123\r');
    // Interactive: asked again instead of exiting.
    await waitScreen('user: ');
    expect(errors).toMatch(/Invalid credentials/);
    input.write('user1\r');
    await waitScreen('password: ');
    input.write('123\r');
    await waitScreen('Connected to');
    input.write('us\t');
    await waitScreen('users ');
    input.write('\r');
    await waitScreen('user1 (you)');
    input.write('quit\r');
    expect(await exited).toBe(0);
    expect(screen).not.toContain('s3cr3t');
    expect(readFileSync(historyFile, 'utf8')).toBe('users\nquit\n');
  });
});
