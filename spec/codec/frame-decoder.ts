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
import { IMAGE_HEADER_BYTES } from './image-frame.ts';
import { JsonObjectScanner } from './json-scanner.ts';
import { locateJsonSyntaxError } from './json-syntax.ts';
import { MAX_KEPT_BYTES, resolveLimits, type CodecLimits } from './limits.ts';
import type { Frame, ImageFrame, JsonFrame, JsonObject } from './types.ts';
import { firstInvalidUtf8, isUtf8 } from './utf8.ts';

const OPEN_BRACE = 0x7b;
const BOM = [0xef, 0xbb, 0xbf] as const;
const MIN_CAPACITY = 16 * 1024;
/** Above this, an emptied buffer is released instead of kept, so one big message doesn't pin memory. */
const RETAIN_CAPACITY = 1024 * 1024;

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

interface PendingImage {
  offset: number;
  header: Buffer;
  headerFilled: number;
  length: number | undefined;
  data: Buffer | undefined;
  received: number;
}

/**
 * Turns a TCP byte stream into frames: bare JSON objects (no delimiter) and, on request, image frames
 * (8-byte big-endian length + raw bytes). Pull-based so the caller decides, between two frames, that
 * the next one is an image (the protocol's `ready` handshake). Every byte is scanned once.
 *
 * Whitespace between objects is skipped; whitespace already buffered right after an object is
 * consumed with it (as the course's json.loads does), but no whitespace is skipped before an image
 * header, because the header is binary and a student's wrong byte order must show as what it is.
 */
export class FrameDecoder {
  readonly limits: CodecLimits;
  #buf: Buffer = Buffer.alloc(0);
  /** Live bytes are #buf[#start, #end); #bufOffset is the stream offset of #buf[0]. */
  #start = 0;
  #end = 0;
  #bufOffset = 0;
  #total = 0;
  #scanner = new JsonObjectScanner();
  /** Buffer index of the open object's `{`, or -1 between objects. */
  #objStart = -1;
  /** Buffer index where the scanner resumes. */
  #scanPos = 0;
  #image: PendingImage | undefined;
  #error: CodecError | undefined;
  #ended = false;

  constructor(limits?: Partial<CodecLimits>) {
    this.limits = resolveLimits(limits);
  }

  /** Bytes held that have not been returned in a frame (including a half-read image). */
  get buffered(): number {
    return this.#total - this.position;
  }

  /** Stream offset of the first byte not yet returned in a frame or skipped as whitespace. */
  get position(): number {
    return this.#image ? this.#image.offset : this.#bufOffset + this.#start;
  }

  /** Total bytes pushed so far. */
  get received(): number {
    return this.#total;
  }

  get pendingImage(): { length: number | undefined; received: number; headerReceived: number } | undefined {
    const img = this.#image;
    if (!img) return undefined;
    return { length: img.length, received: img.received, headerReceived: img.headerFilled };
  }

