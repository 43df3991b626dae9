import { KitError } from '../../spec/kit-error.ts';

// Every failure the SDK reports is one of these classes, each with a stable `code`, so scripts,
// the CLI's exit codes and the harness can branch on the kind of failure instead of on message text.

export type ClientErrorCode =
  | 'INSTANET_ERR_CONNECTION_REFUSED'
  | 'INSTANET_ERR_CONNECT_FAILED'
  | 'INSTANET_ERR_CLIENT_TIMEOUT'
  | 'INSTANET_ERR_CONNECTION_CLOSED'
  | 'INSTANET_ERR_PROTOCOL'
  | 'INSTANET_ERR_SERVER_ERROR';

export abstract class InstaNetClientError extends KitError {
  abstract override readonly code: ClientErrorCode;
  /** Whether the connection can still carry requests after this error. */
  abstract readonly connectionUsable: boolean;
}

export interface Endpoint {
  host: string;
  port: number;
}

function where(endpoint: Endpoint): string {
  return `${endpoint.host}:${endpoint.port}`;
}

/** Nothing listens at the address (ECONNREFUSED). */
export class ConnectionRefusedError extends InstaNetClientError {
  readonly code = 'INSTANET_ERR_CONNECTION_REFUSED';
  readonly connectionUsable = false;
  constructor(
    readonly endpoint: Endpoint,
    options?: { cause?: unknown },
  ) {
    super(`cannot connect to ${where(endpoint)}: connection refused`, options);
  }
}

/** Any other reason a connection could not be opened (unknown host, unreachable network, ...). */
export class ConnectFailedError extends InstaNetClientError {
  readonly code = 'INSTANET_ERR_CONNECT_FAILED';
  readonly connectionUsable = false;
  constructor(
    readonly endpoint: Endpoint,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot connect to ${where(endpoint)}: ${reason}`, options);
  }
}

/**
 * The server did not finish answering within the call's time budget. The late reply could still
 * arrive and be mistaken for the answer to the next request, so the connection is retired.
 */
export class ClientTimeoutError extends InstaNetClientError {
  readonly code = 'INSTANET_ERR_CLIENT_TIMEOUT';
  readonly connectionUsable = false;
  constructor(
    readonly action: string,
    readonly timeoutMs: number,
    readonly waitingFor: string,
    /** Bytes of an incomplete reply received before the deadline. */
    readonly partial: Buffer = Buffer.alloc(0),
  ) {
    super(`${action}: no ${waitingFor} within ${timeoutMs} ms${partial.length ? ` (${partial.length} bytes of an incomplete reply received)` : ''}`);
  }
}

/** The peer closed the connection (or the client was closed) before the exchange finished. */
export class ConnectionClosedError extends InstaNetClientError {
  readonly code = 'INSTANET_ERR_CONNECTION_CLOSED';
  readonly connectionUsable = false;
  constructor(
    message: string,
    /** Bytes of an incomplete reply received before the close. */
    readonly partial: Buffer = Buffer.alloc(0),
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The server's bytes break the protocol: not JSON, not an object, or a reply that does not match
 * the action's schema. `bytes` holds the offending bytes exactly as received.
 */
export class ProtocolError extends InstaNetClientError {
  readonly code = 'INSTANET_ERR_PROTOCOL';
  constructor(
    message: string,
    readonly bytes: Buffer,
    /** Schema problems, one line each (empty for framing errors). */
    readonly issues: readonly string[],
    /** A schema mismatch leaves the stream in step; a framing error does not. */
    readonly connectionUsable: boolean,
    /** Requirement IDs the bytes break, when known. */
    readonly requirements: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The server answered {"status": "error", "message": ...} (not the reference server's own ServerError). */
export class ErrorReplyError extends InstaNetClientError {
  readonly code = 'INSTANET_ERR_SERVER_ERROR';
  readonly connectionUsable: boolean;
  constructor(
    readonly action: string,
    readonly serverMessage: string,
    readonly reply: Readonly<Record<string, unknown>>,
    readonly raw: Buffer,
    connectionUsable = true,
  ) {
    super(`${action}: server said error: ${serverMessage}`);
    this.connectionUsable = connectionUsable;
  }
}

export function isClientError(error: unknown): error is InstaNetClientError {
  return error instanceof InstaNetClientError;
}
