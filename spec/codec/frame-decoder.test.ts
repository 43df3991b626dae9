import { describe, expect, it, vi } from 'vitest';
import {
  ByteOrderMarkError,
  CodecError,
  ImageTooLargeError,
  InvalidUtf8Error,
  MalformedJsonError,
  MessageTooLargeError,
  NotAnObjectError,
  TruncatedStreamError,
} from './errors.ts';
import { FrameDecoder } from './frame-decoder.ts';
import { encodeImageFrame, encodeImageHeader } from './image-frame.ts';
import { JsonObjectScanner } from './json-scanner.ts';
import { MAX_KEPT_BYTES } from './limits.ts';
import type { Frame } from './types.ts';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Pushes each chunk and pulls every frame available after it. */
function decodeChunks(chunks: Buffer[], decoder = new FrameDecoder()): Frame[] {
  const frames: Frame[] = [];
  for (const chunk of chunks) {
    decoder.push(chunk);
    for (let f = decoder.next(); f; f = decoder.next()) frames.push(f);
  }
  return frames;
}

function values(frames: Frame[]): unknown[] {
  return frames.map((f) => (f.kind === 'json' ? f.value : { image: f.data.toString('hex') }));
}

function catchError(fn: () => unknown): CodecError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    return err as CodecError;
  }
  throw new Error('expected a CodecError');
}

describe('FrameDecoder: JSON framing (FRAME-1..FRAME-8)', () => {
  it('decodes several objects in one chunk with and without whitespace between them', () => {
    const frames = decodeChunks([b(' \t\r\n{"a": 1}{"b": 2}\n\n{"c": [3]} \r\n\t{"d": {}}  ')]);
    expect(values(frames)).toEqual([{ a: 1 }, { b: 2 }, { c: [3] }, { d: {} }]);
    expect(frames.map((f) => f.offset)).toEqual([4, 12, 22, 36]);
    expect(frames.map((f) => (f.kind === 'json' ? f.raw.toString() : ''))).toEqual([
      '{"a": 1}',
      '{"b": 2}',
      '{"c": [3]}',
      '{"d": {}}',
    ]);
  });

  it('decodes an object split at every byte position, including inside a multi-byte character', () => {
    const text = b('{"caption": "مرحبا 😀 é", "n": [1, {"x": "}"}]}');
    for (let cut = 0; cut <= text.length; cut++) {
      const frames = decodeChunks([text.subarray(0, cut), text.subarray(cut)]);
      expect(values(frames)).toEqual([{ caption: 'مرحبا 😀 é', n: [1, { x: '}' }] }]);
    }
    // One byte at a time: the 4-byte emoji arrives in four reads.
    expect(values(decodeChunks([...text].map((x) => Buffer.from([x]))))).toHaveLength(1);
  });

  it('ignores braces, brackets and escaped quotes inside strings', () => {
    const raw = String.raw`{"a": "}{][", "b": "say \"hi\" {", "c": "\\", "d": "\\\"}", "e": "\u007d"}`;
    const frames = decodeChunks([b(raw + raw)]);
    expect(values(frames)).toEqual([JSON.parse(raw), JSON.parse(raw)]);
  });

  it('returns undefined until the object is complete, and tracks position and buffered bytes', () => {
    const d = new FrameDecoder();
    d.push(b('  {"a": '));
    expect(d.next()).toBeUndefined();
    expect(d.position).toBe(2);
    expect(d.buffered).toBe(6);
    d.push(b('1}  '));
    const f = d.next();
    expect(f?.kind === 'json' && f.value).toEqual({ a: 1 });
    expect(d.position).toBe(12);
    expect(d.buffered).toBe(0);
    expect(d.next()).toBeUndefined();
  });

  it('decodes messages far larger than one read (FRAME-4)', () => {
    const big = { caption: 'x'.repeat(300_000), list: Array.from({ length: 2000 }, (_, i) => ({ i, s: `é${i}` })) };
    const bytes = b(JSON.stringify(big));
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 4096) chunks.push(bytes.subarray(i, i + 4096));
    expect(values(decodeChunks(chunks))).toEqual([big]);
  });
});

describe('FrameDecoder: linear time', () => {
  it('scans each byte of a message once however many reads it takes', () => {
    const scan = vi.spyOn(JsonObjectScanner.prototype, 'scan');
    try {
      const bytes = b(JSON.stringify({ s: 'é{"}'.repeat(50_000) }));
      const d = new FrameDecoder();
      let frames = 0;
      for (let i = 0; i < bytes.length; i += 1000) {
        d.push(bytes.subarray(i, i + 1000));
        if (d.next()) frames++;
      }
      expect(frames).toBe(1);
      const scanned = scan.mock.calls.reduce((sum, [, from, to]) => sum + (to - from), 0);
      expect(scanned).toBe(bytes.length);
    } finally {
      scan.mockRestore();
    }
  });
});

