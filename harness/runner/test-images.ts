// Deterministic test images. Scenarios, the grader and tests need the same bytes on every run
// and machine, so nothing here reads the clock or Math.random.

const SOI = Buffer.from([0xff, 0xd8]);
const EOI = Buffer.from([0xff, 0xd9]);

function segment(marker: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(0xff00 | marker, 0);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

const JFIF_APP0 = segment(
  0xe0,
  Buffer.from([0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]),
);

/**
 * A real, decodable baseline JPEG: 16x16 mid-grey, one component, 8-bit. The Huffman tables each
 * hold one 1-bit code (DC "difference 0", AC "end of block"), so each of the four blocks is the two
 * bits 00 and the entropy-coded scan is a single 0x00 byte. A comment pads it to a few hundred bytes,
 * the size of a thumbnail, so it is more than a handful of bytes on the wire.
 */
export function smallJpeg(): Buffer {
  const quant = Buffer.alloc(65, 1);
  quant[0] = 0x00; // table 0, 8-bit precision; every step 1
  const sof0 = Buffer.from([0x08, 0x00, 0x10, 0x00, 0x10, 0x01, 0x01, 0x11, 0x00]);
  const oneCodeTable = (tableClassAndId: number): Buffer => {
    const counts = Buffer.alloc(16);
    counts[0] = 1; // one code of length 1 ...
    return Buffer.concat([Buffer.from([tableClassAndId]), counts, Buffer.from([0x00])]); // ... for symbol 0
  };
  const sos = Buffer.from([0x01, 0x01, 0x00, 0x00, 0x3f, 0x00]);
  const comment = Buffer.from(
    'InstaNet Conformance Kit test image: 16x16 grey baseline JPEG, deterministic. '.repeat(3),
    'ascii',
  );
  return Buffer.concat([
    SOI,
    JFIF_APP0,
    segment(0xfe, comment),
    segment(0xdb, quant),
    segment(0xc0, sof0),
    segment(0xc4, oneCodeTable(0x00)),
    segment(0xc4, oneCodeTable(0x10)),
    segment(0xda, sos),
    Buffer.from([0x00]),
    EOI,
  ]);
}

/** mulberry32: tiny, well-known, and the same in every JS engine. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * A photo-sized file that looks like a JPEG to anyone checking the magic bytes (SOI, JFIF, ..., EOI)
 * and carries pseudo-random bytes in between: every byte value appears, including '{', newlines and
 * invalid UTF-8, so a server that treats image bytes as text is caught. Exactly `bytes` long.
 */
export function photo(bytes = 2 * 1024 * 1024, seed = 356): Buffer {
  const head = Buffer.concat([SOI, JFIF_APP0]);
  const minimum = head.length + EOI.length;
  if (!Number.isInteger(bytes) || bytes < minimum) {
    throw new RangeError(`photo(): size must be an integer of at least ${minimum} bytes, got ${bytes}`);
  }
  const out = Buffer.alloc(bytes);
  head.copy(out, 0);
  const next = generator(seed);
  const end = bytes - EOI.length;
  let i = head.length;
  for (; i + 4 <= end; i += 4) out.writeUInt32LE(next(), i);
  for (; i < end; i++) out[i] = next() & 0xff;
  EOI.copy(out, end);
  return out;
}
