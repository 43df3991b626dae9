import { KitError } from '../kit-error.ts';
import { MAX_KEPT_BYTES } from './limits.ts';

export interface CodecErrorDetails {
  /** Stream offset the problem is pinned to. */
  offset: number;
  /** The offending bytes (at most MAX_KEPT_BYTES of them) so a transcript loses nothing meaningful. */
  bytes?: Uint8Array;
  /** Stream offset of `bytes[0]`; defaults to `offset`. */
  bytesOffset?: number;
  cause?: unknown;
}

function keep(bytes: Uint8Array | undefined): Buffer {
  if (!bytes || bytes.length === 0) return Buffer.alloc(0);
  // Copy: the decoder reuses its buffer, and a capped slice must not pin a 64 MiB parent.
  return Buffer.from(bytes.subarray(0, MAX_KEPT_BYTES));
}

/**
 * What every failure pinned to a place in the byte stream carries: a stable code, the offset and
 * the bytes found there. CodecError and FrameSocketError share it but not a class below it (see
 * FrameSocketError).
 */
abstract class StreamError extends KitError {
  readonly offset: number;
  readonly bytes: Buffer;
  constructor(message: string, details: CodecErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.offset = details.offset;
    this.bytes = keep(details.bytes);
  }
}

/** Base of every framing/decoding failure. After one, the stream's framing is lost. */
export abstract class CodecError extends StreamError {
  readonly bytesOffset: number;
  /** True when `bytes` was cut at MAX_KEPT_BYTES. */
  readonly bytesTruncated: boolean;

  constructor(message: string, details: CodecErrorDetails) {
    super(message, details);
    this.bytesOffset = details.bytesOffset ?? details.offset;
    this.bytesTruncated = (details.bytes?.length ?? 0) > MAX_KEPT_BYTES;
  }
}

export class MalformedJsonError extends CodecError {
  readonly code = 'INSTANET_ERR_MALFORMED_JSON';
}

export class InvalidUtf8Error extends CodecError {
  readonly code = 'INSTANET_ERR_INVALID_UTF8';
}

export class NotAnObjectError extends CodecError {
  readonly code = 'INSTANET_ERR_NOT_OBJECT';
}

export class ByteOrderMarkError extends CodecError {
  readonly code = 'INSTANET_ERR_BOM';
}

export class MessageTooLargeError extends CodecError {
  readonly code = 'INSTANET_ERR_MESSAGE_TOO_LARGE';
  readonly limit: number;
  constructor(message: string, details: CodecErrorDetails & { limit: number }) {
    super(message, details);
    this.limit = details.limit;
  }
}

export class ImageTooLargeError extends CodecError {
  readonly code = 'INSTANET_ERR_IMAGE_TOO_LARGE';
  /** The announced length exactly (a u64 can exceed Number.MAX_SAFE_INTEGER). */
  readonly announced: bigint;
  readonly limit: number;
  constructor(message: string, details: CodecErrorDetails & { announced: bigint; limit: number }) {
    super(message, details);
    this.announced = details.announced;
    this.limit = details.limit;
  }
}

export class TruncatedStreamError extends CodecError {
  readonly code = 'INSTANET_ERR_TRUNCATED';
  /** Bytes of the half-read frame that did arrive (may exceed bytes.length). */
  readonly received: number;
  /** For an image whose header arrived: the announced payload length. */
  readonly expected: number | undefined;
  constructor(message: string, details: CodecErrorDetails & { received: number; expected?: number }) {
    super(message, details);
    this.received = details.received;
    this.expected = details.expected;
  }
}

/**
 * Failures of a FrameSocket read that are not about the bytes themselves. They carry the same
 * { code, offset, bytes } as CodecError but deliberately do not extend it: a timeout or a closed
 * peer is not a protocol violation, and callers map CodecError to "protocol error".
 */
export abstract class FrameSocketError extends StreamError {}

export class ReadTimeoutError extends FrameSocketError {
  readonly code = 'INSTANET_ERR_READ_TIMEOUT';
  readonly timeoutMs: number;
  constructor(message: string, details: CodecErrorDetails & { timeoutMs: number }) {
    super(message, details);
    this.timeoutMs = details.timeoutMs;
  }
}

export class PeerClosedError extends FrameSocketError {
  readonly code = 'INSTANET_ERR_PEER_CLOSED';
  /** Bytes of a half-read frame that arrived before the close (0 when the close fell between frames). */
  readonly received: number;
  constructor(message: string, details: CodecErrorDetails & { received: number }) {
    super(message, details);
    this.received = details.received;
  }
}
