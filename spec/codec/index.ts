export type { JsonValue, JsonObject, Frame, JsonFrame, ImageFrame } from './types.ts';
export { type CodecLimits, DEFAULT_LIMITS, MAX_KEPT_BYTES, resolveLimits } from './limits.ts';
export {
  CodecError,
  type CodecErrorDetails,
  MalformedJsonError,
  InvalidUtf8Error,
  NotAnObjectError,
  ByteOrderMarkError,
  MessageTooLargeError,
  ImageTooLargeError,
  TruncatedStreamError,
  FrameSocketError,
  ReadTimeoutError,
  PeerClosedError,
} from './errors.ts';
export { FrameDecoder } from './frame-decoder.ts';
export { JsonObjectScanner } from './json-scanner.ts';
export { locateJsonSyntaxError, type JsonSyntaxProblem } from './json-syntax.ts';
export { firstInvalidUtf8 } from './utf8.ts';
export {
  type EncodeOptions,
  JsonEncodeError,
  encodeJson,
  pythonJsonDumps,
  pythonNumber,
  pythonString,
} from './python-json.ts';
export { IMAGE_HEADER_BYTES, encodeImageHeader, encodeImageFrame, decodeImageHeader } from './image-frame.ts';
export { FrameSocket, type FrameSocketOptions } from './frame-socket.ts';
export { dialTcp, type DialFailures, type DialOptions } from './dial.ts';
