import { dialTcp } from '../../spec/codec/index.ts';

/**
 * Whether something accepts a TCP connection on host:port within timeoutMs. Used to wait for a
 * started server to listen (the spawned target and the grader's sandboxed server): a refused or
 * silent port is simply "not yet", never an error.
 */
export async function canConnect(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<boolean> {
  try {
    const socket = await dialTcp({ host, port, timeoutMs }, { timeout: () => new Error('timeout'), error: (e) => e });
    socket.destroy();
    return true;
  } catch {
    return false;
  }
}
