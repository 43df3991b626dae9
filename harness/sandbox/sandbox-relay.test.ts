import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listenInbound, type InboundRelay } from './sandbox-relay.ts';

// The host half of the inbound relay against a stand-in for the sandbox half on a real Unix socket:
// the sandbox half answers with a status byte once the server inside accepted. A server slow to
// accept (its backlog full, its resource box starved) is the case's to judge in the server's own
// time; the relay must neither give up on its own clock nor invent a reset.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A sandbox half that says READY (port 4242) after `delayMs`, then echoes what it is sent. */
async function slowSandboxHalf(delayMs: number): Promise<{ socketPath: string; relay: InboundRelay }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'relay-test-'));
  const socketPath = path.join(dir, 'relay.sock');
  const inside = net.createServer((s) => {
    s.on('error', () => undefined);
    const timer = setTimeout(() => {
      s.write(Buffer.from([1, 0x10, 0x92]));
      s.pipe(s);
    }, delayMs);
    s.once('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => inside.listen(socketPath, resolve));
  const relay = await listenInbound({ port: 0, socketPath });
  cleanups.push(async () => {
    await relay.close();
    await new Promise<void>((resolve) => inside.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });
  return { socketPath, relay };
}

/** Connects, sends `text`, and resolves with what came back or how the connection ended. */
function exchange(port: number, text: string, boundMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let got = '';
    const bound = setTimeout(() => finish(`nothing within ${boundMs} ms: ${JSON.stringify(got)}`), boundMs);
    const finish = (outcome: string) => {
      clearTimeout(bound);
      socket.destroy();
      resolve(outcome);
    };
    socket.on('data', (chunk) => {
      got += chunk.toString();
      if (got === text) finish(`echo ${got}`);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => finish(`error ${error.code ?? error.message}`));
    socket.on('end', () => finish(`end ${JSON.stringify(got)}`));
    socket.write(text);
  });
}

describe('inbound relay', () => {
  it('waits for a server that accepts only after 11 s (the old wall-clock reset came at 10 s), and then carries the bytes', async () => {
    const { relay } = await slowSandboxHalf(11_000);
    expect(await exchange(relay.port, 'login', 60_000)).toBe('echo login');
  }, 90_000);

  it('resets the connection when the sandbox half is gone without accepting', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'relay-test-'));
    const socketPath = path.join(dir, 'relay.sock');
    // A sandbox half that takes the connection and closes it at once: its server is gone.
    const inside = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => inside.listen(socketPath, resolve));
    const relay = await listenInbound({ port: 0, socketPath });
    try {
      expect(await exchange(relay.port, 'login', 60_000)).toBe('error ECONNRESET');
    } finally {
      await relay.close();
      await new Promise<void>((resolve) => inside.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
