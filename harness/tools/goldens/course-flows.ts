import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { FrameSocket, dialTcp } from '../../../spec/codec/index.ts';
import { InstaNetClient, ErrorReplyError, type Clock } from '../../../reference/client/index.ts';

// The course app's flows, driven by the reference SDK the way the course client drives them: each
// user on a connection of their own, posts and DMs stamped by a clock. The clock is fixed and steps
// one second per stamp so golden transcripts come out the same on every machine and no two images
// share a file name.

export const IMAGES_DIR = fileURLToPath(new URL('../../../fixtures/images/', import.meta.url));

export interface FlowContext {
  host: string;
  port: number;
  /** Every client the flow opens goes through here, so the recorder sees it and it gets closed. */
  open(): Promise<InstaNetClient>;
  image(name: 'small.jpg' | 'photo-35k.jpg'): Promise<Buffer>;
}

export interface CourseFlow {
  name: string;
  title: string;
  /** Requirement IDs the flow exercises (for the reader; the checks live in the scenarios). */
  requirements: string[];
  run(ctx: FlowContext): Promise<void>;
}

/** 2026-01-15 10:00:00 local time, one second more per call. */
export function steppingClock(start = new Date(2026, 0, 15, 10, 0, 0)): Clock {
  let tick = 0;
  return () => new Date(start.getTime() + 1000 * tick++);
}

/** A call the flow expects the server to refuse: the refusal is part of the recording. */
async function refused(call: Promise<unknown>, message: string): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ErrorReplyError && error.serverMessage === message) return;
    throw error;
  }
  throw new Error(`expected the server to refuse with "${message}", but it succeeded`);
}

async function loggedIn(ctx: FlowContext, user: string): Promise<InstaNetClient> {
  const client = await ctx.open();
  await client.login(user, '123');
  return client;
}

const ARABIC = 'مرحبا، كيف حالك؟';
const EMOJI = 'see you at 5 👋🏽🎉';

export const COURSE_FLOWS: readonly CourseFlow[] = [
  {
    name: 'login',
    title: 'Login: success, wrong password, unknown user, upper-case username',
    requirements: ['AUTH-1', 'AUTH-2', 'AUTH-3'],
    async run(ctx) {
      const client = await ctx.open();
      await refused(client.login('user1', 'wrong'), 'Invalid credentials');
      await refused(client.login('nobody', '123'), 'Invalid credentials');
      await client.login('USER1', '123');
      await client.getAllUsers();
    },
  },
  {
    name: 'friend-requests',
    title: 'Friend requests: send, see, accept, reject, refuse a duplicate of a friendship',
    requirements: ['FRQ-1', 'FRQ-2', 'FRQ-3', 'FRQ-4', 'FRQ-5', 'USER-2'],
    async run(ctx) {
      const user1 = await loggedIn(ctx, 'user1');
      const user2 = await loggedIn(ctx, 'user2');
      const user3 = await loggedIn(ctx, 'user3');
      await user1.sendFriendRequest('user1', 'user2');
      await user1.sendFriendRequest('user1', 'user3');
      await user2.getUserData('user2');
      await user2.acceptFriendRequest('user2', 'user1');
      await user3.rejectFriendRequest('user3', 'user1');
      await refused(user3.acceptFriendRequest('user3', 'user1'), 'Invalid request');
      await refused(user1.sendFriendRequest('user1', 'user2'), 'Invalid request');
      await user1.getUserData('user1');
      await user3.getUserData('user3');
    },
  },
  {
    name: 'direct-messages',
    title: 'Direct messages with Arabic, emoji and a text over 4096 bytes, read from both sides',
    requirements: ['DM-1', 'DM-2', 'DM-3', 'DM-6', 'FRAME-4', 'FRAME-11'],
    async run(ctx) {
      const user1 = await loggedIn(ctx, 'user1');
      const user2 = await loggedIn(ctx, 'user2');
      await user1.getMessages('user1', 'user2');
      await user1.sendMessage('user1', 'user2', ARABIC);
      await user2.sendMessage('user2', 'user1', EMOJI);
      await user1.sendMessage('user1', 'user2', `long: ${'نص طويل '.repeat(400)}end`);
      await user2.getMessages('user2', 'user1');
      await user1.getMessages('user1', 'user2');
    },
  },
  {
    name: 'post-with-image',
    title: 'A post with an image (the whole image exchange), then the feed and a comment',
    requirements: ['IMG-1', 'IMG-2', 'IMG-3', 'IMG-4', 'POST-1', 'POST-3', 'POST-4', 'POST-5'],
    async run(ctx) {
      const user1 = await loggedIn(ctx, 'user1');
      const user2 = await loggedIn(ctx, 'user2');
      await user1.uploadPost(await ctx.image('small.jpg'), `first post ${ARABIC} 📷`);
      const feed = await user2.getFeed();
      const path = feed.posts[0]?.image_path;
      if (!path) throw new Error('the feed did not list the post just uploaded');
      await user2.addComment(path, 'user2', `nice! ${EMOJI}`);
      await user1.getFeed();
    },
  },
  {
    name: 'image-dm',
    title: 'An image sent as a direct message, then read back',
    requirements: ['DM-5', 'IMG-1', 'IMG-3', 'IMG-4', 'DM-2'],
    async run(ctx) {
      const user1 = await loggedIn(ctx, 'user1');
      const user2 = await loggedIn(ctx, 'user2');
      await user1.sendMessage('user1', 'user2', 'a picture follows');
      await user1.sendImage('user1', 'user2', await ctx.image('small.jpg'));
      await user2.getMessages('user2', 'user1');
    },
  },
  {
    name: 'photo-post',
    title: 'A 35 KB photo posted (image bytes kept by hash only) and read back through get_feed',
    requirements: ['IMG-3', 'POST-1', 'POST-2', 'POST-3'],
    async run(ctx) {
      const user4 = await loggedIn(ctx, 'user4');
      await user4.uploadPost(await ctx.image('photo-35k.jpg'), 'holiday');
      await user4.getFeed();
    },
  },
  {
    name: 'errors',
    title: 'Errors: an unknown action, an unknown user, then malformed JSON (error reply, connection closed)',
    requirements: ['ERR-1', 'ERR-3', 'USER-2', 'FRAME-9'],
    async run(ctx) {
      const client = await loggedIn(ctx, 'user5');
      await refused(client.getUserData('ghost'), 'User not found');
      // The SDK only sends valid requests; the raw socket below sends what a broken client would.
      const socket = await dialTcp(
        { host: ctx.host, port: ctx.port, timeoutMs: 5000 },
        { timeout: () => new Error(`no connection to ${ctx.host}:${ctx.port} within 5000 ms`), error: (error) => error },
      );
      const frames = new FrameSocket(socket);
      await frames.sendJson({ action: 'dance' });
      await frames.readJson(5000);
      await frames.write(Buffer.from('{"action": oops}'));
      await frames.readJson(5000);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          socket.destroy();
          resolve();
        }, 5000);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        frames.end();
      });
    },
  },
];

export async function loadImage(name: string): Promise<Buffer> {
  return readFile(new URL(name, `file://${IMAGES_DIR}`));
}
