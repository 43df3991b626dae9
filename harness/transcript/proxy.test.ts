import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameSocket, encodeImageFrame } from '../../spec/codec/index.ts';
import { startProxy, type RunningProxy } from './proxy.ts';
import { TranscriptRecorder } from './recorder.ts';
import { connectTo, freshServer, until, type FreshServer } from './test-support.ts';
import { checkEvents } from './violations.ts';

let ref: FreshServer;
beforeAll(async () => {
  ref = await freshServer();
});
afterAll(async () => {
  await ref?.close();
});

async function withProxy<T>(options: { fragment?: number; delayMs?: number; upstreamPort?: number }, body: (proxy: RunningProxy, rec: TranscriptRecorder) => Promise<T>): Promise<T> {
  const rec = new TranscriptRecorder({ source: 'proxy test' });
  const proxy = await startProxy({
    listenPort: 0,
    upstreamHost: '127.0.0.1',
    upstreamPort: options.upstreamPort ?? ref.server.port,
    recorder: rec,
    reshape: { fragment: options.fragment, delayMs: options.delayMs },
    connectTimeoutMs: 2000,
  });
  try {
    return await body(proxy, rec);
  } finally {
    await proxy.close();
  }
}

describe('recording proxy', () => {
  it('forwards a whole image exchange, reshaped into 3-byte writes, and records it decoded', async () => {
    await withProxy({ fragment: 3, delayMs: 1 }, async (proxy, rec) => {
      const frames = new FrameSocket(await connectTo(proxy.port));
      await frames.sendJson({ action: 'login', username: 'user1', password: '123' });
      expect((await frames.readJson(5000)).value).toEqual({ status: 'success', message: 'Login successful' });
      await frames.sendJson({ action: 'upload_post', username: 'user1', caption: 'سلام 🌍', timestamp: '2026-01-15 10:00:00' });
      expect((await frames.readJson(5000)).value).toEqual({ status: 'ready' });
      const image = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await frames.write(encodeImageFrame(image));
      expect((await frames.readJson(5000)).value).toEqual({ status: 'success' });
      expect((await frames.readJson(5000)).value).toEqual({ status: 'success', message: 'Post uploaded successfully' });
      frames.end();
      await until(() => rec.connection('c1').isClosed, 5000, 'the connection to close');
      const kinds = rec.events.map((e) => `${e.dir ?? '-'}:${e.kind}`);
      expect(kinds).toEqual([
        '-:connect',
        'c2s:json',
        's2c:json',
        'c2s:json',
        's2c:json',
        'c2s:image-length',
        'c2s:image-bytes',
        's2c:json',
        's2c:json',
        'c2s:close',
        's2c:close',
      ]);
      expect(rec.events[6]).toMatchObject({ length: image.length, preview: image.toString('base64') });
      expect(checkEvents(rec.events)).toEqual([]);
    });
  });

  it('gives each concurrent client its own connection id and keeps their conversations apart', async () => {
    await withProxy({}, async (proxy, rec) => {
      const users = ['user1', 'user2', 'user3', 'user4'];
      await Promise.all(
        users.map(async (user) => {
          const frames = new FrameSocket(await connectTo(proxy.port));
          await frames.sendJson({ action: 'login', username: user, password: '123' });
          await frames.readJson(5000);
          await frames.sendJson({ action: 'get_user_data', username: user });
          await frames.readJson(5000);
          frames.end();
        }),
      );
      await until(() => rec.connections.size === 4 && [...rec.connections.values()].every((c) => c.isClosed), 5000, 'all connections to close');
      expect([...rec.connections.keys()].sort()).toEqual(['c1', 'c2', 'c3', 'c4']);
      for (const id of rec.connections.keys()) {
        const own = rec.events.filter((e) => e.conn === id && e.kind === 'json' && e.dir === 'c2s');
        const names = new Set(own.map((e) => (e.json as { username: string }).username));
        expect(names.size).toBe(1);
      }
      expect(checkEvents(rec.events)).toEqual([]);
    });
  });

  it('reports violations of a misbehaving server as they are recorded', async () => {
    // A server that answers an upload with a reply that is not {"status": "ready"}, then junk.
    const bad: Server = createServer((socket) => {
      socket.once('data', () => socket.write('{"status": "success", "message": "Post uploaded successfully"}\x00\x01'));
    });
    bad.listen(0, '127.0.0.1');
    await once(bad, 'listening');
    const port = (bad.address() as { port: number }).port;
    try {
      await withProxy({ upstreamPort: port }, async (proxy, rec) => {
        const seen: string[] = [];
        const { ViolationChecker } = await import('./violations.ts');
        const checker = new ViolationChecker();
        rec.onEvent((e) => seen.push(...checker.check(e).flatMap((v) => v.requirements)));
        const socket = await connectTo(proxy.port);
        socket.write('{"action": "upload_post", "username": "user1", "caption": "", "timestamp": "2026-01-15 10:00:00"}');
        await until(() => rec.events.some((e) => e.kind === 'raw'), 5000, 'the junk bytes');
        socket.destroy();
        expect(seen).toContain('IMG-1');
        expect(seen).toContain('FRAME-1');
      });
    } finally {
      await new Promise<void>((r) => bad.close(() => r()));
    }
  });

  it('closes the client and notes why when the upstream is unreachable', async () => {
    const spare = createServer();
    spare.listen(0, '127.0.0.1');
    await once(spare, 'listening');
    const deadPort = (spare.address() as { port: number }).port;
    await new Promise<void>((r) => spare.close(() => r()));
    await withProxy({ upstreamPort: deadPort }, async (proxy, rec) => {
      const socket = await connectTo(proxy.port);
      const closed = once(socket, 'close');
      socket.on('error', () => undefined);
      await closed;
      await until(() => rec.events.some((e) => e.kind === 'note'), 5000, 'the note');
      expect(rec.events[0]!.note).toMatch(/could not connect .*ECONNREFUSED/);
    });
  });
});

