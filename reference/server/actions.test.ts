import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ErrorReply,
  GetFeedReply,
  GetMessagesReply,
  GetUserDataReply,
  ImageSuccessAck,
  REPLY_TEXT,
  ReadyAck,
  replySchema,
  type Action,
} from '../../spec/messages/index.ts';
import type { JsonObject } from '../../spec/codec/index.ts';
import { startTestServer, type TestServer } from './testing/test-client.ts';

// Every action's success and error paths over real TCP, replies checked against the spec's schemas.

const POST_TS = '2025-05-13 21:52:29';
const DM_TS = '2025-05-13T21:52:29.123456';
const IMAGE = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

function expectReply(action: Action, reply: JsonObject): void {
  const parsed = replySchema(action).safeParse(reply);
  expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
}

function expectError(reply: JsonObject, message?: string): void {
  expect(ErrorReply.parse(reply)).toBeTruthy();
  if (message !== undefined) expect(reply['message']).toBe(message);
}

async function users(dataDir: string): Promise<Record<string, { friends: string[]; requests: string[] }>> {
  return JSON.parse(await readFile(join(dataDir, 'users', 'users.json'), 'utf8'));
}

describe('login (AUTH-1..AUTH-4)', () => {
  it('accepts a known user case-insensitively, refuses wrong passwords and unknown users', async () => {
    server = await startTestServer();
    const c = await server.client();
    const ok = await c.login('User1', '123');
    expectReply('login', ok);
    expect(ok).toEqual({ status: 'success', message: REPLY_TEXT.loginOk });
    expectError(await c.login('user1', 'wrong'), REPLY_TEXT.invalidCredentials);
    expectError(await c.login('nobody', '123'), REPLY_TEXT.invalidCredentials);
    expectError(await c.login('user1', '1234'), REPLY_TEXT.invalidCredentials);
  });

  it('strict mode: every action but login needs a login first; course mode does not', async () => {
    server = await startTestServer();
    const c = await server.client();
    const guarded: JsonObject[] = [{ action: 'get_all_users' }, { action: 'get_feed' }, { action: 'get_user_data', username: 'user1' }];
    for (const request of guarded) {
      expectError(await c.request(request));
    }
    await server.stop();
    server = await startTestServer({ mode: 'course' });
    const d = await server.client();
    expectReply('get_all_users', await d.request({ action: 'get_all_users' }));
  });

  it('strict mode: a connection acts only as its own user (AUTH-5)', async () => {
    server = await startTestServer();
    const c = await server.loggedIn('user1');
    const impersonations: JsonObject[] = [
      { action: 'send_friend_request', sender: 'user2', receiver: 'user3' },
      { action: 'accept_friend_request', user: 'user2', friend: 'user1' },
      { action: 'reject_friend_request', user: 'user2', friend: 'user1' },
      { action: 'send_message', sender: 'user2', receiver: 'user1', message: 'x', timestamp: DM_TS, is_image: false },
      { action: 'get_messages', user1: 'user2', user2: 'user3' },
      { action: 'upload_post', username: 'user2', caption: '', timestamp: POST_TS },
      { action: 'add_comment', post_image_path: 'data/images/x.jpg', user: 'user2', text: 'x' },
    ];
    for (const request of impersonations) expectError(await c.request(request));
    // Logging in again switches the identity.
    await c.login('user2');
    expectReply('send_friend_request', await c.request({ action: 'send_friend_request', sender: 'user2', receiver: 'user3' }));
  });
});

