import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorReply, GetFeedReply, REPLY_TEXT } from '../../spec/messages/index.ts';
import { makeTempDir, startTestServer, type TestServer } from './testing/test-client.ts';

// DATA-5: a data folder written by the course's server (or edited by hand) is served as it is; a
// corrupt file is reported, never overwritten.

const COURSE_DATA = fileURLToPath(new URL('../../fixtures/submissions/correct/data', import.meta.url));

let server: TestServer | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await server?.stop();
  server = undefined;
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function courseFolder(): Promise<string> {
  const root = await makeTempDir('instanet-course-data-');
  dirs.push(root);
  const data = join(root, 'data');
  await cp(COURSE_DATA, data, { recursive: true });
  return data;
}

describe('existing course data folders (DATA-5)', () => {
  it('serves posts written by the course server, including Windows-style paths and missing images', async () => {
    const data = await courseFolder();
    const image = Buffer.from('jpeg bytes');
    await writeFile(join(data, 'images', 'user2_2025-05-01 10-00-00.jpg'), image);
    const posts = [
      { username: 'user2', image_path: 'data\\images\\user2_2025-05-01 10-00-00.jpg', caption: 'from Windows', timestamp: '2025-05-01 10:00:00' },
      { username: 'user3', image_path: 'data/images/gone.jpg', caption: 'lost image', timestamp: '2025-05-01 10:00:01', comments: [{ user: 'user1', text: 'hi' }] },
      { username: 'user3', image_path: '../../../etc/passwd', caption: 'hostile', timestamp: '2025-05-01 10:00:02' },
    ];
    await writeFile(join(data, 'posts', 'posts.json'), JSON.stringify(posts, null, 4));
    server = await startTestServer({ dataDir: data });
    const c = await server.loggedIn('user1');
    const feed = GetFeedReply.parse(await c.request({ action: 'get_feed' }));
    expect(feed.posts.map((p) => [p.caption, p.image_data])).toEqual([
      ['from Windows', image.toString('base64')],
      ['lost image', ''],
      ['hostile', ''],
    ]);
    expect(await c.request({ action: 'add_comment', post_image_path: 'data/images/gone.jpg', user: 'user1', text: 'again' })).toEqual({ status: 'success' });
    const stored = JSON.parse(await readFile(join(data, 'posts', 'posts.json'), 'utf8'));
    expect(stored[1].comments).toEqual([{ user: 'user1', text: 'hi' }, { user: 'user1', text: 'again' }]);
    expect(stored[0]).toEqual(posts[0]);
  });

  it('reports a corrupt data file, keeps serving everything else, and never overwrites it', async () => {
    const data = await courseFolder();
    await writeFile(join(data, 'posts', 'posts.json'), '[{"username": "user1", ');
    server = await startTestServer({ dataDir: data });
    const c = await server.loggedIn('user1');
    const feed = await c.request({ action: 'get_feed' });
    expect(ErrorReply.parse(feed).message).toMatch(/unreadable/);
    // Refused before "ready": the client never sends its image for nothing.
    const upload = await c.request({ action: 'upload_post', username: 'user1', caption: '', timestamp: '2025-05-13 21:52:29' });
    expect(ErrorReply.safeParse(upload).success).toBe(true);
    expect(await c.request({ action: 'send_message', sender: 'user1', receiver: 'user2', message: 'still works', timestamp: '2025-05-13T21:52:29', is_image: false })).toEqual({
      status: 'success',
      message: REPLY_TEXT.messageSent,
    });
    expect(await readFile(join(data, 'posts', 'posts.json'), 'utf8')).toBe('[{"username": "user1", ');
  });
});
