import { afterEach, describe, expect, it } from 'vitest';
import { encodeImageFrame, encodeImageHeader, type JsonObject } from '../../spec/codec/index.ts';
import { ErrorReply, REPLY_TEXT, replySchema } from '../../spec/messages/index.ts';
import { startTestServer, type TestClient, type TestServer } from './testing/test-client.ts';

// The bad-input table of the field notes: each row gets a JSON error reply (ERR-2, ERR-3); the
// connection stays usable while the framing is intact, and is closed after a framing error
// (FRAME-9, FRAME-10, LIM-1, IMG-7). The server keeps serving others throughout (CONN-4).

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const DM_TS = '2025-05-13T21:52:29.123456';

async function stillServes(client: TestClient): Promise<void> {
  const reply = await client.request({ action: 'get_all_users' });
  expect(replySchema('get_all_users').parse(reply)).toMatchObject({ status: 'success' });
}

describe('bad requests with intact framing: error reply, connection usable (ERR-2)', () => {
  const rows: Array<[string, unknown]> = [
    ['empty object', {}],
    ['unknown action', { action: 'hack' }],
    ['action of the wrong type', { action: ['login'] }],
    ['login without password', { action: 'login', username: 'user1' }],
    ['login with a numeric password', { action: 'login', username: 'user1', password: 123 }],
    ['login with null username', { action: 'login', username: null, password: '123' }],
    ['send_message without receiver', { action: 'send_message', sender: 'user1', message: 'x', timestamp: DM_TS, is_image: false }],
    ['send_message with is_image as a string', { action: 'send_message', sender: 'user1', receiver: 'user2', message: 'x', timestamp: DM_TS, is_image: 'no' }],
    ['send_message from an unknown sender', { action: 'send_message', sender: 'ghost', receiver: 'user2', message: 'x', timestamp: DM_TS, is_image: false }],
    ['send_message with a malformed timestamp', { action: 'send_message', sender: 'user1', receiver: 'user2', message: 'x', timestamp: 'yesterday', is_image: false }],
    ['send_message with a path in the sender', { action: 'send_message', sender: '..\\..\\x', receiver: 'user2', message: 'x', timestamp: DM_TS, is_image: false }],
    ['upload_post with a numeric caption', { action: 'upload_post', username: 'user1', caption: 5, timestamp: '2025-05-13 21:52:29' }],
    ['upload_post with an absolute username', { action: 'upload_post', username: 'C:evil', caption: '', timestamp: '2025-05-13 21:52:29' }],
    ['accept with an object for friend', { action: 'accept_friend_request', user: 'user1', friend: { x: 1 } }],
    ['get_messages with numbers', { action: 'get_messages', user1: 1, user2: 2 }],
    ['add_comment without text', { action: 'add_comment', post_image_path: 'data/images/x.jpg', user: 'user1' }],
    ['get_user_data of an unknown user', { action: 'get_user_data', username: 'nobody' }],
    ['send_friend_request from an unknown sender', { action: 'send_friend_request', sender: 'ghost', receiver: 'user1' }],
  ];

  it.each(rows)('%s', async (_name, request) => {
    server = await startTestServer({ mode: 'course' });
    const c = await server.client();
    const reply = await c.request(request as JsonObject);
    expect(ErrorReply.safeParse(reply).success, JSON.stringify(reply)).toBe(true);
    await stillServes(c);
  });
});

describe('framing errors: error reply, then the connection is closed (FRAME-9, FRAME-10)', () => {
  const rows: Array<[string, Buffer]> = [
    ['malformed JSON', Buffer.from('{"action": "login", }')],
    ['invalid UTF-8', Buffer.concat([Buffer.from('{"action": "'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])],
    ['a byte-order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"action": "get_feed"}')])],
    ['a JSON array', Buffer.from('[{"action": "get_feed"}]')],
    ['a bare number before an object', Buffer.from('12{"action": "get_feed"}')],
    ['a JSON string', Buffer.from('"get_feed"')],
  ];

  it.each(rows)('%s', async (_name, bytes) => {
    server = await startTestServer({ mode: 'course' });
    const c = await server.client();
    await c.writeRaw(bytes);
    ErrorReply.parse(await c.read());
    await c.closedByServer();
    // Others are unaffected.
    await stillServes(await server.client());
  });

  it('a request over the size limit (LIM-1)', async () => {
    server = await startTestServer({ mode: 'course', maxJsonBytes: 1024 });
    const c = await server.client();
    await c.writeRaw(`{"action": "login", "username": "${'a'.repeat(4096)}", "password": "x"}`);
    expect((await c.read())['message']).toMatch(/too large/i);
    await c.closedByServer();
    await stillServes(await server.client());
  });

  it('an image over the image limit is refused after "ready" without reading it (IMG-7)', async () => {
    server = await startTestServer({ maxImageBytes: 1000 });
    const c = await server.loggedIn('user1');
    await c.send({ action: 'upload_post', username: 'user1', caption: '', timestamp: '2025-05-13 21:52:29' });
    expect(await c.read()).toEqual({ status: 'ready' });
    await c.writeRaw(encodeImageHeader(2 ** 40));
    ErrorReply.parse(await c.read());
    await c.closedByServer();
  });

  it('a half-sent request is dropped after the idle limit (LIM-2); an idle logged-in client is not', async () => {
    server = await startTestServer({ mode: 'course', idleTimeoutMs: 200 });
    const idle = await server.client();
    const half = await server.client();
    await half.writeRaw('{"action": "get_all_us');
    expect((await half.read())['message']).toMatch(/timed out/i);
    await half.closedByServer();
    const stalledImage = await server.client();
    await stalledImage.send({ action: 'upload_post', username: 'user1', caption: '', timestamp: '2025-05-13 21:52:29' });
    expect(await stalledImage.read()).toEqual({ status: 'ready' });
    await stalledImage.writeRaw(encodeImageHeader(100));
    expect((await stalledImage.read())['message']).toMatch(/timed out/i);
    // The idle connection that never started a request survived both timeouts.
    await stillServes(idle);
  });
});

