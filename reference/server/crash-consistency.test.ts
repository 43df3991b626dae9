import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConversationFile, PostsFile, UsersFile } from '../../spec/messages/index.ts';
import { makeTempDir, TestClient } from './testing/test-client.ts';
import { spawnServe, type ServeProcess } from './testing/spawn-serve.ts';

// DATA-3 and DATA-4 with a real process: a write storm against `instanet serve`, then SIGKILL at
// an arbitrary instant. Every data file must still be valid JSON, and every message answered
// "success" before the kill must be in its file.

const ITERATIONS = 5;
const CLIENTS = 24;
const USERS = 8;

const children: ServeProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function dataFiles(dataDir: string): Promise<string[]> {
  const files: string[] = [];
  for (const sub of ['users', 'posts', 'messages']) {
    for (const name of await readdir(join(dataDir, sub))) if (name.endsWith('.json')) files.push(join(dataDir, sub, name));
  }
  return files;
}

/** One client's loop: send messages (and now and then a friend request or a post) until stopped. */
async function storm(port: number, index: number, acknowledged: Map<string, string>, stop: { now: boolean }): Promise<void> {
  const me = `user${(index % USERS) + 1}`;
  const peer = `user${((index + 1 + (index % 3)) % USERS) + 1}`;
  let client: TestClient;
  try {
    client = await TestClient.connect(port);
    await client.login(me);
  } catch {
    return;
  }
  try {
    for (let n = 0; !stop.now; n += 1) {
      const text = `${me}->${peer} #${n} (client ${index})`;
      if (n % 7 === 3) {
        await client.request({ action: 'send_friend_request', sender: me, receiver: `user${((index + n) % USERS) + 1}` }, 3000);
      } else if (n % 11 === 5) {
        await client.withImage({ action: 'upload_post', username: me, caption: text, timestamp: '2025-05-13 21:52:29' }, Buffer.alloc(2048, n));
      } else {
        const reply = await client.request(
          { action: 'send_message', sender: me, receiver: peer, message: text, timestamp: '2025-05-13T21:52:29.000001', is_image: false },
          3000,
        );
        if (reply['status'] === 'success') acknowledged.set(text, [me, peer].sort().join('_'));
      }
    }
  } catch {
    // The kill cut this client off: expected.
  } finally {
    client.close();
  }
}

describe('crash consistency under SIGKILL (DATA-3, DATA-4)', () => {
  it(`leaves every data file valid JSON and keeps every acknowledged message, ${ITERATIONS} kills in a row`, async () => {
    const root = await makeTempDir('instanet-crash-');
    dirs.push(root);
    const dataDir = join(root, 'data');
    const acknowledged = new Map<string, string>();
    for (let iteration = 0; iteration < ITERATIONS; iteration += 1) {
      const serve = await spawnServe(['--data', dataDir, '--seed-users', String(USERS), '--log-level', 'warn', '--ack-gap-ms', '1']);
      children.push(serve);
      const stop = { now: false };
      const ackedBefore = acknowledged.size;
      const loops = Array.from({ length: CLIENTS }, (_, i) => storm(serve.port, i, acknowledged, stop));
      // Let the storm build up (bounded wait for real progress, so a busy machine cannot turn this
      // into a kill before the first write), then kill at a point that varies from run to run.
      for (let waited = 0; acknowledged.size < ackedBefore + 20 && waited < 15_000; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 30 + iteration * 40));
      serve.kill('SIGKILL');
      expect(await serve.exited).toBe('SIGKILL');
      stop.now = true;
      await Promise.all(loops);
      expect(acknowledged.size, 'the storm was writing when the kill came').toBeGreaterThan(ackedBefore);

      for (const file of await dataFiles(dataDir)) {
        const text = await readFile(file, 'utf8');
        let parsed: unknown;
        expect(() => (parsed = JSON.parse(text)), `${file} is valid JSON`).not.toThrow();
        if (file.endsWith('users.json')) UsersFile.parse(parsed);
        else if (file.endsWith('posts.json')) PostsFile.parse(parsed);
        else ConversationFile.parse(parsed);
      }
      const stored = new Set<string>();
      for (const name of await readdir(join(dataDir, 'messages'))) {
        if (!name.endsWith('.json')) continue;
        const messages = ConversationFile.parse(JSON.parse(await readFile(join(dataDir, 'messages', name), 'utf8')));
        for (const message of messages) stored.add(message.message);
      }
      const lost = [...acknowledged.keys()].filter((text) => !stored.has(text));
      expect(lost, 'acknowledged but not stored').toEqual([]);
    }
    expect(acknowledged.size).toBeGreaterThan(0);

    // The folder a killed server left behind serves again, temporary files swept.
    const again = await spawnServe(['--data', dataDir, '--log-level', 'warn']);
    children.push(again);
    const client = await TestClient.connect(again.port);
    expect((await client.login('user1'))['status']).toBe('success');
    client.close();
    for (const sub of ['users', 'posts', 'messages', 'images']) {
      expect((await readdir(join(dataDir, sub))).filter((name) => name.startsWith('.'))).toEqual([]);
    }
    again.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });
});
