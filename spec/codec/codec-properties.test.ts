import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError } from './errors.ts';
import { FrameDecoder } from './frame-decoder.ts';
import { encodeImageFrame } from './image-frame.ts';
import { encodeJson, pythonJsonDumps, type EncodeOptions } from './python-json.ts';
import type { Frame, JsonObject, JsonValue } from './types.ts';

// Property-based tests of the codec (FRAME-1..FRAME-9, IMG-2, IMG-3). Runs are bounded so the file
// takes a few seconds; failures print a seed and a shrunk counterexample.

const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }));
const number = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
const value: fc.Arbitrary<JsonValue> = fc.letrec<{ v: JsonValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    number,
    text,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(text, tie('v'), { maxKeys: 4 }),
  ),
})).v;
const object: fc.Arbitrary<JsonObject> = fc.dictionary(text, value, { maxKeys: 5 });
const options: fc.Arbitrary<EncodeOptions> = fc.record(
  {
    style: fc.constantFrom<'python' | 'compact'>('python', 'compact'),
    ascii: fc.boolean(),
    indent: fc.integer({ min: 0, max: 4 }),
  },
  { requiredKeys: [] },
);
const whitespace = fc.string({ unit: fc.constantFrom(' ', '\t', '\r', '\n'), maxLength: 3 });

type Item = { kind: 'json'; value: JsonObject; options: EncodeOptions; before: string } | { kind: 'image'; data: Uint8Array };
const item: fc.Arbitrary<Item> = fc.oneof(
  fc.record({ kind: fc.constant('json' as const), value: object, options, before: whitespace }),
  fc.record({ kind: fc.constant('image' as const), data: fc.uint8Array({ maxLength: 300 }) }),
);

/** What a value is after a trip through JSON text: -0 becomes 0, nothing else changes. */
function normalize(v: JsonValue): unknown {
  return JSON.parse(JSON.stringify(v));
}

function encodeItems(items: Item[]): Buffer {
  return Buffer.concat(
    items.map((it) =>
      it.kind === 'json' ? Buffer.concat([Buffer.from(it.before), encodeJson(it.value, it.options)]) : encodeImageFrame(it.data),
    ),
  );
}

/** Splits at the given cut points (sorted, deduplicated, clamped). */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(prev, p));
    prev = p;
  }
  return chunks;
}

/** Decodes like a protocol peer: it knows which frame it expects next and switches to image mode for images. */
function decodeAs(items: Item[], chunks: Buffer[], decoder = new FrameDecoder()): Frame[] {
  const frames: Frame[] = [];
  const arm = (): void => {
    if (items[frames.length]?.kind === 'image') decoder.expectImage();
  };
  arm();
  for (const chunk of chunks) {
    decoder.push(chunk);
    for (let f = decoder.next(); f; f = decoder.next()) {
      frames.push(f);
      arm();
    }
  }
  decoder.end();
  return frames;
}

describe('codec properties', () => {
  it('any sequence of messages and images, split at any bytes, decodes to the same sequence', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (items, cuts) => {
        const bytes = encodeItems(items);
        const frames = decodeAs(items, split(bytes, cuts));
        expect(frames).toHaveLength(items.length);
        frames.forEach((frame, i) => {
          const it = items[i]!;
          if (it.kind === 'json') {
            expect(frame.kind).toBe('json');
            if (frame.kind !== 'json') return;
            expect(frame.value).toEqual(normalize(it.value));
            expect(frame.raw.equals(encodeJson(it.value, it.options))).toBe(true);
          } else {
            expect(frame.kind === 'image' && Buffer.from(frame.data).equals(Buffer.from(it.data))).toBe(true);
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it('decode(encode(x)) = x for every encoder variant', () => {
    fc.assert(
      fc.property(object, options, (v, opts) => {
        const d = new FrameDecoder();
        d.push(encodeJson(v, opts));
        const frame = d.next();
        expect(frame?.kind === 'json' && frame.value).toEqual(normalize(v));
        // And the encoding is stable: re-encoding the decoded value gives the same text.
        expect(pythonJsonDumps(frame?.kind === 'json' ? frame.value : {}, opts)).toBe(pythonJsonDumps(v, opts));
      }),
      { numRuns: 400 },
    );
  });

  const garbage = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    // Bytes that look like JSON: the interesting failures are near-valid messages.
    fc.array(fc.constantFrom(...'{}[]":,\\ \n0123456789.eE-+tfnrulasé'.split('')), { maxLength: 120 }).map((a) =>
      Buffer.from(a.join('')),
    ),
    // A valid stream with a few bytes overwritten.
    fc
      .tuple(fc.array(item, { minLength: 1, maxLength: 3 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }))
      .map(([items, flips]) => {
        const bytes = Buffer.from(encodeItems(items.filter((i) => i.kind === 'json')));
        for (const [at, byte] of flips) if (bytes.length > 0) bytes[at % bytes.length] = byte;
        return bytes;
      }),
  );

  it('random garbage yields only typed CodecErrors, never hangs, and never buffers past the limits', () => {
    fc.assert(
      fc.property(
        garbage,
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.array(fc.boolean(), { maxLength: 10 }),
        fc.integer({ min: 0, max: 256 }),
        (bytes, cuts, imageSwitches, maxJsonBytes) => {
          const d = new FrameDecoder({ maxJsonBytes, maxImageBytes: 64 });
          let k = 0;
          let steps = 0;
          try {
            for (const chunk of split(Buffer.from(bytes), cuts)) {
              d.push(chunk);
              for (;;) {
                // Every call either consumes bytes, returns undefined, or throws: bound it anyway.
                if (++steps > 10_000) throw new Error('decoder does not make progress');
                if (imageSwitches[k++ % Math.max(1, imageSwitches.length)] && d.pendingImage === undefined) {
                  try {
                    d.expectImage();
                  } catch (err) {
                    // Only allowed refusal: switching modes in the middle of an object.
                    expect(String(err)).toMatch(/half-read/);
                  }
                }
                const f = d.next();
                if (f === undefined) break;
                if (f.kind === 'json') expect(f.raw.length).toBeLessThanOrEqual(maxJsonBytes);
              }
            }
            d.end();
          } catch (err) {
            expect(err).toBeInstanceOf(CodecError);
            const e = err as CodecError;
            expect(e.code).toMatch(/^INSTANET_ERR_/);
            expect(e.offset).toBeGreaterThanOrEqual(0);
            expect(e.offset).toBeLessThanOrEqual(bytes.length);
            expect(() => d.next()).toThrow(e);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