describe('stream handling', () => {
  it('answers two pipelined requests in order (FRAME-6) and tolerates whitespace and raw UTF-8 (FRAME-5, FRAME-8)', async () => {
    server = await startTestServer();
    const c = await server.client();
    await c.writeRaw('\n {"action":"login","username":"user1","password":"123"}\r\n\t{"action": "send_message", "sender": "user1", "receiver": "user2", "message": "سلام 😀", "timestamp": "2025-05-13T21:52:29", "is_image": false}\n');
    expect(await c.read()).toEqual({ status: 'success', message: REPLY_TEXT.loginOk });
    expect(await c.read()).toEqual({ status: 'success', message: REPLY_TEXT.messageSent });
    const got = await c.request({ action: 'get_messages', user1: 'user1', user2: 'user2' });
    expect((got['messages'] as JsonObject[])[0]!['message']).toBe('سلام 😀');
  });

  it('reads a request split at every byte, including inside a multi-byte character (FRAME-2, FRAME-3)', async () => {
    server = await startTestServer({ mode: 'course' });
    const c = await server.client();
    c.socket.setNoDelay(true);
    const bytes = Buffer.from('{"action": "get_user_data", "username": "ä😀"}', 'utf8');
    for (const byte of bytes) await c.writeRaw(Buffer.from([byte]));
    expect(await c.read()).toEqual({ status: 'error', message: REPLY_TEXT.userNotFound });
  });

  it('takes the image pipelined right behind its request, and the next request behind the image', async () => {
    server = await startTestServer();
    const c = await server.loggedIn('user1');
    const request = Buffer.from(JSON.stringify({ action: 'upload_post', username: 'user1', caption: 'p', timestamp: '2025-05-13 21:52:29' }));
    await c.writeRaw(Buffer.concat([request, encodeImageFrame(Buffer.from('{"action": "get_feed"}')), Buffer.from('{"action": "get_all_users"}')]));
    expect(await c.read()).toEqual({ status: 'ready' });
    expect(await c.read()).toEqual({ status: 'success' });
    expect(await c.read()).toEqual({ status: 'success', message: REPLY_TEXT.postUploaded });
    // The image bytes looked like a request but were never parsed as one (IMG-8).
    replySchema('get_all_users').parse(await c.read());
  });

  it('survives clients that vanish mid-request and mid-image (CONN-4)', async () => {
    server = await startTestServer();
    for (let i = 0; i < 5; i += 1) {
      const c = await server.loggedIn('user1');
      await c.send({ action: 'upload_post', username: 'user1', caption: '', timestamp: '2025-05-13 21:52:29' });
      await c.read();
      await c.writeRaw(Buffer.concat([encodeImageHeader(1000), Buffer.alloc(10)]));
      c.socket.resetAndDestroy();
      const d = await server.client();
      await d.writeRaw('{"action": "log');
      d.close();
    }
    await stillServes(await server.loggedIn('user2'));
  });

  it('refuses connections over the cap with an error reply (LIM-3)', async () => {
    server = await startTestServer({ mode: 'course', maxConnections: 2 });
    const a = await server.client();
    const b = await server.client();
    await stillServes(a);
    await stillServes(b);
    const extra = await server.client();
    expect((await extra.read())['message']).toMatch(/too many connections/i);
    await extra.closedByServer();
    a.close();
    // A freed slot is available again once the server has seen the close.
    for (let attempt = 0; ; attempt += 1) {
      const next = await server.client();
      const reply = await next.request({ action: 'get_all_users' }).catch(() => undefined);
      if (reply?.['status'] === 'success') break;
      expect(attempt).toBeLessThan(50);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
});
