import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventBytes } from './event-bytes.ts';
import type { Direction, TranscriptEvent } from './format.ts';
import { readTranscript } from './read.ts';
import { TranscriptRecorder } from './recorder.ts';
import { TranscriptFileStream } from './transcript-file-stream.ts';
import { checkEvents } from './violations.ts';

// Issue 14: what the recorder keeps of a flood. Past its cap a direction is counted, not recorded,
// and notes with `dropped` say so: every wire byte is either in an event or in a note's count.

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'instanet-caps-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function accounted(events: readonly TranscriptEvent[], dir: Direction): { recorded: number; dropped: number } {
  let recorded = 0;
  let dropped = 0;
  for (const e of events) {
    if (e.dir !== dir) continue;
    if (e.kind === 'note') dropped += e.dropped ?? 0;
    else if (e.kind === 'json' || e.kind === 'raw') recorded += e.length ?? eventBytes(e)?.length ?? 0;
  }
  return { recorded, dropped };
}

const REPLY = Buffer.from('{"status": "success"}');

describe('recording caps', () => {
  it('stops recording a direction at its cap, states the dropped bytes, and judges nothing after', () => {
    const rec = new TranscriptRecorder({ source: 'caps' }, { maxRecordedBytes: 2000 });
    const c = rec.connection('c1');
    c.connected();
    c.sent(Buffer.from('{"action": "get_all_users"}'));
    let total = 0;
    for (let i = 0; i < 500; i += 1) {
      // Half a reply per chunk, so the cap lands in the middle of a held frame.
      c.received(REPLY.subarray(0, 10));
      c.received(REPLY.subarray(10));
      total += REPLY.length;
    }
    rec.finish('recording ended');
    const { recorded, dropped } = accounted(rec.events, 's2c');
    expect(recorded + dropped).toBe(total);
    expect(recorded).toBeLessThan(2000);
    const notes = rec.events.filter((e) => e.kind === 'note' && e.dir === 's2c');
    expect(notes.map((n) => n.note)).toEqual([
      expect.stringMatching(/^recording cap reached \(2000 bytes for s2c on this connection\)/),
      expect.stringMatching(/^\d+ bytes in \d+ frames not recorded: cap reached \(\d+ in all for s2c\)$/),
    ]);
    // The client direction is not capped; its close is recorded after the server's flood.
    expect(accounted(rec.events, 'c2s').dropped).toBe(0);
    // Unsolicited replies before the cap are violations; after the gap nothing is paired or judged.
    const found = checkEvents(rec.events);
    expect(found.length).toBeGreaterThan(0);
    const capAt = rec.events.indexOf(notes[0]!);
    expect(found.filter((v) => v.event! > capAt)).toEqual([]);
  });

  it('counts the frames of a flood past its cap without keeping them (issue 20: a server sending `{}` after each reply)', () => {
    const rec = new TranscriptRecorder({ source: 'caps' }, { maxRecordedBytes: 4000 });
    const c = rec.connection('c1');
    c.connected();
    c.received(REPLY);
    // 200,000 `{}` frames in chunks that cut frames in half, as TCP may.
    const flood = Buffer.from('{}'.repeat(200_000));
    for (let at = 0; at < flood.length; at += 4095) c.received(flood.subarray(at, at + 4095));
    c.closed('s2c', 'server sent FIN');
    const recordedFrames = rec.events.filter((e) => e.kind === 'json' && e.dir === 's2c').length;
    const { bytes, frames, allFrames } = c.droppedOf('s2c');
    // Every frame is either an event or counted; every byte too.
    expect(allFrames).toBe(true);
    expect(recordedFrames + frames).toBe(200_001);
    expect(accounted(rec.events, 's2c')).toEqual({ recorded: REPLY.length + (recordedFrames - 1) * 2, dropped: bytes });
    expect(bytes).toBe(flood.length - (recordedFrames - 1) * 2);
    // The events stay few: the cap is in bytes of recorded lines, and a `{}` event is tens of bytes.
    expect(rec.events.length).toBeLessThan(4000 / 20);
    // The notes state the same frames: those whole at the cap, then those after.
    const notes = rec.events.filter((e) => e.kind === 'note' && e.dir === 's2c').map((e) => e.note ?? '');
    const stated = notes.reduce((n, note) => n + Number(/(\d+) frames/.exec(note)?.[1] ?? 0), 0);
    expect(stated).toBe(frames);
    expect(notes.at(-1)).toMatch(/^\d+ bytes in \d+ frames not recorded/);
  });

  it('caps the whole recording across connections', () => {
    const rec = new TranscriptRecorder({ source: 'caps' }, { maxTotalRecordedBytes: 3000 });
    for (const id of ['a', 'b', 'c']) {
      const c = rec.connection(id);
      c.connected();
      for (let i = 0; i < 40; i += 1) c.received(REPLY);
      c.closed('s2c', 'server sent FIN');
    }
    for (const id of ['a', 'b', 'c']) {
      const mine = rec.events.filter((e) => e.conn === id);
      const { recorded, dropped } = accounted(mine, 's2c');
      expect(recorded + dropped).toBe(40 * REPLY.length);
    }
    expect(rec.events.filter((e) => e.conn === 'c' && e.kind === 'note')[0]!.note).toMatch(/the whole recording/);
  });

  it('streams lines to a file without keeping events, and the file reads back as a valid transcript', async () => {
    const file = join(dir, 'streamed.jsonl');
    const rec = new TranscriptRecorder({ source: 'caps' }, { retainEvents: false, maxRecordedBytes: 4096 });
    const out = await TranscriptFileStream.open(file, rec);
    const c = rec.connection('c1');
    c.connected();
    const junk = Buffer.alloc(64 * 1024, 0xff);
    for (let i = 0; i < 16; i += 1) c.sent(junk);
    rec.finish('recording ended');
    await out.close();
    expect(rec.events).toEqual([]);
    const transcript = await readTranscript(file);
    expect(transcript.events).toHaveLength(rec.eventCount);
    const { recorded, dropped } = accounted(transcript.events, 'c2s');
    expect(recorded + dropped).toBe(16 * junk.length);
    expect(transcript.events.at(-1)).toMatchObject({ kind: 'close', dir: 's2c', synthetic: true });
  });
});