describe('violations', () => {
  it('tell a server that closed apart from a recording that stopped', async () => {
    const { ViolationChecker } = await import('./violations.ts');
    const rec = new TranscriptRecorder({ source: 'v' });
    const checker = new ViolationChecker();
    rec.onEvent((e) => checker.check(e));
    const a = rec.connection('a');
    a.sent(Buffer.from('{"action": "get_feed"}'));
    a.closed('s2c', 'server sent FIN');
    const b = rec.connection('b');
    b.sent(Buffer.from('{"action": nope}'));
    rec.finish('recording ended');
    expect(checker.violations.map((v) => [v.conn, v.severity, v.requirements.join(','), v.message.split(' (')[0]])).toEqual([
      ['a', 'error', 'CONN-2', 'server closed the connection with get_feed unanswered'],
      ['b', 'error', 'FRAME-1', 'client sent bytes that are not a valid message'],
      ['b', 'warning', 'FRAME-9', 'no reply to the undecodable bytes before the recording ended'],
    ]);
  });

  it('accept the course server\'s double error after a failed image and check every reply schema', async () => {
    const { checkEvents } = await import('./violations.ts');
    const rec = new TranscriptRecorder({ source: 'v' });
    const c = rec.connection('c');
    c.sent(Buffer.from('{"action": "upload_post", "username": "user1", "caption": "", "timestamp": "2026-01-15 10:00:00"}'));
    c.received(Buffer.from('{"status": "ready"}'));
    c.sent(Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 0xff]));
    c.received(Buffer.from('{"status": "error", "message": "Failed to save image"}{"status": "error", "message": "Failed to save image"}'));
    c.sent(Buffer.from('{"action": "login", "username": "user1", "password": "123"}'));
    c.received(Buffer.from('{"status": "success", "message": "Login OK", "extra": 1}'));
    c.sent(Buffer.from('{"action": "fly"}'));
    c.received(Buffer.from('{"status": "error", "message": "Unknown"}'));
    const found = checkEvents(rec.events).map((v) => v.requirements[0]);
    expect(found).toEqual(['AUTH-1', 'ERR-1']);
  });
});
