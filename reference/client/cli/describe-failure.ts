import {
  ClientTimeoutError,
  ConnectFailedError,
  ConnectionClosedError,
  ConnectionRefusedError,
  InstaNetClientError,
  ProtocolError,
  ErrorReplyError,
} from '../errors.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { ClientUsageError } from './usage-error.ts';

// Turns any failure into one line saying what happened and what to try, the exit code, and a JSON
// form for --json. Unknown errors are bugs of the kit; they still get one line, not a stack trace.

export interface Failure {
  exitCode: ExitCode;
  code: string;
  message: string;
  hint: string;
  serverMessage?: string;
  requirements?: readonly string[];
  issues?: readonly string[];
  /** The offending bytes of a ProtocolError, as text when they are UTF-8, else base64. */
  bytes?: { text: string } | { base64: string };
}

function bytesField(bytes: Buffer): Failure['bytes'] {
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? { text } : { base64: bytes.toString('base64') };
}

/** A short, printable preview of bytes: JSON string quoting makes control bytes visible. */
export function previewBytes(bytes: Buffer, max = 80): string {
  const head = bytes.subarray(0, max);
  const utf8 = head.toString('utf8');
  // Cut UTF-8 (a character split at `max` shows as U+FFFD) reads better than Latin-1 mojibake.
  const text = utf8.replace(/\uFFFD+$/, '').includes('\uFFFD') ? head.toString('latin1') : utf8;
  return JSON.stringify(text) + (bytes.length > max ? `… (${bytes.length} bytes)` : '');
}

function serverHint(error: ErrorReplyError): string {
  const { action, serverMessage } = error;
  if (action === 'login') return 'check --user and --password (the course\'s test users are user1..user6, password 123)';
  if (serverMessage === 'User not found') return 'check the name with `users`';
  if (serverMessage === 'Invalid request') {
    if (action === 'send_friend_request') return 'is the user already your friend, already asked, or unknown? see `friends` and `users`';
    return 'there is no pending request from that user; see `requests`';
  }
  if (serverMessage === 'No posts found' || serverMessage === 'Post not found') return 'see `feed` for the posts and their numbers';
  if (serverMessage === 'Failed to save image') return 'the server could not receive or store the image; check its console';
  return 'the server refused the request; its console may say why';
}

export function describeFailure(error: unknown, endpoint: string): Failure {
  if (error instanceof ClientUsageError) return { exitCode: EXIT.usage, code: error.code, message: error.message, hint: error.hint };
  if (error instanceof ErrorReplyError) {
    return {
      exitCode: EXIT.serverError,
      code: error.code,
      message: `server said error: ${error.serverMessage} (${error.action})`,
      hint: serverHint(error),
      serverMessage: error.serverMessage,
    };
  }
  if (error instanceof ConnectionRefusedError) {
    return { exitCode: EXIT.failure, code: error.code, message: error.message, hint: 'is the server running? try `instanet serve`, or check --host/--port' };
  }
  if (error instanceof ConnectFailedError) {
    return { exitCode: EXIT.failure, code: error.code, message: error.message, hint: 'check --host and --port' };
  }
  if (error instanceof ClientTimeoutError) {
    return {
      exitCode: EXIT.failure,
      code: error.code,
      message: `${endpoint} did not answer: ${error.message}`,
      hint: `the server may be stuck or slow; check its console, or allow more time with --timeout ${error.timeoutMs * 3}`,
    };
  }
  if (error instanceof ConnectionClosedError) {
    return { exitCode: EXIT.failure, code: error.code, message: error.message, hint: 'the server may have crashed or dropped the connection; check its console' };
  }
  if (error instanceof ProtocolError) {
    return {
      exitCode: EXIT.failure,
      code: error.code,
      message: `${error.message} — bytes ${previewBytes(error.bytes)}`,
      hint: error.connectionUsable
        ? 'the reply does not match the protocol; rerun with --lenient to accept it with warnings'
        : 'the server sent bytes that are not a JSON object; see them with --json',
      requirements: error.requirements,
      issues: error.issues,
      bytes: bytesField(error.bytes),
    };
  }
  if (error instanceof InstaNetClientError) {
    return { exitCode: EXIT.failure, code: error.code, message: error.message, hint: 'see the message above' };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { exitCode: EXIT.failure, code: 'INSTANET_ERR_INTERNAL', message: `unexpected error: ${message}`, hint: 'this is a bug in the kit; please report it' };
}

export function failureLine(failure: Failure): string {
  return `instanet client: ${failure.message} — ${failure.hint}`;
}
