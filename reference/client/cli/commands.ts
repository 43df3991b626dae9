import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dmTimestamp, postTimestamp } from '../timestamps.ts';
import type { CommandContext, CommandResult, CommandSpec, FeedItem, FeedPost } from './command-spec.ts';
import { ClientUsageError } from './usage-error.ts';

// The commands of the course app, each one or two SDK calls as the logged-in user.

function readImage(cwd: string, file: string): Buffer {
  try {
    return readFileSync(path.resolve(cwd, file));
  } catch (error) {
    throw new ClientUsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'give the path of an image file');
  }
}

function toFeedItem(post: FeedPost, index: number): FeedItem {
  const data = typeof post.image_data === 'string' ? Buffer.from(post.image_data, 'base64') : undefined;
  return {
    number: index + 1,
    username: post.username,
    caption: post.caption,
    timestamp: post.timestamp,
    image_path: post.image_path,
    image_bytes: data ? data.length : null,
    image_sha256: data ? createHash('sha256').update(data).digest('hex') : null,
    comments: (post.comments ?? []).map((c) => ({ user: c.user, text: c.text })),
  };
}

/** A file name for a saved feed image: the post's own file name, never a path outside `dir`. */
function savedName(imagePath: string, number: number, taken: Set<string>): string {
  const base = path.basename(imagePath.replaceAll('\\', '/')).replace(/[^\p{L}\p{N} ._-]/gu, '_') || `post-${number}.jpg`;
  const name = taken.has(base) ? `${number}-${base}` : base;
  taken.add(name);
  return name;
}

