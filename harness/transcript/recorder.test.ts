import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { eventBytes } from './event-bytes.ts';
import type { TranscriptEvent } from './format.ts';
import { parseTranscript, readTranscript } from './read.ts';
import { TranscriptRecorder, type ConnectionRecorder } from './recorder.ts';

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function imageFrame(data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeBigUInt64BE(BigInt(data.length));
  return Buffer.concat([header, data]);
}

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function chunks(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

function setup(): { rec: TranscriptRecorder; conn: ConnectionRecorder } {
  let now = 0;
  const rec = new TranscriptRecorder({ source: 'test', recordedAt: '2026-11-24T20:00:00.000Z' }, { clock: () => (now += 1.5) });
  return { rec, conn: rec.connection('c1') };
}

const kinds = (events: TranscriptEvent[]): string[] => events.map((e) => `${e.dir ?? '-'}:${e.kind}`);

describe('TranscriptRecorder', () => {
  it('records a request and its reply with exact text, decoded JSON and rising times', () => {
    const { rec, conn } = setup();
    conn.connected();
    const request = Buffer.from('{"action": "login", "username": "user1", "password": "123"}');
    for (const chunk of chunks(request, 1)) conn.sent(chunk);
    conn.received(Buffer.from('{"status": "success", "message": "Login successful"}'));
    conn.closed('c2s');
    conn.closed('c2s'); // sockets report an end twice; the second is a no-op
    expect(kinds(rec.events)).toEqual(['-:connect', 'c2s:json', 's2c:json', 'c2s:close']);
    const [, sent, reply] = rec.events;
    expect(sent!.text).toBe(request.toString());
    expect(sent!.json).toEqual({ action: 'login', username: 'user1', password: '123' });
    expect(reply!.json).toEqual({ status: 'success', message: 'Login successful' });
    const times = rec.events.map((e) => e.t);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(rec.events.every((e) => e.conn === 'c1')).toBe(true);
  });

  it('switches the client stream to image mode only after the server said ready (IMG-1)', () => {
    const { rec, conn } = setup();
    const image = Buffer.from('\xff\xd8 not really a jpeg \x00\x01', 'latin1');
    conn.sent(json({ action: 'upload_post', username: 'user1', caption: 'hi', timestamp: '2026-11-24 20:00:00' }));
    conn.received(Buffer.from('{"status": "ready"}'));
    for (const chunk of chunks(imageFrame(image), 3)) conn.sent(chunk);
    conn.received(Buffer.from('{"status": "success"}{"status": "success", "message": "Post uploaded successfully"}'));
    expect(kinds(rec.events)).toEqual([
      'c2s:json',
      's2c:json',
      'c2s:image-length',
      'c2s:image-bytes',
      's2c:json',
      's2c:json',
    ]);
    const [, , length, bytes] = rec.events;
    expect(length!.length).toBe(image.length);
    expect(Buffer.from(length!.base64!, 'base64')).toEqual(imageFrame(image).subarray(0, 8));
    expect(bytes!.length).toBe(image.length);
    expect(bytes!.sha256).toBe(sha(image));
    expect(Buffer.from(bytes!.preview!, 'base64')).toEqual(image);
  });

  it('keeps exact offsets after an image that arrived in separate chunks, then more requests', () => {
    const { rec, conn } = setup();
    const image = Buffer.alloc(5000, 9);
    conn.sent(Buffer.from('{"action": "upload_post", "username": "u", "caption": "", "timestamp": "t"}\n'));
    conn.received(Buffer.from('{"status": "ready"}'));
    const frame = imageFrame(image);
    conn.sent(frame.subarray(0, 8));
    conn.sent(frame.subarray(8, 100));
    conn.sent(frame.subarray(100));
    conn.sent(Buffer.from(' {"action": "get_feed"}'));
    conn.closed('c2s');
    expect(kinds(rec.events)).toEqual(['c2s:json', 's2c:json', 'c2s:raw', 'c2s:image-length', 'c2s:image-bytes', 'c2s:raw', 'c2s:json', 'c2s:close']);
    expect(rec.events[2]!.text).toBe('\n');
    expect(rec.events[5]!.text).toBe(' ');
    expect(rec.events[6]!.text).toBe('{"action": "get_feed"}');
  });

  it('keeps a preview only for images up to 16 KiB', () => {
    const { rec, conn } = setup();
    const big = Buffer.alloc(16 * 1024 + 1, 7);
    conn.sent(json({ action: 'send_message', sender: 'a', receiver: 'b', message: 'Image', timestamp: 't', is_image: true }));
    conn.received(Buffer.from('{"status": "ready"}'));
    conn.sent(imageFrame(big));
    const bytes = rec.events.find((e) => e.kind === 'image-bytes')!;
    expect(bytes.length).toBe(big.length);
    expect(bytes.sha256).toBe(sha(big));
    expect(bytes.preview).toBeUndefined();
  });

  it('does not expect an image for a text message or when the server refused with an error', () => {
    const { rec, conn } = setup();
    conn.sent(json({ action: 'send_message', sender: 'a', receiver: 'b', message: 'hi', timestamp: 't', is_image: false }));
    conn.received(Buffer.from('{"status": "ready"}'));
    conn.sent(json({ action: 'upload_post', username: 'ghost', caption: '', timestamp: 't' }));
    conn.received(Buffer.from('{"status": "error", "message": "User not found"}'));
    conn.sent(json({ action: 'get_feed' }));
    expect(kinds(rec.events)).toEqual(['c2s:json', 's2c:json', 'c2s:json', 's2c:json', 'c2s:json']);
    expect(conn.imageMode).toBe(false);
  });

  it('records undecodable bytes as raw events with the codec error code, then the rest raw', () => {
    const { rec, conn } = setup();
    conn.sent(Buffer.from('{"action": "get_feed"}'));
    conn.sent(Buffer.from('{"action": oops}'));
    conn.sent(Buffer.from([0xff, 0xfe, 0x00]));
    const raws = rec.events.filter((e) => e.kind === 'raw');
    expect(raws).toHaveLength(2);
    expect(raws[0]!.error).toBe('INSTANET_ERR_MALFORMED_JSON');
    expect(raws[0]!.text).toBe('{"action": oops}');
    expect(raws[1]!.error).toBeUndefined();
    expect(raws[1]!.base64).toBe(Buffer.from([0xff, 0xfe, 0x00]).toString('base64'));
    expect(raws[1]!.note).toMatch(/INSTANET_ERR_MALFORMED_JSON/);
  });

  it('stores invalid UTF-8 as base64 and flags it', () => {
    const { rec, conn } = setup();
    const bad = Buffer.concat([Buffer.from('{"message": "'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    conn.sent(bad);
    const [raw] = rec.events;
    expect(raw!.kind).toBe('raw');
    expect(raw!.error).toBe('INSTANET_ERR_INVALID_UTF8');
    expect(Buffer.from(raw!.base64!, 'base64')).toEqual(bad);
  });

  it('shows an image cut short: what was announced, then the truncated bytes, then the close', () => {
    const { rec, conn } = setup();
    conn.sent(json({ action: 'upload_post', username: 'user1', caption: 'x', timestamp: 't' }));
    conn.received(Buffer.from('{"status": "ready"}'));
    conn.sent(imageFrame(Buffer.alloc(100, 1)).subarray(0, 8 + 40));
    conn.timeout('no image bytes for 2000 ms', 'c2s');
    conn.closed('c2s', 'client went away');
    expect(kinds(rec.events)).toEqual(['c2s:json', 's2c:json', 'c2s:image-length', 'c2s:timeout', 'c2s:raw', 'c2s:close']);
    const raw = rec.events[4]!;
    expect(raw.error).toBe('INSTANET_ERR_TRUNCATED');
    expect(eventBytes(raw)).toEqual(Buffer.alloc(40, 1));
    expect(rec.events[5]!.note).toBe('client went away');
  });

  it('attaches requirement IDs to the last or the next event', () => {
    const { rec, conn } = setup();
    conn.attach(['AUTH-1'], 'last'); // nothing yet: goes to the next event
    conn.sent(json({ action: 'login', username: 'user1', password: '123' }));
    conn.attach(['FRAME-1', 'AUTH-1']);
    conn.attach(['ERR-3'], 'next');
    conn.received(json({ status: 'success', message: 'Login successful' }));
    conn.note('checked the reply', ['AUTH-1']);
    expect(rec.events.map((e) => e.requirements)).toEqual([['AUTH-1', 'FRAME-1'], ['ERR-3'], ['AUTH-1']]);
  });

  it('keeps connections apart and refuses bytes after a close', () => {
    const { rec } = setup();
    const a = rec.connection('a');
    const b = rec.connection('b');
    expect(rec.connection('a')).toBe(a);
    a.sent(Buffer.from('{"action": '));
    b.sent(Buffer.from('{"action": "get_all_users"}'));
    a.sent(Buffer.from('"get_feed"}'));
    expect(rec.events.map((e) => `${e.conn}:${(e.json as { action: string }).action}`)).toEqual([
      'b:get_all_users',
      'a:get_feed',
    ]);
    b.closed('c2s');
    expect(() => b.sent(Buffer.from('{}'))).toThrow(expect.objectContaining({ code: 'INSTANET_ERR_RECORDER_STATE' }));
  });

  it('finish() flushes half-read frames of every open connection', () => {
    const { rec, conn } = setup();
    conn.connected();
    conn.sent(Buffer.from('{"action": "log'));
    rec.finish('proxy stopped');
    expect(kinds(rec.events)).toEqual(['-:connect', 'c2s:raw', 'c2s:close', 's2c:close']);
    expect(rec.events[1]!.error).toBe('INSTANET_ERR_TRUNCATED');
    expect(rec.events[2]!.note).toBe('proxy stopped');
  });

  it('loses no byte: the events of a direction concatenate to the exact stream (whitespace included)', () => {
    const piece = fc.oneof(
      fc.constantFrom('{"action": "get_feed"}', '{"a":[1,{"b":"\\u0645"}]}', '{"text": "مرحبا 👋"}'),
      fc.constantFrom(' ', '\n', '\r\n', '\t'),
    );
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 9 }), (pieces, size) => {
        const { rec, conn } = setup();
        const stream = Buffer.from(pieces.join(''));
        for (const chunk of chunks(stream, size)) conn.sent(chunk);
        conn.closed('c2s');
        const bytes = Buffer.concat(rec.events.map((e) => eventBytes(e) ?? Buffer.alloc(0)));
        expect(bytes).toEqual(stream);
        expect(rec.events.filter((e) => e.kind === 'json')).toHaveLength(pieces.filter((p) => p.startsWith('{')).length);
        expect(rec.events.some((e) => e.error !== undefined)).toBe(false);
      }),
      { numRuns: 150 },
    );
  });
});

