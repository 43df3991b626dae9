import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameSocket, encodeImageHeader, type JsonObject } from '../../spec/codec/index.ts';
import { SERVER_TEXT } from './replies.ts';
import { READ_TIMEOUT_MS, startTestServer, type TestServer } from './testing/test-client.ts';

// Issue 14: slow peers must not lock others out. A request has a deadline from its first byte that
// a trickle of bytes does not extend, and one address holds at most maxConnectionsPerIp slots.
// Scaled down: 1 s deadline, 8 slots per address, 20 slow-loris connections.

let server: TestServer | undefined;
const peers: Socket[] = [];
afterEach(async () => {
  for (const socket of peers.splice(0)) socket.destroy();
  await server?.stop();
  server = undefined;
});

/** A connection from `localAddress` (any 127.x.y.z is loopback on Linux: a second "host"). */
function connectFrom(port: number, localAddress: string): Promise<{ socket: Socket; frames: FrameSocket }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    peers.push(socket);
    socket.on('error', () => undefined);
    const timer = setTimeout(() => reject(new Error('connect timed out')), READ_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolve({ socket, frames: new FrameSocket(socket) });
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Writes `bytes` one at a time `everyMs` apart until done or the socket is gone; resolves with the count sent. */
async function drip(socket: Socket, bytes: Buffer, everyMs: number): Promise<number> {
  let sent = 0;
  for (const byte of bytes) {
    if (socket.destroyed || !socket.writable) break;
    socket.write(Buffer.from([byte]));
    sent += 1;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return sent;
}

function closedByServer(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed || socket.readableEnded) return resolve();
    const timer = setTimeout(() => reject(new Error('server did not close the connection')), READ_TIMEOUT_MS);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    socket.once('end', done);
    socket.once('close', done);
  });
}

async function served(port: number, localAddress: string): Promise<JsonObject> {
  const { frames } = await connectFrom(port, localAddress);
  await frames.sendJson({ action: 'get_all_users' });
  const reply = (await frames.readJson(READ_TIMEOUT_MS)).value;
  frames.destroy();
  return reply;
}

describe('slow peers (issue 14)', () => {
  it('20 slow-loris connections: 8 get slots and are dropped at the deadline, 12 are refused, others are served', async () => {
    server = await startTestServer({ mode: 'course', requestTimeoutMs: 1000, idleTimeoutMs: 30_000, maxConnectionsPerIp: 8 });
    const port = server.server.port;
    // 70 bytes at one per 100 ms would take 7 s; the idle limit (30 s) never fires, only the deadline can.
    const request = Buffer.from(`{"action": "get_user_data", "username": "${'u'.repeat(32)}"}`);
    const lorises = await Promise.all(Array.from({ length: 20 }, () => connectFrom(port, '127.0.0.1')));
    const outcomes = lorises.map(async ({ socket, frames }) => {
      const sending = drip(socket, request, 100);
      const reply = (await frames.readJson(READ_TIMEOUT_MS)).value;
      await closedByServer(socket);
      return { reply, sent: await sending };
    });

    // Another host is served while the slow ones hold every slot their address may have.
    expect((await served(port, '127.0.0.2'))['status']).toBe('success');

    const results = await Promise.all(outcomes);
    const refused = results.filter((r) => r.reply['message'] === SERVER_TEXT.tooManyFromAddress);
    const timedOut = results.filter((r) => /not complete within 1000 ms/.test(String(r.reply['message'])));
    expect(refused).toHaveLength(12);
    expect(timedOut).toHaveLength(8);
    for (const r of timedOut) {
      expect(r.reply['status']).toBe('error');
      // Dropped mid-request: the trickle did not extend the deadline.
      expect(r.sent).toBeLessThan(request.length);
    }
    // The slots are free again once the slow ones are gone.
    for (let attempt = 0; ; attempt += 1) {
      const reply = await served(port, '127.0.0.1').catch(() => undefined);
      if (reply?.['status'] === 'success') break;
      expect(attempt).toBeLessThan(50);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  it('an image gets the request deadline plus its length at --image-bytes-per-second, and no more', async () => {
    server = await startTestServer({ mode: 'course', requestTimeoutMs: 1000, imageBytesPerSecond: 1000, idleTimeoutMs: 30_000 });
    const { socket, frames } = await connectFrom(server.server.port, '127.0.0.1');
    await frames.sendJson({ action: 'upload_post', username: 'user1', caption: '', timestamp: '2025-05-13 21:52:29' });
    expect((await frames.readJson(READ_TIMEOUT_MS)).value).toEqual({ status: 'ready' });
    await frames.write(encodeImageHeader(1000));
    // 1000 bytes at one per 50 ms would take 50 s; the budget is 1 s + 1000 B / (1000 B/s) = 2 s.
    const sending = drip(socket, Buffer.alloc(1000, 0xab), 50);
    const reply = (await frames.readJson(READ_TIMEOUT_MS)).value;
    expect(reply).toEqual({ status: 'error', message: 'Request timed out: not complete within 2000 ms' });
    await closedByServer(socket);
    expect(await sending).toBeLessThan(1000);
  });
});
