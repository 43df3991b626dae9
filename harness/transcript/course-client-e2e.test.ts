import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { describe, expect, it } from 'vitest';
import { REPLY_TEXT } from '../../spec/messages/index.ts';
import { formatSize } from './event-summary.ts';
import { freshServer, type FreshServer } from './test-support.ts';
import { waitForLine } from '../testing/wait-for-line.ts';

// Issue 7's "done when", the way a TA does it: the course's flows in real Python (through the
// kit's correct socket_utils.py) recorded by a real `instanet proxy` process, the whole image
// exchange read back from `transcript show`, and the recording replayed against a fresh
// reference server (IMG-1..IMG-6 on the wire, both directions).

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const CLI = here('../cli/instanet.mjs');
const FLOWS = here('../../reference/server/testing/course-flows.py');
const SOCKET_UTILS_DIR = here('../../fixtures/submissions/correct');
const WAIT_MS = 20_000;

// The images course-flows.py sends, rebuilt byte for byte so the test knows their size and hash,
// and so replay can send the 2 MiB post exactly (the transcript keeps only its hash).
const POST_IMAGE = Buffer.from(Array.from({ length: 2 * 1024 * 1024 }, (_, i) => (i * 7 + 3) % 256));
const DM_IMAGE = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('jpeg'.repeat(100))]);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const cli = (args: string[]) => execa('node', [CLI, ...args], { reject: false, timeout: WAIT_MS, env: { NO_COLOR: '1' } });