describe('transcript files', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('round-trips through JSON Lines and validates', async () => {
    const { rec, conn } = setup();
    conn.connected();
    conn.sent(json({ action: 'upload_post', username: 'user1', caption: 'x', timestamp: 't' }));
    conn.received(Buffer.from('{"status": "ready"}'));
    conn.sent(imageFrame(Buffer.from([0, 1, 2, 255])));
    conn.sent(Buffer.from([0xff]));
    conn.closed('c2s');
    const parsed = parseTranscript(rec.toJsonl());
    expect(parsed).toEqual(rec.transcript());
    const dir = await mkdtemp(join(tmpdir(), 'instanet-rec-'));
    dirs.push(dir);
    const file = join(dir, 'nested', 't.jsonl');
    await rec.write(file);
    expect(await readTranscript(file)).toEqual(rec.transcript());
  });

  it('reports every bad line with its line number', () => {
    const header = JSON.stringify({ type: 'header', format: 1, kit: '0.1.0', recordedAt: 'x', source: 's' });
    const text = [
      header,
      '{"type": "event", "t": 1, "conn": "c", "dir": "c2s", "kind": "json", "text": "{}", "json": {}}',
      'not json',
      '{"type": "event", "t": 2, "conn": "c", "dir": "c2s", "kind": "json", "text": "{}"}',
      '{"type": "event", "t": 0.5, "conn": "c", "kind": "note", "note": "n", "requirements": ["NOPE-1"]}',
      '{"type": "event", "t": 3, "conn": "", "kind": "bogus"}',
      header,
    ].join('\n');
    let caught: unknown;
    try {
      parseTranscript(text, 'x.jsonl');
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'INSTANET_ERR_INVALID_TRANSCRIPT' });
    const issues = (caught as { issues: { line: number; message: string }[] }).issues;
    expect(issues.map((i) => i.line)).toEqual([3, 4, 5, 5, 6, 6, 7]);
    expect(issues.find((i) => i.line === 4)!.message).toMatch(/needs "json"/);
    expect(issues.filter((i) => i.line === 5).map((i) => i.message).join(' ')).toMatch(/NOPE-1.*|backwards/);
    expect((caught as Error).message).toContain('x.jsonl:3:');
  });

  it('refuses a file whose first line is not a header, and an empty file', () => {
    expect(() => parseTranscript('{"type": "event", "t": 0, "conn": "c", "kind": "connect"}\n')).toThrow(/first line must be the header/);
    expect(() => parseTranscript('\n\n')).toThrow(/no header/);
  });

  it('names a missing file clearly', async () => {
    await expect(readTranscript('/nonexistent/t.jsonl')).rejects.toMatchObject({ code: 'INSTANET_ERR_TRANSCRIPT_UNREADABLE' });
  });
});
