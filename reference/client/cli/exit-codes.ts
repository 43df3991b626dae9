// The client's exit codes, documented in its --help: scripts branch on them.
export const EXIT = {
  ok: 0,
  /** The server answered {"status": "error"}. */
  serverError: 1,
  /** Bad command line: unknown command, missing argument, unreadable file. */
  usage: 2,
  /** No connection, timeout, connection lost, or bytes that break the protocol. */
  failure: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