describe('friend requests (FRQ-1..FRQ-6)', () => {
  it('send, accept: both become friends once and the request is gone', async () => {
    server = await startTestServer();
    const one = await server.loggedIn('user1');
    const two = await server.loggedIn('user2');
    const sent = await one.request({ action: 'send_friend_request', sender: 'user1', receiver: 'user2' });
    expectReply('send_friend_request', sent);
    expect(sent['message']).toBe(REPLY_TEXT.friendRequestSent);
    const data = GetUserDataReply.parse(await two.request({ action: 'get_user_data', username: 'user2' }));
    expect(data.user_data.requests).toEqual(['user1']);
    expect(data.user_data.password).toBeUndefined(); // AUTH-6
    const accepted = await two.request({ action: 'accept_friend_request', user: 'user2', friend: 'user1' });
    expect(accepted).toEqual({ status: 'success', message: REPLY_TEXT.friendRequestAccepted });
    const stored = await users(server.dataDir);
    expect(stored['user1']!.friends).toEqual(['user2']);
    expect(stored['user2']!.friends).toEqual(['user1']);
    expect(stored['user2']!.requests).toEqual([]);
    // FRQ-4: to an existing friend; FRQ-5: nothing pending any more.
    expectError(await one.request({ action: 'send_friend_request', sender: 'user1', receiver: 'user2' }), REPLY_TEXT.invalidRequest);
    expectError(await two.request({ action: 'accept_friend_request', user: 'user2', friend: 'user1' }), REPLY_TEXT.invalidRequest);
  });

  it('refuses unknown users, oneself and duplicates; reject drops the request without a friendship', async () => {
    server = await startTestServer();
    const one = await server.loggedIn('user1');
    const three = await server.loggedIn('user3');
    expectError(await one.request({ action: 'send_friend_request', sender: 'user1', receiver: 'nobody' }), REPLY_TEXT.invalidRequest);
    expectError(await one.request({ action: 'send_friend_request', sender: 'user1', receiver: 'user1' }), REPLY_TEXT.invalidRequest);
    expectReply('send_friend_request', await one.request({ action: 'send_friend_request', sender: 'user1', receiver: 'user3' }));
    expectError(await one.request({ action: 'send_friend_request', sender: 'user1', receiver: 'user3' }), REPLY_TEXT.invalidRequest);
    expect((await users(server.dataDir))['user3']!.requests).toEqual(['user1']);
    const rejected = await three.request({ action: 'reject_friend_request', user: 'user3', friend: 'user1' });
    expect(rejected).toEqual({ status: 'success', message: REPLY_TEXT.friendRequestRejected });
    expectError(await three.request({ action: 'reject_friend_request', user: 'user3', friend: 'user1' }), REPLY_TEXT.invalidRequest);
    const stored = await users(server.dataDir);
    expect(stored['user3']).toEqual({ password: '123', friends: [], requests: [] });
    expect(stored['user1']!.friends).toEqual([]);
  });
});

