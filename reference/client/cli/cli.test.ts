import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runClientCli } from './client-command.ts';
import { memoryIo } from '../test-support/memory-io.ts';
import { startReferenceServer } from '../test-support/reference-server.ts';
import { startPythonSample } from '../test-support/python-sample.ts';
import { freePortForRefusal, onJsonRequests, startFakeServer } from '../test-support/fake-server.ts';

// Every command over real TCP against the reference server and the correct Python sample, run
// in-process through the same commander wiring as `instanet client`.

// Binary bytes that would break a text or base64-less path: NUL, braces, 0xff.
const IMAGE = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x7b, 0x7d, 0x22]), Buffer.alloc(3000, 0xa5), Buffer.from([0xff, 0xd9])]);
const ARABIC_EMOJI = 'مرحبا بالعالم 🌍👋 hi';

const workDir = mkdtempSync(path.join(tmpdir(), 'instanet-client-cli-'));
const imageFile = path.join(workDir, 'photo.jpg');
writeFileSync(imageFile, IMAGE);
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

async function cli(args: string[], env: Record<string, string> = {}) {
  const memory = memoryIo({ cwd: workDir, env });
  const code = await runClientCli(args, memory.io);
  return { code, out: memory.out(), err: memory.err() };
}

interface Target {
  name: string;
  start(): Promise<{ port: number; dir?: string; stop(): Promise<void> }>;
  /** The course starter's get_feed always answers [] (POST-3 is a SHOULD it misses). */
  servesFeed: boolean;
}

const TARGETS: Target[] = [
  { name: 'reference server', servesFeed: true, start: () => startReferenceServer() },
  { name: 'correct Python sample', servesFeed: false, start: () => startPythonSample('correct') },
];

describe.each(TARGETS)('instanet client against the $name', (target) => {
  let port = 0;
  let dir: string | undefined;
  let stop: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    const running = await target.start();
    ({ port, dir, stop } = running);
  });
  afterAll(() => stop());

  const as = (user: string, ...args: string[]) => cli(['--port', String(port), '--user', user, '--password', '123', ...args]);

  it('users, friend-request, requests, accept, friends, reject', async () => {
    const users = await as('user1', 'users');
    expect(users).toMatchObject({ code: 0, err: '' });
    expect(users.out).toContain('user1 (you)');
    expect(users.out).toContain('user6');

    expect((await as('user1', 'friend-request', 'user2')).out).toBe('Friend request sent: user2\n');
    expect((await as('user2', 'requests')).out).toContain('  user1');
    expect((await as('user2', 'accept', 'user1')).out).toBe('Friend request accepted: user1\n');
    expect((await as('user1', 'friends')).out).toBe('1 friend:\n  user2\n');
    expect((await as('user1', 'users')).out).toContain('user2 (friend)');

    await as('user3', 'friend-request', 'user1');
    expect((await as('user1', 'users')).out).toContain('user3 (sent you a friend request)');
    expect((await as('user1', 'reject', 'user3')).out).toBe('Friend request rejected: user3\n');
    expect((await as('user1', 'requests')).out).toBe('No pending friend requests.\n');
  });

  it('dm and dm-image round-trip Arabic and emoji; messages shows times and senders (human and --json)', async () => {
    expect(await as('user1', 'dm', 'user2', ARABIC_EMOJI)).toMatchObject({ code: 0, out: 'Message sent to user2\n' });
    const image = await as('user1', 'dm-image', 'user2', 'photo.jpg');
    expect(image.code).toBe(0);
    expect(image.out).toBe(`Message sent to user2: image photo.jpg (${(IMAGE.length / 1024).toFixed(1)} KB)\n`);
    await as('user2', 'dm', 'user1', 'شكرا ✨');

    const human = await as('user1', 'messages', 'user2');
    const lines = human.out.trimEnd().split('\n');
    expect(lines[0]).toBe('Conversation between user1 and user2 (3 messages):');
    expect(lines[1]).toMatch(new RegExp(`^\\[\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\] user1: ${ARABIC_EMOJI}$`, 'u'));
    expect(lines[2]).toMatch(/^\[.*\] user1: \[image: .*\.jpg\]$/);
    expect(lines[3]).toMatch(/\] user2: شكرا ✨$/u);

    const json = await as('user2', '--json', 'messages', 'user1');
    const parsed = JSON.parse(json.out) as { ok: boolean; result: { messages: { sender: string; message: string; is_image: boolean; image_path?: string }[] } };
    expect(parsed.ok).toBe(true);
    expect(parsed.result.messages.map((m) => m.message)).toEqual([ARABIC_EMOJI, 'Image', 'شكرا ✨']);
    if (dir) expect(readFileSync(path.join(dir, parsed.result.messages[1]!.image_path!))).toEqual(IMAGE);
  });

  it('post, feed --save-images and comment', async () => {
    const post = await as('user1', 'post', 'photo.jpg', '--caption', 'sunset 🌅');
    expect(post).toMatchObject({ code: 0, err: '' });
    expect(post.out).toMatch(/^Post uploaded successfully: photo\.jpg \(2\.9 KB\) — sunset 🌅\n$/u);

    const saveDir = path.join(workDir, `feed-${target.servesFeed ? 'ref' : 'py'}`);
    const feed = await as('user2', 'feed', '--save-images', saveDir);
    expect(feed.code).toBe(0);
    let postPath: string;
    if (target.servesFeed) {
      expect(feed.out).toMatch(/^1 post:\n#1  user1 · \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} · image 2\.9 KB · data\/images\/user1_.*\.jpg\n {4}sunset 🌅\n/u);
      const saved = readdirSync(saveDir);
      expect(saved).toHaveLength(1);
      expect(readFileSync(path.join(saveDir, saved[0]!))).toEqual(IMAGE);
      expect((await as('user2', 'comment', '1', 'what a view 👀')).out).toMatch(/^Comment added to data\/images\/user1_.*: what a view 👀\n$/u);
      expect((await as('user1', 'feed')).out).toContain('    💬 user2: what a view 👀');
      const json = JSON.parse((await as('user1', '--json', 'feed')).out) as { result: { posts: { image_bytes: number; image_path: string }[] } };
      expect(json.result.posts[0]!.image_bytes).toBe(IMAGE.length);
      postPath = json.result.posts[0]!.image_path;
    } else {
      expect(feed.out).toBe('The feed is empty.\n');
      const posts = JSON.parse(readFileSync(path.join(dir!, 'data/posts/posts.json'), 'utf8')) as { image_path: string }[];
      postPath = posts[0]!.image_path;
      expect(readFileSync(path.join(dir!, postPath))).toEqual(IMAGE);
    }
    const comment = await as('user2', 'comment', postPath, 'nice');
    expect(comment).toMatchObject({ code: 0, out: `Comment added to ${postPath}: nice\n` });
  });

  it('exit 1 with a one-line message when the server says error, also as --json', async () => {
    const refused = await as('user1', 'accept', 'user5');
    expect(refused.code).toBe(1);
    expect(refused.out).toBe('');
    expect(refused.err).toBe(
      'instanet client: server said error: Invalid request (accept_friend_request) — there is no pending request from that user; see `requests`\n',
    );
    const json = await as('user1', '--json', 'accept', 'user5');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({ ok: false, exitCode: 1, error: { code: 'INSTANET_ERR_SERVER_ERROR', serverMessage: 'Invalid request' } });

    const badLogin = await cli(['--port', String(port), '--user', 'user1', '--password', 'wrong', 'users']);
    expect(badLogin.code).toBe(1);
    expect(badLogin.err).toMatch(/^instanet client: server said error: Invalid credentials \(login\) — check --user and --password/);
  });
});

