import { encodeImageHeader } from '../../spec/codec/index.ts';

// The image bytes pass only between one student's send_image and the same student's receive_image
// (protocol-notes, "What the course fixes"): their framing is their own choice. Where the kit stands
// in for the student's sender it asks an ImageEncoder for the bytes, and it shapes them (a split
// inside the header, between header and payload, slow bytes) at points read from those bytes.

/** What a sender wrote for one image, and where its header ends (the split points come from it). */
export interface EncodedImage {
  bytes: Buffer;
  /** Bytes before the payload: before the raw image, before its Base64 text, else the fallback below. */
  headerLength: number;
  /** The framing in words, for the report ("8-byte little-endian length, then the raw bytes"). */
  framing: string;
  /** The same framing with another declared length, when the kit recognised it (for `announce`). */
  withLength?: (length: number) => Buffer;
}

export interface ImageEncoder {
  /** Who produced the bytes: "the student's send_image" or "the reference framing (assumed)". */
  readonly source: string;
  encode(image: Buffer): Promise<EncodedImage>;
}

export const REFERENCE_FRAMING = 'an 8-byte big-endian length, then the raw bytes';

/** The reference's framing (8 bytes big-endian, raw): the default where no student sender is in the loop. */
export const referenceEncoder: ImageEncoder = {
  source: 'the reference framing (8-byte big-endian length, raw bytes), assumed: no send_image of the server\'s author was available',
  encode: async (image) => ({
    bytes: Buffer.concat([encodeImageHeader(image.length), image]),
    headerLength: 8,
    framing: REFERENCE_FRAMING,
    withLength: (length) => encodeImageHeader(length),
  }),
};

/** When the payload cannot be found in what send_image wrote, the header is taken as this many bytes. */
const FALLBACK_HEADER_BYTES = 8;

/**
 * Reads a sender's output for `image` as header + payload (+ trailer): the payload is the raw image
 * when the bytes hold it, else its Base64 text (standard or URL-safe); the header is whatever comes
 * before. A header of a recognised integer (1, 2, 4 or 8 bytes, either order, or ASCII digits) is named.
 */
export function analyseFraming(image: Buffer, bytes: Buffer): EncodedImage {
  const found = findPayload(image, bytes);
  if (found === undefined) {
    const headerLength = Math.min(FALLBACK_HEADER_BYTES, Math.max(0, bytes.length - 1));
    return { bytes, headerLength, framing: `${bytes.length} bytes for a ${image.length}-byte image, in an encoding the kit does not recognise (the header is taken as the first ${headerLength} bytes)` };
  }
  const header = bytes.subarray(0, found.at);
  const trailer = bytes.length - found.at - found.length;
  const length = describeHeader(header, [image.length, found.length]);
  const payload = found.kind === 'raw' ? 'the raw bytes' : `the bytes as ${found.kind}`;
  const after = trailer > 0 ? `, then ${trailer} more byte${trailer === 1 ? '' : 's'} (${JSON.stringify(bytes.subarray(bytes.length - trailer).toString('latin1'))})` : '';
  const framing = `${length.text}, then ${payload}${after}`;
  return {
    bytes,
    headerLength: found.at,
    framing,
    ...(length.encode ? { withLength: length.encode } : {}),
  };
}

interface Payload {
  at: number;
  length: number;
  kind: 'raw' | 'Base64' | 'URL-safe Base64';
}

function findPayload(image: Buffer, bytes: Buffer): Payload | undefined {
  const candidates: { kind: Payload['kind']; data: Buffer }[] = [
    { kind: 'raw', data: image },
    { kind: 'Base64', data: Buffer.from(image.toString('base64'), 'ascii') },
    { kind: 'URL-safe Base64', data: Buffer.from(image.toString('base64url'), 'ascii') },
  ];
  for (const { kind, data } of candidates) {
    // An empty image has no payload to find: its header is everything written.
    if (data.length === 0) return { at: bytes.length, length: 0, kind };
    // The last occurrence: a header cannot hold the whole payload, so the payload ends latest.
    const at = bytes.lastIndexOf(data);
    if (at >= 0) return { at, length: data.length, kind };
  }
  return undefined;
}

interface HeaderReading {
  text: string;
  encode?: (length: number) => Buffer;
}

const INTEGER_HEADERS: { bytes: number; order: 'big' | 'little'; write: (n: number) => Buffer }[] = [8, 4, 2].flatMap((size) =>
  (['big', 'little'] as const).map((order) => ({
    bytes: size,
    order,
    write: (n: number) => {
      const b = Buffer.alloc(size);
      if (size === 8) order === 'big' ? b.writeBigUInt64BE(BigInt(n)) : b.writeBigUInt64LE(BigInt(n));
      else if (size === 4) order === 'big' ? b.writeUInt32BE(n >>> 0) : b.writeUInt32LE(n >>> 0);
      else order === 'big' ? b.writeUInt16BE(n & 0xffff) : b.writeUInt16LE(n & 0xffff);
      return b;
    },
  })),
);

function describeHeader(header: Buffer, lengths: number[]): HeaderReading {
  if (header.length === 0) return { text: 'no length header' };
  for (const n of lengths) {
    for (const h of INTEGER_HEADERS) {
      if (h.bytes !== header.length || n >= 2 ** (8 * Math.min(h.bytes, 6))) continue;
      if (!h.write(n).equals(header)) continue;
      const what = n === lengths[0] ? 'length' : 'length of the encoded text';
      // A header that cannot say which order it is in (a length of one byte's worth) is named by both.
      const mirror = INTEGER_HEADERS.find((o) => o.bytes === h.bytes && o.order !== h.order);
      const ambiguous = mirror !== undefined && mirror.write(n).equals(header);
      const order = ambiguous ? '' : `${h.order}-endian `;
      return { text: `${h.bytes === 8 ? 'an' : 'a'} ${h.bytes}-byte ${order}${what}`, ...(n === lengths[0] && !ambiguous ? { encode: (length: number) => h.write(length) } : {}) };
    }
    const text = header.toString('latin1');
    const digits = /^(\d+)(\D*)$/.exec(text);
    if (digits && Number(digits[1]) === n) {
      const end = digits[2] ?? '';
      return { text: `the length as decimal text${end ? `, then ${JSON.stringify(end)}` : ''}`, ...(n === lengths[0] ? { encode: (length: number) => Buffer.from(`${length}${end}`, 'latin1') } : {}) };
    }
  }
  return { text: `a ${header.length}-byte header (${header.toString('hex').slice(0, 32)})` };
}

/** Where to cut a header "split inside" it: the scenario's offset when it falls inside, else its middle. */
export function splitInsideHeader(headerLength: number, wanted: number): number | undefined {
  if (headerLength < 2) return undefined;
  return wanted > 0 && wanted < headerLength ? wanted : Math.floor(headerLength / 2);
}
