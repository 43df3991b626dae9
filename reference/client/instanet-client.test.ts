import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type net from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ClientTimeoutError,
  ConnectionClosedError,
  ConnectionRefusedError,
  InstaNetClient,
  ProtocolError,
  ErrorReplyError,
  type TrafficEvent,
} from './index.ts';
import { startFakeServer, onJsonRequests, freePortForRefusal } from './test-support/fake-server.ts';
import { startPythonSample, type RunningSample } from './test-support/python-sample.ts';

const IMAGE = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 1, 2, 3, 0x7b, 0x7d, 0xff, 0xd9]);
const fixedClock = () => new Date(2025, 4, 13, 21, 52, 29, 123);

describe('SDK against the correct Python sample (real TCP)', () => {
  let sample: RunningSample;
  beforeAll(async () => {
    sample = await startPythonSample('correct');
  });
  afterAll(async () => {
    await sample?.stop();
  });

  it('runs every action with course-shaped requests', async () => {
    const traffic: TrafficEvent[] = [];
    const client = await InstaNetClient.connect({ port: sample.port, timeoutMs: 5000, clock: fixedClock, onTraffic: (e) => traffic.push(e) });
    try {
      expect(await client.login('User1', '123')).toEqual({ status: 'success', message: 'Login successful', warnings: [] });
      expect(client.username).toBe('user1');
      const bad = await client.login('user1', 'nope').catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(ErrorReplyError);
      expect((bad as ErrorReplyError).serverMessage).toBe('Invalid credentials');
      expect((bad as ErrorReplyError).code).toBe('INSTANET_ERR_SERVER_ERROR');

      expect((await client.getAllUsers()).users.slice(0, 6)).toEqual(['user1', 'user2', 'user3', 'user4', 'user5', 'user6']);
      expect((await client.sendFriendRequest('user1', 'user2')).message).toBe('Friend request sent');
      expect((await client.getUserData('user2')).user_data.requests).toEqual(['user1']);
      expect((await client.acceptFriendRequest('user2', 'user1')).message).toBe('Friend request accepted');
      expect((await client.getUserData('user1')).user_data.friends).toEqual(['user2']);
      await client.sendFriendRequest('user3', 'user1');
      expect((await client.rejectFriendRequest('user1', 'user3')).message).toBe('Friend request rejected');
      await expect(client.rejectFriendRequest('user1', 'user3')).rejects.toMatchObject({ serverMessage: 'Invalid request' });

      const text = 'مرحبا 👋 hello';
      expect((await client.sendMessage('user1', 'user2', text)).message).toBe('Message sent');
      expect((await client.sendImage('user1', 'user2', IMAGE)).message).toBe('Message sent');
      const { messages } = await client.getMessages('user2', 'user1');
      expect(messages.map((m) => [m.sender, m.message, m.is_image])).toEqual([
        ['user1', text, false],
        ['user1', 'Image', true],
      ]);
      expect(messages[0]!.timestamp).toBe('2025-05-13T21:52:29.123000');
      // Longer than one 4096-byte read, with a 4-byte character across the boundary region (DM-3).
      const long = `${'x'.repeat(4094)}🌍${'ب'.repeat(3000)}`;
      await client.sendMessage('user3', 'user4', long);
      expect((await client.getMessages('user4', 'user3')).messages[0]!.message).toBe(long);
      const dmImage = path.join(sample.dir, messages[1]!.image_path!);
      expect(readFileSync(dmImage)).toEqual(IMAGE);

      expect((await client.uploadPost(IMAGE, 'sunset 🌅')).message).toBe('Post uploaded successfully');
      const posts = JSON.parse(readFileSync(path.join(sample.dir, 'data/posts/posts.json'), 'utf8')) as { image_path: string; caption: string; timestamp: string }[];
      expect(posts.at(-1)).toMatchObject({ caption: 'sunset 🌅', timestamp: '2025-05-13 21:52:29' });
      expect(existsSync(path.join(sample.dir, posts.at(-1)!.image_path))).toBe(true);
      expect(Array.isArray((await client.getFeed()).posts)).toBe(true);
      expect(await client.addComment(posts.at(-1)!.image_path, 'user2', 'nice!')).toEqual({ status: 'success', warnings: [] });
      expect(await client.getUserData('nobody').catch((e: ErrorReplyError) => e.serverMessage)).toBe('User not found');
    } finally {
      await client.close();
    }
    // The tap saw every byte: the first request is exactly Python's json.dumps of the course's fields.
    const sent = Buffer.concat(traffic.filter((e) => e.direction === 'c2s').map((e) => e.bytes)).toString('utf8');
    expect(sent.startsWith('{"action": "login", "username": "User1", "password": "123"}')).toBe(true);
    expect(sent).toContain('"message": "\\u0645\\u0631\\u062d\\u0628\\u0627 \\ud83d\\udc4b hello"');
    expect(traffic.some((e) => e.direction === 's2c')).toBe(true);
  });
});