/** `comment 2 ...` means the second post of `feed`; anything else is an image_path. */
async function resolvePost(ctx: CommandContext, post: string): Promise<string> {
  const numbered = /^#?(\d+)$/.exec(post);
  if (!numbered) return post;
  const { posts } = await ctx.client.getFeed();
  const index = Number(numbered[1]) - 1;
  const found = posts[index];
  if (!found) {
    throw new ClientUsageError(
      `there is no post #${numbered[1]}: the feed has ${posts.length} post${posts.length === 1 ? '' : 's'}`,
      'run `feed` to see the numbers, or give the post\'s image path',
    );
  }
  return found.image_path;
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'users',
    summary: 'list every user, marking you, your friends and pending requests',
    args: [],
    async run(ctx) {
      const { users } = await ctx.client.getAllUsers();
      const { user_data } = await ctx.client.getUserData(ctx.user);
      return { command: 'users', you: ctx.user, users, friends: user_data.friends, requests: user_data.requests };
    },
  },
  {
    name: 'requests',
    summary: 'list the friend requests waiting for you',
    args: [],
    async run(ctx) {
      const { user_data } = await ctx.client.getUserData(ctx.user);
      return { command: 'requests', requests: user_data.requests };
    },
  },
  {
    name: 'friends',
    summary: 'list your friends',
    args: [],
    async run(ctx) {
      const { user_data } = await ctx.client.getUserData(ctx.user);
      return { command: 'friends', friends: user_data.friends };
    },
  },
  {
    name: 'friend-request',
    summary: 'send a friend request',
    args: [{ name: 'user', kind: 'user', description: 'who to send it to' }],
    async run(ctx, [to]) {
      const reply = await ctx.client.sendFriendRequest(ctx.user, to!);
      return { command: 'friend-request', to: to!, message: reply.message };
    },
  },
  {
    name: 'accept',
    summary: 'accept a friend request',
    args: [{ name: 'user', kind: 'user', description: 'who sent it' }],
    async run(ctx, [from]) {
      const reply = await ctx.client.acceptFriendRequest(ctx.user, from!);
      return { command: 'accept', from: from!, message: reply.message };
    },
  },
  {
    name: 'reject',
    summary: 'reject a friend request',
    args: [{ name: 'user', kind: 'user', description: 'who sent it' }],
    async run(ctx, [from]) {
      const reply = await ctx.client.rejectFriendRequest(ctx.user, from!);
      return { command: 'reject', from: from!, message: reply.message };
    },
  },
  {
    name: 'dm',
    summary: 'send a direct message',
    args: [
      { name: 'user', kind: 'user', description: 'who to send it to' },
      { name: 'text', kind: 'text', description: 'the message (the rest of the line)', rest: true },
    ],
    example: 'dm user2 hello there 👋',
    async run(ctx, [to, text]) {
      const timestamp = dmTimestamp(ctx.clock);
      const reply = await ctx.client.sendMessage(ctx.user, to!, text!, { timestamp });
      return { command: 'dm', to: to!, text: text!, timestamp, message: reply.message };
    },
  },
  {
    name: 'dm-image',
    summary: 'send an image as a direct message',
    args: [
      { name: 'user', kind: 'user', description: 'who to send it to' },
      { name: 'file', kind: 'file', description: 'the image file' },
    ],
    async run(ctx, [to, file]) {
      const image = readImage(ctx.cwd, file!);
      const timestamp = dmTimestamp(ctx.clock);
      const reply = await ctx.client.sendImage(ctx.user, to!, image, { timestamp });
      return { command: 'dm-image', to: to!, file: file!, bytes: image.length, timestamp, message: reply.message };
    },
  },
  {
    name: 'messages',
    summary: 'show your conversation with a user',
    args: [{ name: 'user', kind: 'user', description: 'the other user' }],
    async run(ctx, [other]) {
      const { messages } = await ctx.client.getMessages(ctx.user, other!);
      return { command: 'messages', you: ctx.user, with: other!, messages };
    },
  },
  {
    name: 'post',
    summary: 'upload a post',
    args: [{ name: 'file', kind: 'file', description: 'the image file' }],
    options: [{ name: 'caption', kind: 'text', description: 'the caption (default: empty)' }],
    example: 'post photo.jpg --caption "sunset at the beach"',
    async run(ctx, [file], options) {
      const image = readImage(ctx.cwd, file!);
      const caption = options.caption ?? '';
      const timestamp = postTimestamp(ctx.clock);
      const reply = await ctx.client.uploadPost(image, caption, { timestamp, username: ctx.user });
      return { command: 'post', file: file!, bytes: image.length, caption, timestamp, message: reply.message };
    },
  },
  {
    name: 'feed',
    summary: 'show every post with its caption, image size and comments',
    args: [],
    options: [{ name: 'save-images', kind: 'dir', description: 'also write each post\'s image into this folder' }],
    async run(ctx, _args, options) {
      const { posts } = await ctx.client.getFeed();
      const items = posts.map(toFeedItem);
      const dir = options['save-images'];
      if (dir === undefined) return { command: 'feed', posts: items };
      const target = path.resolve(ctx.cwd, dir);
      try {
        mkdirSync(target, { recursive: true });
      } catch (error) {
        throw new ClientUsageError(`cannot create ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'give a folder you can write to');
      }
      const taken = new Set<string>();
      posts.forEach((post, index) => {
        const item = items[index]!;
        if (typeof post.image_data !== 'string') return;
        const name = savedName(post.image_path, item.number, taken);
        writeFileSync(path.join(target, name), Buffer.from(post.image_data, 'base64'));
        item.saved_as = path.join(dir, name);
      });
      return { command: 'feed', posts: items, savedTo: dir };
    },
  },
  {
    name: 'comment',
    summary: 'comment on a post (its number in `feed`, or its image path)',
    args: [
      { name: 'post', kind: 'post', description: 'the post: its number in `feed` (e.g. 2) or its image_path' },
      { name: 'text', kind: 'text', description: 'the comment (the rest of the line)', rest: true },
    ],
    example: 'comment 1 what a view!',
    async run(ctx, [post, text]) {
      const imagePath = await resolvePost(ctx, post!);
      await ctx.client.addComment(imagePath, ctx.user, text!);
      return { command: 'comment', post: imagePath, text: text! };
    },
  },
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** Checks what can be checked before connecting, so a typo costs no connection. */
export function precheck(spec: CommandSpec, args: readonly string[], options: Readonly<Record<string, string | undefined>>, cwd: string): void {
  spec.args.forEach((arg, index) => {
    const value = args[index];
    if (value === undefined || (arg.kind !== 'text' && value === '')) {
      throw new ClientUsageError(`${spec.name}: missing <${arg.name}> (${arg.description})`, `usage: ${usageLine(spec)}`);
    }
    if (arg.kind === 'file') {
      let isFile = false;
      try {
        isFile = statSync(path.resolve(cwd, value)).isFile();
      } catch (error) {
        throw new ClientUsageError(`cannot read ${value}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, 'give the path of an image file');
      }
      if (!isFile) throw new ClientUsageError(`cannot read ${value}: not a file`, 'give the path of an image file');
    }
  });
  if (args.length > spec.args.length) {
    throw new ClientUsageError(`${spec.name}: too many arguments`, `usage: ${usageLine(spec)}`);
  }
  void options;
}

export function usageLine(spec: CommandSpec): string {
  const args = spec.args.map((a) => (a.rest ? `<${a.name}...>` : `<${a.name}>`));
  const options = (spec.options ?? []).map((o) => `[--${o.name} <${o.kind === 'dir' ? 'dir' : o.kind}>]`);
  return [spec.name, ...args, ...options].join(' ');
}
