import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeImageHeader } from '../../../spec/codec/index.ts';
import { REPLY_TEXT } from '../../../spec/messages/index.ts';
import { makeTempDir, TestClient } from '../../../reference/server/testing/test-client.ts';
import { spawnServe, type ServeProcess } from '../../../reference/server/testing/spawn-serve.ts';

// `instanet serve` as users run it: prints its address, seeds a new folder, logs one JSON line per
// request, and on SIGTERM finishes the request in flight before exiting 0.

const children: ServeProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('instanet serve', () => {
  it('--port 0 prints the chosen port, seeds --seed-users, logs JSON lines, and drains in-flight requests on SIGTERM', async () => {
    const root = await makeTempDir('instanet-serve-');
    dirs.push(root);
    const dataDir = join(root, 'data');
    const serve = await spawnServe(['--data', dataDir, '--seed-users', '3', '--log-format', 'json', '--mode', 'course']);
    children.push(serve);
    expect(serve.output().stdout).toMatch(/^InstaNet reference server listening on 127\.0\.0\.1:\d+\n$/);
    expect(Object.keys(JSON.parse(await readFile(join(dataDir, 'users', 'users.json'), 'utf8')))).toEqual(['user1', 'user2', 'user3']);

    const idle = await TestClient.connect(serve.port);
    expect((await idle.request({ action: 'get_all_users' }))['users']).toEqual(['user1', 'user2', 'user3']);

    // A post upload is half-way through its image when the signal arrives.
    const busy = await TestClient.connect(serve.port);
    await busy.send({ action: 'upload_post', username: 'user1', caption: 'in flight', timestamp: '2025-05-13 21:52:29' });
    expect(await busy.read()).toEqual({ status: 'ready' });
    const image = Buffer.alloc(50_000, 7);
    await busy.writeRaw(Buffer.concat([encodeImageHeader(image.length), image.subarray(0, 1000)]));
    serve.kill('SIGTERM');
    await idle.closedByServer();
    // No new connections once stopping.
    await expect(TestClient.connect(serve.port)).rejects.toThrow(/ECONNREFUSED/);
    await busy.writeRaw(image.subarray(1000));
    expect(await busy.read()).toEqual({ status: 'success' });
    expect(await busy.read()).toEqual({ status: 'success', message: REPLY_TEXT.postUploaded });
    await busy.closedByServer();
    expect(await serve.exited).toBe(0);

    const posts = JSON.parse(await readFile(join(dataDir, 'posts', 'posts.json'), 'utf8'));
    expect(posts.map((post: { caption: string }) => post.caption)).toEqual(['in flight']);
    const logLines = serve
      .output()
      .stderr.trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = logLines.filter((line) => line['msg'] === 'request');
    expect(requests.map((line) => [line['action'], line['status']])).toEqual([
      ['get_all_users', 'success'],
      ['upload_post', 'success'],
    ]);
    expect(typeof requests[0]!['ms']).toBe('number');
  });

  it('refuses a bad flag with a usage error', async () => {
    await expect(spawnServe(['--mode', 'lenient'], { readyTimeoutMs: 20_000 })).rejects.toThrow(/exited/);
  });
});
