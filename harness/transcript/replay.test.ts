import { readFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareTranscripts } from './compare.ts';
import { COURSE_FLOWS } from '../tools/goldens/course-flows.ts';
import { matchJson } from './matchers.ts';
import { parseTranscript } from './read.ts';
import { recordFlow } from '../tools/goldens/record-flow.ts';
import { renderTerminal } from './render-terminal.ts';
import { ReplayConnectError, replayTranscript } from './replay.ts';
import { freshServer } from './test-support.ts';

const golden = async (name: string) =>
  parseTranscript(await readFile(fileURLToPath(new URL(`../../fixtures/transcripts/${name}.jsonl`, import.meta.url)), 'utf8'), name);

describe('record through the proxy, show, replay (the issue\'s "done when")', () => {
  it.concurrent.each(['post-with-image', 'image-dm'])('%s: the image exchange shows in full and replays on a fresh server', async (name) => {
    const flow = COURSE_FLOWS.find((f) => f.name === name)!;
    const recorded = await recordFlow(flow);
    const shown = renderTerminal(recorded, { color: false, width: 160 });
    expect(shown).toMatch(/\{"status": "ready"\}/);
    expect(shown).toMatch(/image length 397 \(397 B\) header 00 00 00 00 00 00 01 8d/);
    expect(shown).toMatch(/image 397 B sha256 a866c7540559 image\/jpeg/);
    expect(shown).toMatch(/\{"status": "success"\}/);
    expect(shown).toMatch(/no violations/);
    const ref = await freshServer();
    try {
      const result = await replayTranscript(recorded, { host: '127.0.0.1', port: ref.server.port, timeoutMs: 5000 });
      expect(result.divergences).toEqual([]);
      expect(result.ok).toBe(true);
      // The replay itself is a transcript of the same conversation.
      expect(compareTranscripts(recorded, result.actual).ok).toBe(true);
    } finally {
      await ref.close();
    }
  });
});

describe('replay', () => {
  it('reports a divergence with a readable diff when the server state differs', async () => {
    const transcript = await golden('direct-messages');
    const ref = await freshServer();
    try {
      expect((await replayTranscript(transcript, { host: '127.0.0.1', port: ref.server.port })).ok).toBe(true);
      // The same conversation again: the conversation is no longer empty, so get_messages differs.
      const again = await replayTranscript(transcript, { host: '127.0.0.1', port: ref.server.port });
      expect(again.ok).toBe(false);
      const first = again.divergences[0]!;
      expect(first.conn).toBe('c1');
      expect(first.reason).toMatch(/json\.messages/);
      expect(first.diff).toMatch(/^-\s+"messages": \[\]/m);
      expect(first.diff).toMatch(/^\+/m);
    } finally {
      await ref.close();
    }
  });

  it('sends stand-in bytes for an image it only has the hash of, says so, and still matches', async () => {
    const transcript = await golden('photo-post');
    const ref = await freshServer();
    try {
      const result = await replayTranscript(transcript, { host: '127.0.0.1', port: ref.server.port });
      expect(result.warnings.join('\n')).toMatch(/kept only the hash of a 35840-byte image/);
      expect(result.ok).toBe(true);
    } finally {
      await ref.close();
    }
  });

  it('stops with a timeout event when the server stays silent', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const result = await replayTranscript(await golden('login'), { host: '127.0.0.1', port: (silent.address() as { port: number }).port, timeoutMs: 200 });
      expect(result.ok).toBe(false);
      expect(result.stoppedAt).toMatchObject({ conn: 'c1', waitingFor: 'server message 1 of 1' });
      expect(result.actual.events.some((e) => e.kind === 'timeout')).toBe(true);
      expect(result.divergences[0]!.reason).toMatch(/replayed ends before s2c json/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('fails with INSTANET_ERR_REPLAY_CONNECT when nothing listens', async () => {
    const spare = createServer();
    spare.listen(0, '127.0.0.1');
    await once(spare, 'listening');
    const port = (spare.address() as { port: number }).port;
    await new Promise<void>((r) => spare.close(() => r()));
    await expect(replayTranscript(await golden('login'), { host: '127.0.0.1', port })).rejects.toBeInstanceOf(ReplayConnectError);
  });
});

describe('matchers', () => {
  it('accept timestamps of the same format, image paths that differ only by time, and any base64 image_data', () => {
    const expected = {
      timestamp: '2026-01-15 10:00:00',
      messages: [{ timestamp: '2026-01-15T10:00:00', image_path: 'data/images/user1_user2_2026-01-15T10-00-01.jpg' }],
      image_data: 'AAEC',
    };
    const actual = {
      messages: [{ image_path: 'data/images/user1_user2_2027-03-02T09-08-07.123456.jpg', timestamp: '2027-03-02T09:08:07.123456' }],
      timestamp: '2027-03-02 09:08:07',
      image_data: '/9j/4AAQ',
    };
    const match = matchJson(expected, actual);
    expect(match.mismatches).toEqual([]);
    expect(match.normalized).toEqual({ ...expected, messages: [{ ...expected.messages[0] }] });
  });

  it('still catch real differences, including a timestamp of the wrong format and another user in a path', () => {
    const match = matchJson(
      { timestamp: '2026-01-15 10:00:00', image_path: 'data/images/user1_2026-01-15 10-00-00.jpg', n: [1, 2], extra: undefined },
      { timestamp: '2026-01-15T10:00:00', image_path: 'data/images/user2_2026-01-15 10-00-00.jpg', n: [1, 3], more: true },
    );
    expect(match.ok).toBe(false);
    expect(match.mismatches).toEqual(['timestamp', 'image_path', 'n[1]', 'more (unexpected)', 'extra (missing)']);
  });
});
