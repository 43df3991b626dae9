import { describe, expect, it } from 'vitest';
import { FrameCounter } from './frame-counter.ts';

// The count past a transcript's cap: whole JSON objects, however the bytes are cut, braces inside
// strings not counted, and the count stops (and says so) at bytes that cannot start an object.

function count(pieces: readonly string[]): FrameCounter {
  const c = new FrameCounter();
  for (const p of pieces) c.push(Buffer.from(p));
  return c;
}

describe('FrameCounter', () => {
  it('counts objects cut anywhere, nested ones once, with whitespace between', () => {
    const stream = '{"status": "success"} {"a": {"b": [1, {"c": 2}]}}\n{}';
    // Every cut of the stream into two pieces gives the same three objects.
    for (let cut = 0; cut <= stream.length; cut += 1) {
      const c = count([stream.slice(0, cut), stream.slice(cut)]);
      expect([c.frames, c.counting]).toEqual([3, true]);
    }
  });

  it('does not count braces inside strings, escaped quotes included', () => {
    const c = count(['{"text": "}{ \\"}{\\" {"}', '{"x": "\\\\"}']);
    expect([c.frames, c.counting]).toEqual([2, true]);
  });

  it('stops at a byte that cannot start an object, keeping what it counted', () => {
    const c = count(['{}{}', 'garbage{}']);
    expect([c.frames, c.counting]).toEqual([2, false]);
  });
});
