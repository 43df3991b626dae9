export const IMAGE_HEADER_BYTES = 8;

/** The image length header: 8 bytes, unsigned big-endian (what Python's struct.pack('>Q', n) gives). */
export function encodeImageHeader(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`image length must be a non-negative safe integer, got ${length}`);
  }
  const header = Buffer.alloc(IMAGE_HEADER_BYTES);
  header.writeBigUInt64BE(BigInt(length), 0);
  return header;
}

export function encodeImageFrame(data: Uint8Array): Buffer {
  return Buffer.concat([encodeImageHeader(data.length), data]);
}

/** Reads a header's announced length exactly (it may exceed Number.MAX_SAFE_INTEGER). */
export function decodeImageHeader(header: Uint8Array): bigint {
  if (header.length < IMAGE_HEADER_BYTES) throw new RangeError('an image header is 8 bytes');
  return Buffer.from(header.buffer, header.byteOffset, IMAGE_HEADER_BYTES).readBigUInt64BE(0);
}