describe('SDK against scripted servers', () => {
  async function withFake(handler: (socket: net.Socket) => void, run: (port: number) => Promise<void>): Promise<void> {
    const fake = await startFakeServer(handler);
    try {
      await run(fake.port);
    } finally {
      await fake.close();
    }
  }

  it('reads the image acknowledgement and the final reply delivered in one write (IMG-6 hazard)', async () => {
    await withFake(
      (socket) => {
        let stage = 0;
        socket.on('data', (chunk: Buffer) => {
          if (stage === 0 && chunk.includes('upload_post')) {
            stage = 1;
            socket.write('{"status": "ready"}');
          } else if (stage === 1) {
            stage = 2;
            socket.write('{"status": "success"}{"status": "success", "message": "Post uploaded successfully"}{"status": "success", "users": ["a"]}');
          }
        });
      },
      async (port) => {
        const client = await InstaNetClient.connect({ port, timeoutMs: 3000 });
        const reply = await client.uploadPost(IMAGE, 'x', { username: 'user1' });
        expect(reply.message).toBe('Post uploaded successfully');
        // The third object answers no request: taken as the next reply it would shift every answer.
        const error = (await client.getAllUsers().catch((e: unknown) => e)) as ProtocolError;
        expect(error).toBeInstanceOf(ProtocolError);
        expect(error.requirements).toEqual(['CONN-2']);
        expect(error.bytes.toString()).toBe('{"status": "success", "users": ["a"]}');
      },
    );
  });

  it('lenient mode drops an object sent before its request, with a warning, and stays in step', async () => {
    await withFake(
      (socket) =>
        onJsonRequests(socket, (request) => {
          if (request.action === 'login') socket.write('{"status": "success", "message": "Login successful"}\n{"status": "error", "message": "stray"}\n');
          else socket.write('{"status": "success", "users": ["u"]}\n');
        }),
      async (port) => {
        const client = await InstaNetClient.connect({ port, timeoutMs: 3000, validation: 'lenient' });
        expect((await client.login('user1', '123')).warnings).toEqual([]);
        const users = await client.getAllUsers();
        expect(users.users).toEqual(['u']);
        expect(users.warnings).toEqual(['dropped an object the server sent before the get_all_users request: {"status": "error", "message": "stray"} (CONN-2)']);
        await client.close();
      },
    );
  });

  it('throws ProtocolError carrying the offending bytes for garbage, and retires the connection', async () => {
    await withFake(
      (socket) => onJsonRequests(socket, () => socket.write('HTTP/1.1 400 Bad Request\r\n\r\n')),
      async (port) => {
        const client = await InstaNetClient.connect({ port, timeoutMs: 3000 });
        const error = await client.getAllUsers().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ProtocolError);
        expect((error as ProtocolError).code).toBe('INSTANET_ERR_PROTOCOL');
        expect((error as ProtocolError).bytes.toString('latin1')).toContain('HTTP/1.1');
        expect(client.usable).toBe(false);
        await expect(client.getAllUsers()).rejects.toBeInstanceOf(ConnectionClosedError);
      },
    );
  });

  it('strict mode rejects an off-schema reply; lenient mode returns it with warnings', async () => {
    await withFake(
      (socket) => onJsonRequests(socket, () => socket.write('{"status": "success", "users": ["a"], "extra": 1}')),
      async (port) => {
        const strict = await InstaNetClient.connect({ port, timeoutMs: 3000 });
        const error = (await strict.getAllUsers().catch((e: unknown) => e)) as ProtocolError;
        expect(error).toBeInstanceOf(ProtocolError);
        expect(error.bytes.toString()).toBe('{"status": "success", "users": ["a"], "extra": 1}');
        expect(error.requirements).toContain('USER-1');
        expect(strict.usable).toBe(true);
        await strict.close();

        const lenient = await InstaNetClient.connect({ port, timeoutMs: 3000, validation: 'lenient' });
        const reply = await lenient.getAllUsers();
        expect(reply.users).toEqual(['a']);
        expect(reply.warnings.length).toBe(1);
        expect(reply.warnings[0]).toMatch(/extra/);
        await lenient.close();
      },
    );
  });

  it('bounds a call with its timeout when the server never answers', async () => {
    await withFake(
      () => undefined,
      async (port) => {
        const client = await InstaNetClient.connect({ port, timeoutMs: 150 });
        const error = await client.login('user1', '123').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ClientTimeoutError);
        expect((error as ClientTimeoutError).code).toBe('INSTANET_ERR_CLIENT_TIMEOUT');
        expect(client.usable).toBe(false);
      },
    );
  });

  it('reports a close in the middle of a reply as ConnectionClosedError with the partial bytes', async () => {
    await withFake(
      (socket) => onJsonRequests(socket, () => socket.end('{"status": "succ')),
      async (port) => {
        const client = await InstaNetClient.connect({ port, timeoutMs: 3000 });
        const error = await client.getFeed().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConnectionClosedError);
        expect((error as ConnectionClosedError).code).toBe('INSTANET_ERR_CONNECTION_CLOSED');
        expect((error as ConnectionClosedError).partial.toString()).toBe('{"status": "succ');
      },
    );
  });

  it('reports connection refused with its own class', async () => {
    const port = await freePortForRefusal();
    const error = await InstaNetClient.connect({ port, timeoutMs: 3000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionRefusedError);
    expect((error as ConnectionRefusedError).code).toBe('INSTANET_ERR_CONNECTION_REFUSED');
    expect((error as Error).message).toBe(`cannot connect to 127.0.0.1:${port}: connection refused`);
  });

  it('keeps one request in flight: overlapping calls are sent one after the other', async () => {
    let inFlight = 0;
    let overlap = false;
    await withFake(
      (socket) =>
        onJsonRequests(socket, (request) => {
          inFlight += 1;
          if (inFlight > 1) overlap = true;
          setTimeout(() => {
            inFlight -= 1;
            socket.write(`{"status": "success", "users": [${JSON.stringify(String(request.action))}]}`);
          }, 20);
        }),
      async (port) => {
        const client = await InstaNetClient.connect({ port, timeoutMs: 3000 });
        const replies = await Promise.all([client.getAllUsers(), client.getAllUsers(), client.getAllUsers()]);
        expect(replies.map((r) => r.users)).toEqual([['get_all_users'], ['get_all_users'], ['get_all_users']]);
        expect(overlap).toBe(false);
        await client.close();
      },
    );
  });

  it('handles the image error acknowledgement: repeated (course) keeps the connection, single then close retires it', async () => {
    const script = (repeat: boolean) => (socket: net.Socket) => {
      let stage = 0;
      socket.on('data', (chunk: Buffer) => {
        if (stage === 0 && chunk.includes('send_message')) {
          stage = 1;
          socket.write('{"status": "ready"}');
        } else if (stage === 1) {
          stage = 2;
          const error = '{"status": "error", "message": "Failed to save image"}';
          if (repeat) socket.write(error + error);
          else socket.end(error);
        } else if (stage === 2 && chunk.includes('get_all_users')) {
          socket.write('{"status": "success", "users": []}');
        }
      });
    };
    await withFake(script(true), async (port) => {
      const client = await InstaNetClient.connect({ port, timeoutMs: 3000 });
      const error = (await client.sendImage('a', 'b', IMAGE).catch((e: unknown) => e)) as ErrorReplyError;
      expect(error).toBeInstanceOf(ErrorReplyError);
      expect(error.serverMessage).toBe('Failed to save image');
      expect(error.connectionUsable).toBe(true);
      expect((await client.getAllUsers()).users).toEqual([]);
      await client.close();
    });
    await withFake(script(false), async (port) => {
      const client = await InstaNetClient.connect({ port, timeoutMs: 3000 });
      const error = (await client.sendImage('a', 'b', IMAGE).catch((e: unknown) => e)) as ErrorReplyError;
      expect(error).toBeInstanceOf(ErrorReplyError);
      expect(error.connectionUsable).toBe(false);
      expect(client.usable).toBe(false);
    });
  });

  it('a server that skips the image acknowledgement: strict refuses (IMG-4), lenient takes the final reply with a warning', async () => {
    const script = (socket: net.Socket) => {
      let stage = 0;
      socket.on('data', (chunk: Buffer) => {
        if (stage === 0 && chunk.includes('upload_post')) {
          stage = 1;
          socket.write('{"status": "ready"}');
        } else if (stage === 1) {
          stage = 0;
          socket.write('{"status": "success", "message": "Post uploaded successfully"}');
        }
      });
    };
    await withFake(script, async (port) => {
      const strict = await InstaNetClient.connect({ port, timeoutMs: 3000 });
      const error = (await strict.uploadPost(IMAGE, 'c', { username: 'u' }).catch((e: unknown) => e)) as ProtocolError;
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error.requirements).toEqual(['IMG-4']);
      expect(error.connectionUsable).toBe(true);
      await strict.close();
      const lenient = await InstaNetClient.connect({ port, timeoutMs: 3000, validation: 'lenient' });
      const reply = await lenient.uploadPost(IMAGE, 'c', { username: 'u' });
      expect(reply.message).toBe('Post uploaded successfully');
      expect(reply.warnings).toEqual(['upload_post: no separate image acknowledgement; the server sent the final reply at once (IMG-4)']);
      await lenient.close();
    });
  });

  it('treats an error instead of "ready" as the final reply and sends no image bytes', async () => {
    let received = '';
    await withFake(
      (socket) => {
        socket.on('data', (chunk: Buffer) => {
          received += chunk.toString('latin1');
          if (chunk.includes('upload_post')) socket.write('{"status": "error", "message": "Not logged in"}');
        });
      },
      async (port) => {
        const client = await InstaNetClient.connect({ port, timeoutMs: 3000 });
        await expect(client.uploadPost(IMAGE, 'c', { username: 'u' })).rejects.toMatchObject({ serverMessage: 'Not logged in' });
        expect(client.usable).toBe(true);
        await client.close();
      },
    );
    expect(received.endsWith('}')).toBe(true);
  });
});