/** Resolves with the child's result, or kills it and rejects when it has not exited in time. */
async function exitWithin(child: ResultPromise, what: string): Promise<Awaited<ResultPromise>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not exit within ${WAIT_MS} ms`));
    }, WAIT_MS);
  });
  try {
    return await Promise.race([child, late]);
  } finally {
    clearTimeout(timer);
  }
}

interface Row {
  conn: string;
  dir: 'c2s' | 's2c' | undefined;
  text: string;
}

/** The rows of `transcript show`'s client | server table (header, rule and footer left out). */
function tableRows(shown: string): Row[] {
  const rows: Row[] = [];
  for (const line of shown.split('\n')) {
    const m = /^\s*\d+(?:\.\d+)? m?s (c\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, conn, rest] = m as unknown as [string, string, string];
    const client = /^(.*?)\s*─▶ │$/.exec(rest);
    const server = /│◀─(.*)$/.exec(rest);
    rows.push(client ? { conn, dir: 'c2s', text: client[1]! } : server ? { conn, dir: 's2c', text: server[1]! } : { conn, dir: undefined, text: rest.trim() });
  }
  return rows;
}

/** The six rows of one image exchange on the connection whose request matches, in order. */
function imageExchange(rows: Row[], request: RegExp): Row[] {
  const at = rows.findIndex((r) => r.dir === 'c2s' && request.test(r.text));
  expect(at, `no request matching ${request} in the table`).toBeGreaterThanOrEqual(0);
  const conn = rows[at]!.conn;
  return rows.slice(at).filter((r) => r.conn === conn && r.dir !== undefined).slice(0, 6);
}

describe('the course flows in Python through instanet proxy (issue 7)', () => {
  it('records the whole image exchange, shows it, and replays cleanly against a fresh reference server', { timeout: 90_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'instanet-course-e2e-'));
    const file = join(dir, 'session.jsonl');
    let recorded: FreshServer | undefined;
    let fresh: FreshServer | undefined;
    let proxy: ResultPromise | undefined;
    try {
      // 1-2. A reference server (strict: the flows log in first and act as themselves) behind the proxy.
      recorded = await freshServer('strict');
      proxy = execa('node', [CLI, 'proxy', '--listen', '0', '--upstream', `127.0.0.1:${recorded.server.port}`, '--record', file], {
        reject: false,
        timeout: 60_000,
        env: { NO_COLOR: '1' },
      });
      const [, proxyPort] = await waitForLine(proxy, /InstaNet proxy listening on 127\.0\.0\.1:(\d+) ->/, WAIT_MS);

      // 3. The course flows, real python3, through the proxy.
      const flows = await execa('python3', [FLOWS, SOCKET_UTILS_DIR, '127.0.0.1', proxyPort!], { reject: false, timeout: 45_000 });
      expect(flows.exitCode, flows.stderr).toBe(0);
      type Step = { step: string; action?: string; reply?: { status?: string }; dm_text_exact?: boolean; feed_image_exact?: boolean };
      const steps = flows.stdout.trim().split('\n').map((l) => JSON.parse(l) as Step);
      for (const s of steps) if (s.action) expect(s.reply?.status, s.step).toBe('success');
      expect(steps.map((s) => s.step)).toEqual(expect.arrayContaining(['upload 2 MiB', 'image dm', 'feed', 'comment']));
      // The proxy forwards unchanged: the Arabic/emoji DM and the 2 MiB post come back byte for byte.
      expect(steps.find((s) => s.step === 'checks')).toMatchObject({ dm_text_exact: true, feed_image_exact: true });

      proxy.kill('SIGINT');
      const stopped = await exitWithin(proxy, 'instanet proxy after SIGINT');
      expect(stopped.exitCode, String(stopped.stderr)).toBe(0);
      expect(stopped.stdout).toMatch(/SIGINT: wrote \d+ events on 2 connections to .*session\.jsonl \(0 violations\)/);
      proxy = undefined;
      await recorded.close();
      recorded = undefined;

      // 4. `transcript show`: both image exchanges, every step, in order.
      const shown = await cli(['transcript', 'show', file, '--width', '400']);
      expect(shown.exitCode, shown.stderr).toBe(0);
      const out = shown.stdout;
      expect(out).toMatch(/· 2 images · .* · no violations$/m);
      const rows = tableRows(out);

      // Python's json.dumps escapes non-ASCII: the table shows the bytes as sent, not a re-encoding.
      const post = imageExchange(rows, /^\{"action": "upload_post", "username": "user1", "caption": "\\u0635\\u0648\\u0631\\u0629 \\ud83d\\udcf7", "timestamp": "[\d: -]+"\}$/);
      expect(post.map((r) => r.dir)).toEqual(['c2s', 's2c', 'c2s', 'c2s', 's2c', 's2c']);
      expect(post[1]!.text).toBe('{"status": "ready"}');
      expect(post[2]!.text).toMatch(new RegExp(`^image length ${POST_IMAGE.length} \\(${formatSize(POST_IMAGE.length)}\\) header 00 00 00 00 00 20 00 00$`));
      expect(post[3]!.text).toBe(`image ${formatSize(POST_IMAGE.length)} sha256 ${sha256(POST_IMAGE).slice(0, 12)} (bytes not kept)`);
      expect(post[4]!.text).toBe('{"status": "success"}');
      expect(post[5]!.text).toBe(`{"status": "success", "message": "${REPLY_TEXT.postUploaded}"}`);

      const dm = imageExchange(rows, /^\{"action": "send_message", "sender": "user2", .*"is_image": true\}$/);
      expect(dm.map((r) => r.dir)).toEqual(['c2s', 's2c', 'c2s', 'c2s', 's2c', 's2c']);
      expect(dm[1]!.text).toBe('{"status": "ready"}');
      expect(dm[2]!.text).toBe(`image length ${DM_IMAGE.length} (${DM_IMAGE.length} B) header 00 00 00 00 00 00 01 94`);
      expect(dm[3]!.text).toBe(`image ${DM_IMAGE.length} B sha256 ${sha256(DM_IMAGE).slice(0, 12)} image/jpeg`);
      expect(dm[4]!.text).toBe('{"status": "success"}');
      expect(dm[5]!.text).toBe(`{"status": "success", "message": "${REPLY_TEXT.messageSent}"}`);
      expect(dm[0]!.conn).not.toBe(post[0]!.conn);

      // 5. Replay against a fresh reference server, the 2 MiB post sent exactly (found by hash).
      const images = join(dir, 'images');
      await mkdir(images);
      await writeFile(join(images, 'course-flow-post.bin'), POST_IMAGE);
      fresh = await freshServer('strict');
      const target = `127.0.0.1:${fresh.server.port}`;
      const replay = await cli(['transcript', 'replay', file, '--target', target, '--images', images]);
      expect(replay.exitCode, `${replay.stdout}\n${replay.stderr}`).toBe(0);
      expect(replay.stdout).toMatch(/^match: .* replayed against 127\.0\.0\.1:\d+, \d+ events compared/);
      expect(replay.stderr).not.toMatch(/stand-in/);
      const stored = await readdir(join(fresh.server.dataDir, 'images'));
      const hashes = await Promise.all(stored.map(async (name) => sha256(await readFile(join(fresh!.server.dataDir, 'images', name)))));
      expect(hashes.sort()).toEqual([sha256(POST_IMAGE), sha256(DM_IMAGE)].sort());

      // The same recording against the now used server must not match: the replay really compares.
      const again = await cli(['transcript', 'replay', file, '--target', target, '--images', images]);
      expect(again.exitCode, `${again.stdout}\n${again.stderr}`).toBe(1);
      expect(again.stdout).toMatch(/first divergence on connection c\d/);
    } finally {
      if (proxy) {
        proxy.kill('SIGKILL');
        await exitWithin(proxy, 'instanet proxy after SIGKILL').catch(() => undefined);
      }
      await Promise.allSettled([recorded?.close(), fresh?.close()]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
