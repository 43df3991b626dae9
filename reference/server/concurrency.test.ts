import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConversationFile, PostsFile, REPLY_TEXT, UsersFile } from '../../spec/messages/index.ts';
import { startTestServer, type TestServer } from './testing/test-client.ts';

// DATA-2, DATA-4, CONN-1, CONN-3: many clients at once lose nothing, and each "success" means stored.

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('concurrent writers', () => {
  it('200 clients sending to one conversation at once: all 200 answered success and stored', async () => {
    // All 200 come from 127.0.0.1: lift the per-address cap, which is not what this test is about.
    server = await startTestServer({ maxConnectionsPerIp: 256 });
    const clients = await Promise.all(Array.from({ length: 200 }, (_, i) => server!.loggedIn(i % 2 === 0 ? 'user1' : 'user2')));
    const replies = await Promise.all(
      clients.map((client, i) =>
        client.request({
          action: 'send_message',
          sender: i % 2 === 0 ? 'user1' : 'user2',
          receiver: i % 2 === 0 ? 'user2' : 'user1',
          message: `message ${i} ✉️`,
          timestamp: `2025-05-13T21:52:${String(i % 60).padStart(2, '0')}.${String(i).padStart(6, '0')}`,
          is_image: false,
        }),
      ),
    );
    expect(replies.every((reply) => reply['status'] === 'success' && reply['message'] === REPLY_TEXT.messageSent)).toBe(true);
    const stored = ConversationFile.parse(JSON.parse(await readFile(join(server.dataDir, 'messages', 'user1_user2.json'), 'utf8')));
    expect(stored).toHaveLength(200);
    expect(new Set(stored.map((m) => m.message))).toEqual(new Set(Array.from({ length: 200 }, (_, i) => `message ${i} ✉️`)));
  });

  it('concurrent friend requests, posts and comments all land', async () => {
    server = await startTestServer({ seedUsers: 40 });
    const senders = await Promise.all(Array.from({ length: 39 }, (_, i) => server!.loggedIn(`user${i + 2}`)));
    const replies = await Promise.all(
      senders.map((client, i) => client.request({ action: 'send_friend_request', sender: `user${i + 2}`, receiver: 'user1' })),
    );
    expect(replies.every((reply) => reply['status'] === 'success')).toBe(true);
    const uploads = await Promise.all(
      senders.slice(0, 20).map((client, i) =>
        client.withImage(
          { action: 'upload_post', username: `user${i + 2}`, caption: `post ${i}`, timestamp: '2025-05-13 21:52:29' },
          Buffer.from(`image ${i}`),
        ),
      ),
    );
    expect(uploads.every((u) => u.final?.['status'] === 'success')).toBe(true);
    const posts = PostsFile.parse(JSON.parse(await readFile(join(server.dataDir, 'posts', 'posts.json'), 'utf8')));
    expect(posts).toHaveLength(20);
    const comments = await Promise.all(
      senders.map((client, i) =>
        client.request({ action: 'add_comment', post_image_path: posts[0]!.image_path, user: `user${i + 2}`, text: `c${i}` }),
      ),
    );
    expect(comments.every((reply) => reply['status'] === 'success')).toBe(true);
    const users = UsersFile.parse(JSON.parse(await readFile(join(server.dataDir, 'users', 'users.json'), 'utf8')));
    expect(new Set(users['user1']!.requests)).toEqual(new Set(Array.from({ length: 39 }, (_, i) => `user${i + 2}`)));
    const after = PostsFile.parse(JSON.parse(await readFile(join(server.dataDir, 'posts', 'posts.json'), 'utf8')));
    expect(after[0]!.comments).toHaveLength(39);
    // Twenty posts in the same second: twenty distinct image files, each with its own bytes.
    const images = await Promise.all(after.map((post) => readFile(join(server!.dataDir, '..', post.image_path), 'utf8')));
    expect(new Set(images).size).toBe(20);
  });
});
