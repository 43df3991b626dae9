import net from 'node:net';

/**
 * Whether something accepts a TCP connection on host:port within timeoutMs. Used to wait for a
 * started server to listen (the spawned target and the grader's sandboxed server): a refused or
 * silent port is simply "not yet", never an error.
 */
export function canConnect(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