describe('FrameDecoder: malformed input is a typed error with offset and bytes (FRAME-9, FRAME-10)', () => {
  it.each([
    ['12', 2],
    ['"x"', 2],
    ['[1]', 2],
    ['null', 2],
    ['true', 2],
    ['}', 2],
  ])('rejects a top-level %s at its first byte', (text, offset) => {
    const d = new FrameDecoder();
    d.push(b(`\n ${text}{"a": 1}`));
    const err = catchError(() => d.next());
    expect(err).toBeInstanceOf(NotAnObjectError);
    expect(err.code).toBe('INSTANET_ERR_NOT_OBJECT');
    expect(err.offset).toBe(offset);
    expect(err.bytes.toString()).toBe(`${text}{"a": 1}`);
  });

  it('names the absolute offset of a non-object after earlier messages', () => {
    const d = new FrameDecoder();
    d.push(b('{"a": 1} [2]'));
    expect(d.next()).toBeDefined();
    expect(catchError(() => d.next()).offset).toBe(9);
  });

  it('rejects a UTF-8 byte-order mark, even when it arrives split', () => {
    const d = new FrameDecoder();
    d.push(Buffer.from([0xef]));
    expect(d.next()).toBeUndefined();
    d.push(Buffer.from([0xbb, 0xbf, 0x7b, 0x7d]));
    const err = catchError(() => d.next());
    expect(err).toBeInstanceOf(ByteOrderMarkError);
    expect(err.code).toBe('INSTANET_ERR_BOM');
    expect(err.offset).toBe(0);
    expect(err.bytes.toString('hex')).toBe('efbbbf7b7d');
    // 0xEF that does not start a BOM is simply not an object.
    const other = new FrameDecoder();
    other.push(Buffer.from([0xef, 0x41]));
    expect(catchError(() => other.next())).toBeInstanceOf(NotAnObjectError);
  });

  it('reports malformed JSON at the exact byte and keeps the object bytes', () => {
    const cases: Array<[string, number]> = [
      ['{"a": }', 6],
      ['{"a": 1 "b": 2}', 8],
      ['{"a": "\\x"}', 7],
      ['{a: 1}', 1],
      ['{"a": 1,}', 8],
      ['{"a": [1, 2}', 11],
      ['{"é": tru}', 7],
      ['{"a": NaN}', 6],
      ['{"a": "tab\there"}', 10],
    ];
    for (const [text, at] of cases) {
      const d = new FrameDecoder();
      d.push(b(`  ${text}`));
      const err = catchError(() => d.next());
      expect(err, text).toBeInstanceOf(MalformedJsonError);
      expect(err.code).toBe('INSTANET_ERR_MALFORMED_JSON');
      expect(err.offset, text).toBe(2 + at);
      expect(err.bytes.toString()).toBe(text);
      expect(err.bytesOffset).toBe(2);
    }
  });

  it('reports invalid UTF-8 at the first bad byte: stray, overlong, surrogate, truncated', () => {
    const cases: Array<[number[], number]> = [
      [[0xff], 0],
      [[0xc0, 0xaf], 0],
      [[0xed, 0xa0, 0x80], 0],
      [[0x61, 0xe2, 0x82], 1],
      [[0xf4, 0x90, 0x80, 0x80], 0],
    ];
    for (const [bad, at] of cases) {
      const bytes = Buffer.concat([b('{"a": "'), Buffer.from(bad), b('"}')]);
      const d = new FrameDecoder();
      d.push(bytes);
      const err = catchError(() => d.next());
      expect(err).toBeInstanceOf(InvalidUtf8Error);
      expect(err.code).toBe('INSTANET_ERR_INVALID_UTF8');
      expect(err.offset).toBe(7 + at);
      expect(err.bytes.equals(bytes)).toBe(true);
    }
  });

  it('stays poisoned after an error: next() rethrows the same error, pushes are dropped', () => {
    const d = new FrameDecoder();
    d.push(b('[1]'));
    const err = catchError(() => d.next());
    d.push(b('{"a": 1}'));
    expect(() => d.next()).toThrow(err);
    expect(() => d.expectImage()).toThrow(err);
    expect(d.error).toBe(err);
  });

  it('caps the kept bytes of huge garbage', () => {
    const d = new FrameDecoder();
    d.push(Buffer.alloc(1024 * 1024, 0x41));
    const err = catchError(() => d.next());
    expect(err.bytes.length).toBe(MAX_KEPT_BYTES);
    expect(err.bytesTruncated).toBe(true);
  });
});

