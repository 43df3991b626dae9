import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameSocket, encodeImageFrame } from '../../spec/codec/index.ts';
import { readTranscript } from './read.ts';
import { connectTo, freshServer, type FreshServer } from './test-support.ts';
import { waitForLine } from '../testing/wait-for-line.ts';

// The commands end to end, as a user runs them: real processes, real exit codes.

const CLI = fileURLToPath(new URL('../cli/instanet.mjs', import.meta.url));
const GOLDEN = fileURLToPath(new URL('../../fixtures/transcripts/', import.meta.url));
const run = (args: string[]) => execa('node', [CLI, ...args], { reject: false, timeout: 30_000, env: { NO_COLOR: '1' } });

let ref: FreshServer;
let dir: string;
beforeAll(async () => {
  ref = await freshServer();
  dir = await mkdtemp(join(tmpdir(), 'instanet-cli-test-'));
});
afterAll(async () => {
  await ref?.close();
  await rm(dir, { recursive: true, force: true });
});

describe.concurrent('instanet proxy', () => {
  it('records an image exchange, prints violations live and writes the transcript on SIGINT', async () => {
    const file = join(dir, 'proxy.jsonl');
    const child = execa('node', [CLI, 'proxy', '--listen', '0', '--upstream', `127.0.0.1:${ref.server.port}`, '--record', file, '--fragment', '5'], {
      reject: false,
      timeout: 30_000,
      env: { NO_COLOR: '1' },
    });
    try {
      const [, port] = await waitForLine(child, /InstaNet proxy listening on 127\.0\.0\.1:(\d+) ->/);
      const frames = new FrameSocket(await connectTo(Number(port)));
      await frames.sendJson({ action: 'login', username: 'user2', password: '123' });
      await frames.readJson(5000);
      await frames.sendJson({ action: 'send_message', sender: 'user2', receiver: 'user1', message: 'Image', timestamp: '2026-01-15T10:00:00', is_image: true });
      expect((await frames.readJson(5000)).value).toEqual({ status: 'ready' });
      await frames.write(encodeImageFrame(Buffer.from('tiny image')));
      await frames.readJson(5000);
      await frames.readJson(5000);
      await frames.write(Buffer.from('{"action": ]'));
      await waitForLine(child, /violation FRAME-1 \(client\)/);
      frames.destroy();
      child.kill('SIGINT');
      const result = await child;
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toMatch(/SIGINT: wrote \d+ events on 1 connection to /);
      const transcript = await readTranscript(file);
      expect(transcript.header.source).toBe('proxy');
      expect(transcript.events.map((e) => e.kind)).toEqual(expect.arrayContaining(['image-length', 'image-bytes', 'raw']));
      expect(transcript.events.find((e) => e.kind === 'image-bytes')!.preview).toBe(Buffer.from('tiny image').toString('base64'));
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses a bad address with a usage error', async () => {
    const result = await run(['proxy', '--listen', '5001', '--upstream', 'nowhere']);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/expected \[host:\]port/);
  });
});

describe.concurrent('instanet transcript', () => {
  it('replay: 0 on match, 1 with a diff on divergence, 3 when the target is unreachable', async () => {
    const golden = join(GOLDEN, 'friend-requests.jsonl');
    const fresh = await freshServer();
    try {
      const ok = await run(['transcript', 'replay', golden, '--target', `127.0.0.1:${fresh.server.port}`]);
      expect(ok.stdout).toMatch(/^match: /);
      expect(ok.exitCode).toBe(0);
      const again = await run(['transcript', 'replay', golden, '--target', `127.0.0.1:${fresh.server.port}`]);
      expect(again.exitCode).toBe(1);
      expect(again.stdout).toMatch(/first divergence on connection c\d/);
      expect(again.stdout).toMatch(/^--- recorded/m);
    } finally {
      await fresh.close();
    }
    const spare = createServer();
    spare.listen(0, '127.0.0.1');
    await once(spare, 'listening');
    const port = (spare.address() as { port: number }).port;
    await new Promise<void>((r) => spare.close(() => r()));
    const down = await run(['transcript', 'replay', golden, '--target', `127.0.0.1:${port}`]);
    expect(down.exitCode).toBe(3);
    expect(down.stderr).toMatch(/ECONNREFUSED/);
  });

  it('diff: 0 for the same conversation, 1 and the first divergence otherwise; show --html writes a page', async () => {
    const a = join(GOLDEN, 'image-dm.jsonl');
    const same = await run(['transcript', 'diff', a, a]);
    expect(same.exitCode).toBe(0);
    const differ = await run(['transcript', 'diff', a, join(GOLDEN, 'post-with-image.jsonl')]);
    expect(differ.exitCode).toBe(1);
    expect(differ.stdout).toMatch(/first divergence on connection c1, event 3/);
    expect(differ.stdout).toMatch(/^-\s+"action": "send_message",$/m);
    expect(differ.stdout).toMatch(/^\+\s+"action": "upload_post",$/m);
    const html = join(dir, 'out', 'image-dm.html');
    const shown = await run(['transcript', 'show', a, '--html', html, '--width', '120']);
    expect(shown.exitCode).toBe(0);
    expect(shown.stdout).toContain('image 397 B sha256 a866c7540559');
    expect(await readFile(html, 'utf8')).toContain('<title>Transcript: An image sent as a direct message, then read back</title>');
  });

  it('rejects a file that is not a transcript with exit 2 and the line at fault', async () => {
    const bad = join(dir, 'bad.jsonl');
    await writeFile(bad, '{"type": "header", "format": 1, "kit": "x", "recordedAt": "x", "source": "s"}\n{"type": "event"}\n');
    const result = await run(['transcript', 'show', bad]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/bad\.jsonl:2: /);
  });
});

describe('instanet reports serve', () => {
  it('prints its URL, serves the index and refuses ../', async () => {
    const reports = join(dir, 'reports');
    await writeFile(join(dir, 'outside.txt'), 'SECRET');
    await import('node:fs/promises').then((fs) => fs.mkdir(join(reports, 'run-1'), { recursive: true }));
    const child = execa('node', [CLI, 'reports', 'serve', '--dir', reports, '--port', '0'], { reject: false, timeout: 30_000, env: { NO_COLOR: '1' } });
    try {
      const [, url] = await waitForLine(child, /InstaNet reports at (http:\/\/127\.0\.0\.1:\d+\/)/);
      const { request } = await import('undici');
      const index = await request(url!);
      expect(index.statusCode).toBe(200);
      expect(await index.body.text()).toContain('href="/run-1/"');
      const { Client } = await import('undici');
      const raw = new Client(url!.replace(/\/$/, ''));
      const refused = await raw.request({ path: '/../outside.txt', method: 'GET' });
      expect(refused.statusCode).toBe(403);
      expect(await refused.body.text()).not.toContain('SECRET');
      await raw.close();
      child.kill('SIGINT');
      expect((await child).exitCode).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('names a missing folder', async () => {
    const result = await run(['reports', 'serve', '--dir', join(dir, 'no-such-folder'), '--port', '0']);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/cannot serve .*no-such-folder: no such folder/);
  });
});

