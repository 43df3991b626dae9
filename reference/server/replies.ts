import type { CodecError, JsonObject } from '../../spec/codec/index.ts';

// Texts of the replies only this server sends (the course's own strings live in spec REPLY_TEXT).
// Clients only test "status", so these are written for the person reading a transcript.
export const SERVER_TEXT = {
  loginRequired: 'Login required: send a login request first',
  internalError: 'Internal server error',
  tooManyConnections: 'Server busy: too many connections',
  tooManyFromAddress: 'Server busy: too many connections from your address',
  shuttingDown: 'Server is shutting down',
} as const;

export function notYourself(field: string, loggedInAs: string): string {
  return `Not allowed: ${field} must be the logged-in user (${loggedInAs})`;
}

export function unsafeName(field: string): string {
  return `Invalid ${field}: not allowed in a file name`;
}

export function successReply(message?: string): JsonObject {
  return message === undefined ? { status: 'success' } : { status: 'success', message };
}

export function errorReply(message: string): JsonObject {
  return { status: 'error', message };
}

/** FRAME-9, FRAME-10, LIM-1, IMG-7: what a client is told before its broken connection is closed. */
export function framingErrorText(error: CodecError): string {
  switch (error.code) {
    case 'INSTANET_ERR_MALFORMED_JSON':
      return `Malformed JSON: ${error.message}`;
    case 'INSTANET_ERR_INVALID_UTF8':
      return `Invalid UTF-8: ${error.message}`;
    case 'INSTANET_ERR_NOT_OBJECT':
      return `Not a JSON object: ${error.message}`;
    case 'INSTANET_ERR_BOM':
      return `Byte-order mark not allowed: ${error.message}`;
    case 'INSTANET_ERR_MESSAGE_TOO_LARGE':
      return `Request too large: ${error.message}`;
    case 'INSTANET_ERR_IMAGE_TOO_LARGE':
      return `Image too large: ${error.message}`;
    default:
      return `Bad framing: ${error.message}`;
  }
}