describe('direct messages (DM-1..DM-6)', () => {
  it('stores text exactly, both directions in order, Arabic, emoji and > 4096 bytes', async () => {
    server = await startTestServer();
    const one = await server.loggedIn('user1');
    const two = await server.loggedIn('user2');
    const texts = ['مرحبا بالعالم', 'emoji 😀👍🏽 and \u0000 nul', 'x'.repeat(10_000), ''];
    for (const [i, text] of texts.entries()) {
      const sender = i % 2 === 0 ? one : two;
      const [from, to] = i % 2 === 0 ? ['user1', 'user2'] : ['user2', 'user1'];
      const reply = await sender.request({ action: 'send_message', sender: from, receiver: to, message: text, timestamp: DM_TS, is_image: false });
      expect(reply).toEqual({ status: 'success', message: REPLY_TEXT.messageSent });
    }
    const got = GetMessagesReply.parse(await two.request({ action: 'get_messages', user1: 'user2', user2: 'user1' }));
    expect(got.messages.map((m) => m.message)).toEqual(texts);
    expect(got.messages[1]).toEqual({ sender: 'user2', receiver: 'user1', message: texts[1], timestamp: DM_TS, is_image: false });
    // The file is the course's: sorted names, 4-space indent, ASCII escapes, no trailing newline.
    const file = await readFile(join(server.dataDir, 'messages', 'user1_user2.json'), 'latin1');
    expect(file.startsWith('[\n    {\n        "sender": "user1",')).toBe(true);
    expect(file.endsWith(']')).toBe(true);
    expect(file).toContain('\\u0645\\u0631\\u062d\\u0628\\u0627');
    expect(file).toContain('\\ud83d\\ude00');
    expect(/[^\x00-\x7f]/.test(file)).toBe(false);
  });

  it('answers [] for no conversation and refuses unknown users and unsafe names (DM-4, DM-6, SEC-1)', async () => {
    server = await startTestServer();
    const one = await server.loggedIn('user1');
    const empty = GetMessagesReply.parse(await one.request({ action: 'get_messages', user1: 'user1', user2: 'user5' }));
    expect(empty.messages).toEqual([]);
    const base = { action: 'send_message', sender: 'user1', message: 'hi', timestamp: DM_TS, is_image: false };
    expectError(await one.request({ ...base, receiver: 'nobody' }), REPLY_TEXT.userNotFound);
    expectError(await one.request({ ...base, receiver: '../../etc/passwd' }));
    expectError(await one.request({ action: 'get_messages', user1: 'user1', user2: '../users/users' }));
    expect(await readFile(join(server.dataDir, 'messages', 'nobody_user1.json')).catch(() => 'absent')).toBe('absent');
  });

  it('image DM: ready, acknowledgement, final reply; stored as "Image" with an image_path holding the bytes (DM-5)', async () => {
    server = await startTestServer();
    const one = await server.loggedIn('user1');
    const { first, ack, final } = await one.withImage(
      { action: 'send_message', sender: 'user1', receiver: 'user2', message: 'Image', timestamp: DM_TS, is_image: true },
      IMAGE,
    );
    ReadyAck.parse(first);
    ImageSuccessAck.parse(ack);
    expectReply('send_message', final!);
    const got = GetMessagesReply.parse(await one.request({ action: 'get_messages', user1: 'user1', user2: 'user2' }));
    const entry = got.messages[0]!;
    expect(entry).toMatchObject({ sender: 'user1', receiver: 'user2', message: 'Image', is_image: true });
    expect(entry.image_path).toBe('data/images/user1_user2_2025-05-13T21-52-29.123456.jpg');
    expect(await readFile(join(server.dataDir, 'images', 'user1_user2_2025-05-13T21-52-29.123456.jpg'))).toEqual(IMAGE);
  });
});

