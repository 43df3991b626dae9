import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CodecError, MalformedJsonError, PeerClosedError, ReadTimeoutError } from './errors.ts';
import { FrameSocket } from './frame-socket.ts';
import { encodeImageFrame, encodeImageHeader } from './image-frame.ts';
import { encodeJson } from './python-json.ts';

interface Pair {
  client: FrameSocket;
  /** The raw server-side socket: the test writes exact bytes through it. */
  peer: Socket;
}

const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

async function pair(limits?: { maxJsonBytes?: number; maxImageBytes?: number }): Promise<Pair> {
  const server = createServer();
  servers.push(server);
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const raw = connect(address.port, '127.0.0.1');
  sockets.push(raw);
  await new Promise<void>((resolve, reject) => {
    raw.once('connect', resolve);
    raw.once('error', reject);
  });
  const peer = await accepted;
  sockets.push(peer);
  return { client: new FrameSocket(raw, limits ? { limits } : {}), peer };
}

function readAll(socket: Socket, until: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const onData = (c: Buffer): void => {
      chunks.push(c);
      n += c.length;
      if (n >= until) {
        socket.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    socket.on('data', onData);
  });
}

describe('FrameSocket over TCP (CLNT-3, FRAME-6, IMG-1..IMG-3)', () => {
  it('reads two replies that arrive in one segment, in order, queued before anyone asked', async () => {
    const { client, peer } = await pair();
    peer.write(Buffer.concat([encodeJson({ status: 'ready' }), encodeJson({ status: 'success', message: 'é' })]));
    const first = await client.readJson(5000);
    const second = await client.readJson(5000);
    expect(first.value).toEqual({ status: 'ready' });
    expect(first.raw.toString()).toBe('{"status": "ready"}');
    expect(second.value).toEqual({ status: 'success', message: 'é' });
    expect(second.offset).toBe(first.raw.length);
  });

  it('reads a message sent one byte per segment', async () => {
    const { client, peer } = await pair();
    const bytes = encodeJson({ caption: 'مرحبا 😀' }, { ascii: false });
    const pending = client.readJson(10_000);
    for (const byte of bytes) {
      peer.write(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    expect((await pending).value).toEqual({ caption: 'مرحبا 😀' });
  });

  it('plays the image exchange: request, ready, image, acknowledgement', async () => {
    const { client, peer } = await pair();
    const image = Buffer.alloc(300_000, 0xab);
    // The peer sends the JSON request and image back to back; the image is only read as one
    // because readImage() switches the decoder before asking for the next frame.
    peer.write(Buffer.concat([encodeJson({ action: 'upload_post' }), encodeImageFrame(image), encodeJson({ a: 1 })]));
    expect((await client.readJson(5000)).value).toEqual({ action: 'upload_post' });
    const got = await client.readImage(5000);
    expect(got.length).toBe(image.length);
    expect(got.data.equals(image)).toBe(true);
    expect((await client.readJson(5000)).value).toEqual({ a: 1 });
  });

  it('writes bytes and JSON, resolving once flushed', async () => {
    const { client, peer } = await pair();
    const received = readAll(peer, 19 + 10);
    await client.sendJson({ status: 'ready' });
    await client.write(encodeImageFrame(Buffer.from('hi')));
    expect((await received).toString('latin1')).toBe(
      `{"status": "ready"}${encodeImageHeader(2).toString('latin1')}hi`,
    );
  });

  it('times out with ReadTimeoutError and keeps the half-read bytes', async () => {
    const { client, peer } = await pair();
    peer.write('{"status": "rea');
    const err = await client.readJson(300).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReadTimeoutError);
    // A timeout is not a protocol violation: callers that map CodecError must not catch it.
    expect(err).not.toBeInstanceOf(CodecError);
    expect((err as ReadTimeoutError).code).toBe('INSTANET_ERR_READ_TIMEOUT');
    expect((err as ReadTimeoutError).bytes.toString()).toBe('{"status": "rea');
    // The stream is intact: the rest completes the same message.
    peer.write('dy"}');
    expect((await client.readJson(5000)).value).toEqual({ status: 'ready' });
  });

  it('rejects with PeerClosedError carrying the bytes of a half-sent frame', async () => {
    const { client, peer } = await pair();
    peer.end('{"status": "su');
    const err = await client.readJson(5000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PeerClosedError);
    expect((err as PeerClosedError).code).toBe('INSTANET_ERR_PEER_CLOSED');
    expect((err as PeerClosedError).bytes.toString()).toBe('{"status": "su');
    expect((err as PeerClosedError).received).toBe(14);
    expect(client.closed).toBe(true);
  });

  it('reports a disconnect in the middle of an image with the bytes received', async () => {
    const { client, peer } = await pair();
    peer.end(Buffer.concat([encodeImageHeader(1000), Buffer.alloc(100, 1)]));
    const err = await client.readImage(5000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PeerClosedError);
    expect((err as PeerClosedError).received).toBe(108);
    expect(client.decoder.pendingImage).toMatchObject({ length: 1000, received: 100 });
  });

  it('delivers frames that arrived before the close, then reports the close', async () => {
    const { client, peer } = await pair();
    peer.end(encodeJson({ status: 'error', message: 'Invalid request' }));
    expect((await client.readJson(5000)).value).toEqual({ status: 'error', message: 'Invalid request' });
    const err = await client.readJson(5000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PeerClosedError);
    expect((err as PeerClosedError).received).toBe(0);
  });

  it('rejects with the CodecError for malformed bytes, and again on later reads', async () => {
    const { client, peer } = await pair();
    peer.write('{"a": 1 2}');
    const err = await client.readJson(5000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MalformedJsonError);
    await expect(client.readJson(5000)).rejects.toBe(err);
  });

  it('rejects writes after destroy with PeerClosedError', async () => {
    const { client } = await pair();
    client.destroy();
    expect(client.closed).toBe(true);
    await expect(client.write(Buffer.from('x'))).rejects.toBeInstanceOf(PeerClosedError);
    await expect(client.readJson(1000)).rejects.toBeInstanceOf(PeerClosedError);
  });

  it('applies backpressure instead of buffering a flood nobody reads', async () => {
    const { client, peer } = await pair({ maxJsonBytes: 1024 });
    const flood = Buffer.alloc(4 * 1024 * 1024, 0x20);
    peer.write(flood);
    for (let waited = 0; client.decoder.received < 1024 && waited < 5000; waited += 20) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 200));
    // Paused past one message plus a read: the rest waits in the kernel, not in our memory.
    expect(client.decoder.received).toBeGreaterThan(1024);
    expect(client.decoder.received).toBeLessThan(1024 * 1024);
    // Whitespace only: once a read asks, the decoder drains it and the stream keeps flowing.
    const pending = client.readJson(10_000);
    peer.write('{"ok": true}');
    expect((await pending).value).toEqual({ ok: true });
  });
});
