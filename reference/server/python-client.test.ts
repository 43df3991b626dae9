import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { REPLY_TEXT, replySchema, type Action } from '../../spec/messages/index.ts';
import { SERVER_DEFAULTS } from './limits.ts';
import { startTestServer, type TestServer } from './testing/test-client.ts';

// The course's own client behaviour in Python against the reference server: the flows through the
// kit's correct socket_utils.py, and the one-object-per-recv client of the acknowledgement hazard.

const run = promisify(execFile);
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const SOCKET_UTILS_DIR = here('../../fixtures/submissions/correct');

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function python(script: string, args: string[]): Promise<string> {
  const { stdout } = await run('python3', [script, ...args], { timeout: 45_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

describe('Python clients', () => {
  it('the course flows through socket_utils.py: login, friends, Arabic and emoji DMs, a 2 MiB post, an image DM, feed, comment', async () => {
    server = await startTestServer();
    const out = await python(here('./testing/course-flows.py'), [SOCKET_UTILS_DIR, '127.0.0.1', String(server.server.port)]);
    const lines = out.trim().split('\n').map((line) => JSON.parse(line) as { step: string; action?: Action; reply?: unknown });
    const steps = new Map(lines.map((line) => [line.step, line]));
    for (const line of lines) {
      if (line.action === undefined) continue;
      const parsed = replySchema(line.action).safeParse(line.reply);
      expect(parsed.success, `${line.step}: ${JSON.stringify(line.reply).slice(0, 300)}`).toBe(true);
      expect((line.reply as { status: string }).status, line.step).toBe('success');
    }
    expect(steps.get('login alice')!.reply).toEqual({ status: 'success', message: REPLY_TEXT.loginOk });
    expect(steps.get('bob polls requests')!.reply).toEqual({ status: 'success', user_data: { friends: [], requests: ['user1'] } });
    expect(steps.get('alice friends')!.reply).toEqual({ status: 'success', user_data: { friends: ['user2'], requests: [] } });
    expect(steps.get('upload 2 MiB')!.reply).toEqual({ status: 'success', message: REPLY_TEXT.postUploaded });
    const checks = steps.get('checks') as unknown as { dm_text_exact: boolean; feed_image_exact: boolean; post_image_path: string };
    expect(checks.dm_text_exact).toBe(true);
    expect(checks.feed_image_exact).toBe(true);
    expect(checks.post_image_path).toMatch(/^data\/images\/user1_\d{4}-\d\d-\d\d \d\d-\d\d-\d\d(_\d+)?\.jpg$/);
    const stored = await readFile(join(server.dataDir, checks.post_image_path.slice('data/'.length)));
    expect(stored.length).toBe(2 * 1024 * 1024);
    const posts = JSON.parse(await readFile(join(server.dataDir, 'posts', 'posts.json'), 'utf8'));
    expect(posts[0].comments).toEqual([{ user: 'user2', text: 'جميل' }]);
  });

  it('a client that parses one object per recv() never gets the acknowledgement and the final reply together (IMG-6)', async () => {
    server = await startTestServer({ ackGapMs: SERVER_DEFAULTS.ackGapMs });
    const out = await python(here('./testing/one-object-per-recv.py'), ['127.0.0.1', String(server.server.port), '30', '20000']);
    const summary = JSON.parse(out) as { ok: boolean; error?: string; bad_reads: string[]; finals: unknown[] };
    expect(summary.bad_reads).toEqual([]);
    expect(summary.error).toBeUndefined();
    expect(summary.ok).toBe(true);
    expect(summary.finals).toHaveLength(30);
    for (const final of summary.finals) expect(final).toEqual({ status: 'success', message: REPLY_TEXT.postUploaded });
  });
});