describe('posts, feed and comments (POST-1..POST-5)', () => {
  it('upload_post stores the post and the exact bytes; get_feed returns it with base64 image_data', async () => {
    server = await startTestServer();
    const one = await server.loggedIn('user1');
    const caption = 'غروب 🌅';
    const { first, ack, final } = await one.withImage({ action: 'upload_post', username: 'user1', caption, timestamp: POST_TS }, IMAGE);
    ReadyAck.parse(first);
    ImageSuccessAck.parse(ack);
    expect(final).toEqual({ status: 'success', message: REPLY_TEXT.postUploaded });
    const posts = JSON.parse(await readFile(join(server.dataDir, 'posts', 'posts.json'), 'utf8'));
    expect(posts).toEqual([{ username: 'user1', image_path: 'data/images/user1_2025-05-13 21-52-29.jpg', caption, timestamp: POST_TS }]);
    expect(await readFile(join(server.dataDir, 'images', 'user1_2025-05-13 21-52-29.jpg'))).toEqual(IMAGE);
    const feed = GetFeedReply.parse(await one.request({ action: 'get_feed' }));
    expect(feed.posts).toHaveLength(1);
    expect(Buffer.from(feed.posts[0]!.image_data, 'base64')).toEqual(IMAGE);
    // Empty caption and an empty image are fine (POST-5, IMG-5); a second post in the same second keeps both images.
    const again = await one.withImage({ action: 'upload_post', username: 'user1', caption: '', timestamp: POST_TS }, Buffer.alloc(0));
    expect(again.final).toEqual({ status: 'success', message: REPLY_TEXT.postUploaded });
    const feed2 = GetFeedReply.parse(await one.request({ action: 'get_feed' }));
    expect(feed2.posts.map((p) => [p.caption, p.image_data])).toEqual([[caption, IMAGE.toString('base64')], ['', '']]);
    expect(feed2.posts[1]!.image_path).not.toBe(feed2.posts[0]!.image_path);
  });

  it('refuses before "ready" when the post cannot be stored (unknown user, unsafe name, bad timestamp)', async () => {
    server = await startTestServer({ mode: 'course' });
    const c = await server.client();
    expectError(await c.request({ action: 'upload_post', username: 'ghost', caption: '', timestamp: POST_TS }), REPLY_TEXT.userNotFound);
    expectError(await c.request({ action: 'upload_post', username: '../evil', caption: '', timestamp: POST_TS }));
    expectError(await c.request({ action: 'upload_post', username: '/tmp/evil', caption: '', timestamp: POST_TS }));
    expectError(await c.request({ action: 'upload_post', username: 'user1', caption: '', timestamp: '../../x' }));
    // Still usable afterwards (ERR-2).
    expectReply('get_all_users', await c.request({ action: 'get_all_users' }));
  });

  it('add_comment persists; "No posts found" and "Post not found" otherwise', async () => {
    server = await startTestServer();
    const one = await server.loggedIn('user1');
    const comment = { action: 'add_comment', post_image_path: 'data/images/user1_2025-05-13 21-52-29.jpg', user: 'user1', text: 'nice! 👍' };
    expectError(await one.request(comment), REPLY_TEXT.noPostsFound);
    await one.withImage({ action: 'upload_post', username: 'user1', caption: 'c', timestamp: POST_TS }, IMAGE);
    const ok = await one.request(comment);
    expectReply('add_comment', ok);
    expect(ok).toEqual({ status: 'success' });
    expectError(await one.request({ ...comment, post_image_path: 'data/images/none.jpg' }), REPLY_TEXT.postNotFound);
    const posts = JSON.parse(await readFile(join(server.dataDir, 'posts', 'posts.json'), 'utf8'));
    expect(posts[0].comments).toEqual([{ user: 'user1', text: 'nice! 👍' }]);
    const feed = GetFeedReply.parse(await one.request({ action: 'get_feed' }));
    expect(feed.posts[0]!.comments).toEqual([{ user: 'user1', text: 'nice! 👍' }]);
  });
});

describe('users (USER-1, USER-2) and unknown actions (ERR-1)', () => {
  it('lists users in file order and returns user data; course mode discloses the password', async () => {
    server = await startTestServer({ mode: 'course', seedUsers: 8 });
    const c = await server.client();
    const all = await c.request({ action: 'get_all_users' });
    expectReply('get_all_users', all);
    expect(all['users']).toEqual(['user1', 'user2', 'user3', 'user4', 'user5', 'user6', 'user7', 'user8']);
    const data = await c.request({ action: 'get_user_data', username: 'user8' });
    expectReply('get_user_data', data);
    expect(data).toEqual({ status: 'success', user_data: { password: '123', friends: [], requests: [] } });
    expectError(await c.request({ action: 'get_user_data', username: 'nobody' }), REPLY_TEXT.userNotFound);
    expectError(await c.request({ action: 'get_user_data', username: '__proto__' }), REPLY_TEXT.userNotFound);
  });

  it('answers "Invalid action" for unknown, missing and non-string actions', async () => {
    server = await startTestServer();
    const c = await server.client();
    const invalid: JsonObject[] = [{ action: 'delete_everything' }, {}, { action: 5 }, { action: 'LOGIN' }];
    for (const request of invalid) {
      expectError(await c.request(request), REPLY_TEXT.invalidAction);
    }
  });
});