  /**
   * True when bytes of an unfinished frame are held: what a close at this moment would truncate.
   * Unlike `buffered > 0`, whitespace between messages and an expected-but-unstarted image don't count.
   */
  get midFrame(): boolean {
    const img = this.#image;
    if (img) return img.headerFilled > 0 || this.#end > this.#start;
    if (this.#objStart !== -1) return true;
    for (let i = this.#start; i < this.#end; i++) if (!isWhitespace(this.#buf[i]!)) return true;
    return false;
  }

  /** The error that poisoned the decoder, if any. */
  get error(): CodecError | undefined {
    return this.#error;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** A copy of the bytes held but not yet returned (a half-read frame), at most `max` of them. */
  heldBytes(max = MAX_KEPT_BYTES): Buffer {
    const parts: Uint8Array[] = [];
    const img = this.#image;
    if (img) {
      parts.push(img.header.subarray(0, img.headerFilled));
      if (img.data) parts.push(img.data.subarray(0, Math.min(img.received, max)));
    }
    parts.push(this.#buf.subarray(this.#start, Math.min(this.#end, this.#start + max)));
    const all = Buffer.concat(parts);
    return all.length > max ? Buffer.from(all.subarray(0, max)) : all;
  }

  push(chunk: Uint8Array): void {
    if (this.#ended) throw new Error('FrameDecoder.push() after end()');
    this.#total += chunk.length;
    // Framing is lost after an error; keep counting so offsets stay true, but hold nothing.
    if (this.#error) return;
    const img = this.#image;
    if (img?.data && this.#start === this.#end) {
      // Image payload goes straight into its final buffer: one copy per chunk, no rescanning.
      const n = Math.min(img.data.length - img.received, chunk.length);
      if (n > 0) {
        img.data.set(n === chunk.length ? chunk : chunk.subarray(0, n), img.received);
        img.received += n;
        // These bytes bypass the buffer, so the buffer's base offset must move past them.
        this.#bufOffset += n;
        if (n === chunk.length) return;
        chunk = chunk.subarray(n);
      }
    }
    this.#append(chunk);
  }

  /** The next frame, or undefined when more bytes are needed. Throws a CodecError (and keeps throwing it). */
  next(): Frame | undefined {
    if (this.#error) throw this.#error;
    try {
      const frame = this.#image ? this.#nextImage() : this.#nextJson();
      if (frame === undefined && this.#ended) this.#throwIfTruncated();
      return frame;
    } catch (err) {
      if (err instanceof CodecError) this.#error = err;
      throw err;
    }
  }

  /** Makes the next frame an image frame. Only valid between frames. */
  expectImage(): void {
    if (this.#error) throw this.#error;
    if (this.#image) throw new Error('FrameDecoder.expectImage(): an image frame is already expected');
    if (this.#objStart !== -1) {
      throw new Error('FrameDecoder.expectImage(): a JSON object is half-read');
    }
    this.#image = {
      offset: this.#bufOffset + this.#start,
      header: Buffer.alloc(IMAGE_HEADER_BYTES),
      headerFilled: 0,
      length: undefined,
      data: undefined,
      received: 0,
    };
  }

  /**
   * Declares the end of the stream. Throws TruncatedStreamError when the held bytes cannot complete a
   * frame; frames that are complete stay available through next().
   */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#error) return;
    if (this.#frameAvailable()) return;
    try {
      this.#throwIfTruncated();
    } catch (err) {
      if (err instanceof CodecError) this.#error = err;
      throw err;
    }
  }

  #append(chunk: Uint8Array): void {
    const n = chunk.length;
    if (n === 0) return;
    if (this.#end + n > this.#buf.length) this.#makeRoom(n);
    this.#buf.set(chunk, this.#end);
    this.#end += n;
  }

  #makeRoom(n: number): void {
    const live = this.#end - this.#start;
    const cap = this.#buf.length;
    // Compact only when that leaves at least half the buffer free; otherwise grow (doubling), so each
    // byte is moved O(1) times amortized even when one object fills most of the buffer.
    if (live + n <= cap >>> 1) {
      this.#buf.copyWithin(0, this.#start, this.#end);
    } else {
      let next = Math.max(cap * 2, MIN_CAPACITY);
      while (next < live + n) next *= 2;
      const grown = Buffer.allocUnsafe(next);
      this.#buf.copy(grown, 0, this.#start, this.#end);
      this.#buf = grown;
    }
    this.#shift(this.#start);
  }

  /** Re-bases buffer indices after the first `by` bytes were dropped. */
  #shift(by: number): void {
    if (by === 0) return;
    this.#bufOffset += by;
    this.#end -= by;
    this.#start -= by;
    if (this.#objStart !== -1) this.#objStart -= by;
    this.#scanPos = Math.max(0, this.#scanPos - by);
  }

  #consumed(): void {
    if (this.#start === this.#end) {
      this.#bufOffset += this.#start;
      this.#start = this.#end = this.#scanPos = 0;
      if (this.#buf.length > RETAIN_CAPACITY) this.#buf = Buffer.alloc(0);
    }
  }

  #skipWhitespace(): void {
    const buf = this.#buf;
    let i = this.#start;
    while (i < this.#end && isWhitespace(buf[i]!)) i++;
    this.#start = i;
    this.#consumed();
  }

  #nextJson(): JsonFrame | undefined {
    if (this.#objStart === -1) {
      this.#skipWhitespace();
      if (this.#start === this.#end) return undefined;
      const first = this.#buf[this.#start]!;
      if (first !== OPEN_BRACE) return this.#rejectStart(first);
      this.#objStart = this.#start;
      this.#scanPos = this.#start;
      this.#scanner.reset();
    }
    const max = this.limits.maxJsonBytes;
    const limitIndex = this.#objStart + max;
    const to = Math.min(this.#end, limitIndex);
    const close = this.#scanner.scan(this.#buf, this.#scanPos, to);
    if (close === -1) {
      this.#scanPos = to;
      if (this.#end > limitIndex) {
        throw new MessageTooLargeError(
          `JSON message exceeds the ${max}-byte limit (object opened at byte ${this.#bufOffset + this.#objStart})`,
          {
            offset: this.#bufOffset + limitIndex,
            bytes: this.#buf.subarray(this.#objStart, this.#end),
            bytesOffset: this.#bufOffset + this.#objStart,
            limit: max,
          },
        );
      }
      return undefined;
    }
    const objStart = this.#objStart;
    const offset = this.#bufOffset + objStart;
    const raw = Buffer.from(this.#buf.subarray(objStart, close));
    this.#objStart = -1;
    this.#start = close;
    this.#scanPos = close;
    const value = parseObject(raw, offset);
    this.#skipWhitespace();
    return { kind: 'json', value, raw, offset };
  }

  #rejectStart(first: number): undefined {
    const at = this.#start;
    const offset = this.#bufOffset + at;
    const held = this.#buf.subarray(at, this.#end);
    if (first === BOM[0]) {
      const prefix = held.length >= BOM.length ? BOM.length : held.length;
      let matches = true;
      for (let k = 0; k < prefix; k++) if (held[k] !== BOM[k]) matches = false;
      if (matches && prefix < BOM.length && !this.#ended) return undefined;
      if (matches && prefix === BOM.length) {
        throw new ByteOrderMarkError(`UTF-8 byte-order mark at byte ${offset}: JSON messages must not start with one`, {
          offset,
          bytes: held,
        });
      }
    }
    throw new NotAnObjectError(
      `expected a JSON object ('{') at byte ${offset}, got ${describeByte(first)}`,
      { offset, bytes: held },
    );
  }

  #nextImage(): ImageFrame | undefined {
    const img = this.#image!;
    if (img.length === undefined) {
      const n = Math.min(IMAGE_HEADER_BYTES - img.headerFilled, this.#end - this.#start);
      this.#buf.copy(img.header, img.headerFilled, this.#start, this.#start + n);
      img.headerFilled += n;
      this.#start += n;
      this.#consumed();
      if (img.headerFilled < IMAGE_HEADER_BYTES) return undefined;
      const announced = img.header.readBigUInt64BE(0);
      const max = this.limits.maxImageBytes;
      if (announced > BigInt(max) || announced > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new ImageTooLargeError(
          `image length header at byte ${img.offset} announces ${announced} bytes, over the ${max}-byte limit`,
          { offset: img.offset, bytes: img.header, announced, limit: max },
        );
      }
      img.length = Number(announced);
      img.data = Buffer.allocUnsafe(img.length);
    }
    const data = img.data!;
    const n = Math.min(data.length - img.received, this.#end - this.#start);
    if (n > 0) {
      this.#buf.copy(data, img.received, this.#start, this.#start + n);
      img.received += n;
      this.#start += n;
      this.#consumed();
    }
    if (img.received < data.length) return undefined;
    this.#image = undefined;
    return { kind: 'image', length: data.length, header: img.header, data, offset: img.offset };
  }

  /** Whether next() would return a frame or throw, without consuming anything. */
  #frameAvailable(): boolean {
    const img = this.#image;
    if (img) {
      const avail = this.#end - this.#start;
      if (img.length === undefined) {
        if (img.headerFilled + avail < IMAGE_HEADER_BYTES) return false;
        // The header completes; whether payload follows is for next() (it may also throw ImageTooLarge).
        const header = Buffer.concat([
          img.header.subarray(0, img.headerFilled),
          this.#buf.subarray(this.#start, this.#start + IMAGE_HEADER_BYTES - img.headerFilled),
        ]);
        const announced = header.readBigUInt64BE(0);
        if (announced > BigInt(Math.min(this.limits.maxImageBytes, Number.MAX_SAFE_INTEGER))) return true;
        return avail - (IMAGE_HEADER_BYTES - img.headerFilled) >= Number(announced);
      }
      return img.received + avail >= img.length;
    }
    let i = this.#objStart === -1 ? this.#start : this.#scanPos;
    if (this.#objStart === -1) {
      while (i < this.#end && isWhitespace(this.#buf[i]!)) i++;
      if (i === this.#end) return false;
      if (this.#buf[i] !== OPEN_BRACE) return true; // next() throws NotAnObject/BOM
      this.#start = i;
      this.#objStart = i;
      this.#scanPos = i;
      this.#scanner.reset();
    }
    const limitIndex = this.#objStart + this.limits.maxJsonBytes;
    const to = Math.min(this.#end, limitIndex);
    const close = this.#scanner.scan(this.#buf, this.#scanPos, to);
    if (close !== -1) {
      // Found the end: rewind so next() finds it again (the scanner state is reset by the scan).
      this.#scanner.reset();
      this.#scanPos = this.#objStart;
      return true;
    }
    this.#scanPos = to;
    return this.#end > limitIndex;
  }

  #throwIfTruncated(): void {
    const img = this.#image;
    if (img) {
      const received = img.headerFilled + img.received + (this.#end - this.#start);
      if (received === 0) return;
      const bytes = img.data
        ? Buffer.concat([img.header, img.data.subarray(0, Math.min(img.received, MAX_KEPT_BYTES))])
        : Buffer.concat([img.header.subarray(0, img.headerFilled), this.#buf.subarray(this.#start, this.#end)]);
      throw new TruncatedStreamError(
        img.length === undefined
          ? `stream ended inside an image length header at byte ${img.offset} (${img.headerFilled} of 8 bytes)`
          : `stream ended inside an image at byte ${img.offset}: ${img.received} of ${img.length} bytes received`,
        {
          offset: img.offset,
          bytes,
          received: img.length === undefined ? img.headerFilled : IMAGE_HEADER_BYTES + img.received,
          ...(img.length === undefined ? {} : { expected: img.length }),
        },
      );
    }
    let i = this.#objStart === -1 ? this.#start : this.#objStart;
    while (this.#objStart === -1 && i < this.#end && isWhitespace(this.#buf[i]!)) i++;
    if (i === this.#end) return;
    const offset = this.#bufOffset + i;
    const bytes = this.#buf.subarray(i, this.#end);
    throw new TruncatedStreamError(`stream ended inside a JSON message starting at byte ${offset} (${bytes.length} bytes)`, {
      offset,
      bytes,
      received: bytes.length,
    });
  }
}

function parseObject(raw: Buffer, offset: number): JsonObject {
  if (!isUtf8(raw)) {
    const at = firstInvalidUtf8(raw);
    throw new InvalidUtf8Error(`invalid UTF-8 at byte ${offset + at} (byte ${describeByte(raw[at]!)})`, {
      offset: offset + at,
      bytes: raw,
      bytesOffset: offset,
    });
  }
  const text = raw.toString('utf8');
  try {
    // The scanner guarantees the text starts with '{', so a successful parse is an object.
    return JSON.parse(text) as JsonObject;
  } catch (cause) {
    const problem = locateJsonSyntaxError(text);
    const at = problem ? Buffer.byteLength(text.slice(0, problem.index)) : 0;
    const reason = problem?.reason ?? (cause instanceof Error ? cause.message : String(cause));
    throw new MalformedJsonError(`malformed JSON at byte ${offset + at}: ${reason}`, {
      offset: offset + at,
      bytes: raw,
      bytesOffset: offset,
      cause,
    });
  }
}

function describeByte(b: number): string {
  const hex = `0x${b.toString(16).padStart(2, '0')}`;
  return b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}' (${hex})` : hex;
}