describe('FrameDecoder: limits', () => {
  it('throws MessageTooLarge as soon as an open object passes maxJsonBytes', () => {
    const d = new FrameDecoder({ maxJsonBytes: 16 });
    d.push(b('{"a": "012345678'));
    expect(d.next()).toBeUndefined(); // 16 bytes: at the limit, still fine
    d.push(b('x'));
    const err = catchError(() => d.next());
    expect(err).toBeInstanceOf(MessageTooLargeError);
    expect(err.code).toBe('INSTANET_ERR_MESSAGE_TOO_LARGE');
    expect(err.offset).toBe(16);
    expect((err as MessageTooLargeError).limit).toBe(16);
  });

  it('accepts an object of exactly maxJsonBytes and counts each object separately', () => {
    const msg = b('{"a": "0123456"}');
    const frames = decodeChunks([Buffer.concat([msg, msg, msg])], new FrameDecoder({ maxJsonBytes: msg.length }));
    expect(frames).toHaveLength(3);
  });

  it('does not hold more than the limit plus one read for an endless object', () => {
    const d = new FrameDecoder({ maxJsonBytes: 1024 });
    d.push(b('{"a": "'));
    let thrown: unknown;
    for (let i = 0; i < 100 && !thrown; i++) {
      d.push(Buffer.alloc(100, 0x61));
      try {
        d.next();
      } catch (err) {
        thrown = err;
      }
    }
    expect(thrown).toBeInstanceOf(MessageTooLargeError);
    expect(d.received).toBeLessThan(1024 + 200);
  });

  it('rejects limits that are not non-negative integers', () => {
    expect(() => new FrameDecoder({ maxJsonBytes: -1 })).toThrow(RangeError);
    expect(() => new FrameDecoder({ maxImageBytes: 1.5 })).toThrow(RangeError);
  });
});

describe('FrameDecoder: image mode (IMG-2, IMG-3, IMG-5, IMG-7)', () => {
  it('reads a length header split at every byte, then exactly that many bytes', () => {
    const payload = Buffer.from('89504e470d0a1a0a7b7d20', 'hex'); // looks like PNG + JSON-ish bytes
    const stream = Buffer.concat([b('{"action": "upload_post"}'), encodeImageFrame(payload), b('{"next": true}')]);
    for (let cut = 25; cut <= stream.length; cut++) {
      const d = new FrameDecoder();
      const frames: Frame[] = [];
      const pull = (): void => {
        for (let f = d.next(); f; f = d.next()) {
          frames.push(f);
          if (frames.length === 1) d.expectImage();
        }
      };
      d.push(stream.subarray(0, cut));
      pull();
      d.push(stream.subarray(cut));
      pull();
      expect(values(frames)).toEqual([{ action: 'upload_post' }, { image: payload.toString('hex') }, { next: true }]);
      const img = frames[1]!;
      expect(img.kind === 'image' && [img.offset, img.length, img.header.toString('hex')]).toEqual([
        25,
        payload.length,
        '000000000000000b',
      ]);
    }
  });

  it('accepts length 0', () => {
    const d = new FrameDecoder();
    d.expectImage();
    d.push(Buffer.concat([encodeImageHeader(0), b('{"a": 1}')]));
    const img = d.next();
    expect(img?.kind === 'image' && img.data.length).toBe(0);
    expect(d.next()?.kind).toBe('json');
  });

  it('reports progress of a pending image', () => {
    const d = new FrameDecoder();
    d.expectImage();
    expect(d.pendingImage).toEqual({ length: undefined, received: 0, headerReceived: 0 });
    d.push(encodeImageHeader(10).subarray(0, 3));
    expect(d.next()).toBeUndefined();
    expect(d.pendingImage).toEqual({ length: undefined, received: 0, headerReceived: 3 });
    d.push(Buffer.concat([encodeImageHeader(10).subarray(3), Buffer.alloc(4)]));
    expect(d.next()).toBeUndefined();
    expect(d.pendingImage).toEqual({ length: 10, received: 4, headerReceived: 8 });
    d.push(Buffer.alloc(3));
    expect(d.pendingImage).toEqual({ length: 10, received: 7, headerReceived: 8 });
    expect(d.buffered).toBe(15);
    d.push(Buffer.alloc(3));
    expect(d.next()?.kind).toBe('image');
    expect(d.pendingImage).toBeUndefined();
  });

  it('throws ImageTooLarge as soon as the header is complete, with the exact announced length', () => {
    for (const [hex, announced] of [
      ['0000010000000000', 2n ** 40n],
      ['ffffffffffffffff', 2n ** 64n - 1n],
      ['0000000000000401', 1025n],
    ] as const) {
      const d = new FrameDecoder({ maxImageBytes: 1024 });
      d.expectImage();
      d.push(Buffer.from(hex, 'hex'));
      const err = catchError(() => d.next());
      expect(err).toBeInstanceOf(ImageTooLargeError);
      expect(err.code).toBe('INSTANET_ERR_IMAGE_TOO_LARGE');
      expect((err as ImageTooLargeError).announced).toBe(announced);
      expect(err.bytes.toString('hex')).toBe(hex);
    }
    // A little-endian 32 (a classic student mistake) reads as a huge big-endian length.
    const d = new FrameDecoder();
    d.expectImage();
    d.push(Buffer.from('2000000000000000', 'hex'));
    expect((catchError(() => d.next()) as ImageTooLargeError).announced).toBe(0x2000000000000000n);
  });

  it('does not skip whitespace before an image header', () => {
    const d = new FrameDecoder();
    d.push(b('{"a": 1}'));
    expect(d.next()).toBeDefined();
    d.expectImage();
    d.push(Buffer.concat([b('\n'), encodeImageHeader(1).subarray(0, 7)]));
    expect(catchError(() => d.next())).toBeInstanceOf(ImageTooLargeError);
  });

  it('refuses expectImage() in the middle of an object or twice', () => {
    const d = new FrameDecoder();
    d.push(b('{"a": '));
    expect(d.next()).toBeUndefined();
    expect(() => d.expectImage()).toThrow(/half-read/);
    const e = new FrameDecoder();
    e.expectImage();
    expect(() => e.expectImage()).toThrow(/already/);
  });
});

