import { connect, type Socket } from 'node:net';

// Opening a TCP connection with a bound on the wait. Node's connect has no timeout of its own, and
// a server that never accepts would otherwise hang the caller for the OS's SYN retries (minutes).
// The failures stay the caller's: each tool names them in its own typed errors.

export interface DialOptions {
  host: string;
  port: number;
  timeoutMs: number;
  /** Keep the writable side open after the peer's FIN (a replay may still have bytes to send). */
  allowHalfOpen?: boolean;
}

export interface DialFailures {
  /** No connection within `timeoutMs`. */
  timeout(): Error;
  /** The socket failed before it connected (ECONNREFUSED, ENOTFOUND, ...). */
  error(error: NodeJS.ErrnoException): Error;
}

/** The connected socket; on failure the socket is destroyed and the promise rejects with `fail`'s error. */
export function dialTcp(options: DialOptions, fail: DialFailures): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: options.host, port: options.port, allowHalfOpen: options.allowHalfOpen ?? false });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(fail.timeout());
    }, options.timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      // From here on the owner's listeners see the socket's errors.
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(fail.error(error));
    });
  });
}