describe('instanet client without a healthy server', () => {
  it('exit 2 for usage errors, each with one line saying what to do', async () => {
    const cases: [string[], RegExp][] = [
      [['-u', 'user1', '--password', '1', 'dm', 'user2'], /missing required argument 'text'/],
      [['-u', 'user1', '--password', '1', 'nonsense'], /unknown command 'nonsense'/],
      [['--port', 'abc', '-u', 'user1', '--password', '1', 'users'], /invalid port "abc" \(--port\) — give a number from 1 to 65535/],
      [['-u', 'user1', '--password', '1', 'post', 'missing.jpg'], /cannot read missing\.jpg: no such file/],
      [['--password', '1', 'users'], /missing --user: which user to log in as — add --user user1 \(or set INSTANET_USER\)/],
      [['-u', 'user1', '--timeout', '-5', 'users'], /invalid timeout/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.err).toMatch(message);
    }
  });

  it('exit 3 when nothing listens, with a hint to start a server', async () => {
    const port = await freePortForRefusal();
    const result = await cli(['--port', String(port), '-u', 'user1', '--password', '123', 'users']);
    expect(result.code).toBe(3);
    expect(result.err).toBe(
      `instanet client: cannot connect to 127.0.0.1:${port}: connection refused — is the server running? try \`instanet serve\`, or check --host/--port\n`,
    );
  });

  it('exit 3 for garbage (bytes shown) and for a server that never answers', async () => {
    const garbage = await startFakeServer((socket) => onJsonRequests(socket, () => socket.write('<html>oops</html>')));
    const silent = await startFakeServer(() => undefined);
    try {
      const bad = await cli(['--port', String(garbage.port), '-u', 'user1', '--password', '123', '--json', 'users']);
      expect(bad.code).toBe(3);
      expect(bad.err).toMatch(/bytes "<html>oops<\/html>"/);
      expect(JSON.parse(bad.out)).toMatchObject({ ok: false, exitCode: 3, error: { code: 'INSTANET_ERR_PROTOCOL', bytes: { text: '<html>oops</html>' } } });

      const slow = await cli(['--port', String(silent.port), '-u', 'user1', '--password', '123', '--timeout', '200', 'users']);
      expect(slow.code).toBe(3);
      expect(slow.err).toMatch(/did not answer: login: no "?reply"? within 200 ms — the server may be stuck or slow; .* --timeout 600/);
    } finally {
      await garbage.close();
      await silent.close();
    }
  });

  it('takes the server and credentials from INSTANET_* variables', async () => {
    const server = await startReferenceServer();
    try {
      const result = await cli(['friends'], { INSTANET_PORT: String(server.port), INSTANET_USER: 'user4', INSTANET_PASSWORD: '123' });
      expect(result).toMatchObject({ code: 0, out: 'No friends yet (send one with `friend-request <user>`).\n' });
    } finally {
      await server.stop();
    }
  });
});