describe('FrameDecoder: end of stream', () => {
  it('accepts an end after whole frames and trailing whitespace, keeping unread frames available', () => {
    const d = new FrameDecoder();
    d.push(b('{"a": 1} {"b": 2}\n'));
    expect(() => d.end()).not.toThrow();
    expect(values([d.next()!, d.next()!])).toEqual([{ a: 1 }, { b: 2 }]);
    expect(d.next()).toBeUndefined();
    expect(() => d.push(b('{}'))).toThrow(/after end/);
  });

  it('throws TruncatedStream for a half object, a half header and a half image', () => {
    const half = new FrameDecoder();
    half.push(b('{"a": 1} {"b": '));
    expect(half.next()).toBeDefined();
    let err = catchError(() => half.end());
    expect(err).toBeInstanceOf(TruncatedStreamError);
    expect(err.code).toBe('INSTANET_ERR_TRUNCATED');
    expect([err.offset, err.bytes.toString()]).toEqual([9, '{"b": ']);

    const header = new FrameDecoder();
    header.expectImage();
    header.push(Buffer.from([0, 0, 0]));
    expect(header.next()).toBeUndefined();
    err = catchError(() => header.end());
    expect((err as TruncatedStreamError).received).toBe(3);

    const image = new FrameDecoder();
    image.expectImage();
    image.push(Buffer.concat([encodeImageHeader(100), Buffer.alloc(40, 7)]));
    expect(image.next()).toBeUndefined();
    err = catchError(() => image.end());
    expect(err).toBeInstanceOf(TruncatedStreamError);
    expect([(err as TruncatedStreamError).received, (err as TruncatedStreamError).expected]).toEqual([48, 100]);
    expect(err.bytes.length).toBe(48);
    expect(() => image.next()).toThrow(err);
  });

  it('midFrame tells a half-read frame from whitespace or an unstarted image', () => {
    const d = new FrameDecoder();
    d.push(b('{"a": 1}\n'));
    expect(d.next()).toBeDefined();
    d.push(b(' \t'));
    expect([d.midFrame, d.buffered]).toEqual([false, 2]);
    d.push(b('{'));
    expect(d.midFrame).toBe(true);
    d.push(b('}'));
    expect(d.next()).toBeDefined();
    d.expectImage();
    expect(d.midFrame).toBe(false);
    d.push(Buffer.from([0]));
    expect(d.midFrame).toBe(true);
  });

  it('an image expected but never started is not truncated', () => {
    const d = new FrameDecoder();
    d.expectImage();
    expect(() => d.end()).not.toThrow();
    expect(d.next()).toBeUndefined();
  });
});

describe('offsets after an image payload that bypassed the buffer', () => {
  it('reports the true stream offset of the next object', async () => {
    const { FrameDecoder, encodeImageHeader } = await import('./index.ts');
    const decoder = new FrameDecoder();
    const first = Buffer.from('{"a": 1}');
    decoder.push(first);
    expect(decoder.next()?.offset).toBe(0);
    decoder.expectImage();
    decoder.push(encodeImageHeader(100));
    expect(decoder.next()).toBeUndefined();
    decoder.push(Buffer.alloc(100, 7));
    const image = decoder.next();
    expect(image?.kind).toBe('image');
    expect(image?.offset).toBe(first.length);
    decoder.push(Buffer.from('{"b": 2}'));
    const second = decoder.next();
    expect(second?.offset).toBe(first.length + 8 + 100);
    expect(decoder.position).toBe(first.length + 8 + 100 + 8);
  });
});
