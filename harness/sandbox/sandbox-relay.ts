import { chmod } from 'node:fs/promises';
import net from 'node:net';

// The host half of the relays through an isolated sandbox's network namespace (the sandbox half is
// python/sandbox_launcher.py). The harness keeps talking TCP to 127.0.0.1:port; these listeners turn
// that into connections on the relay's Unix socket, and back. Half-closes travel as half-closes and
// resets as resets: conformance cases check how a server reacts to both.

const READY = 1;

export interface InboundRelay {
  readonly port: number;
  /** Whether the server inside accepted a connection made through the relay (readiness). */
  probe(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface OutboundRelay {
  close(): Promise<void>;
}

/** Opens the relay's Unix socket and resolves with what the sandbox half sent first (its status byte). */
function dialInside(socketPath: string, timeoutMs: number): Promise<{ socket: net.Socket; rest: Buffer } | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ path: socketPath, allowHalfOpen: true });
    const done = (value: { socket: net.Socket; rest: Buffer } | undefined) => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      if (!value) socket.destroy();
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      socket.pause();
      done(chunk[0] === READY ? { socket, rest: chunk.subarray(1) } : undefined);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('data', onData);
    socket.once('error', () => done(undefined));
    socket.once('end', () => done(undefined));
  });
}

/** A TCP peer sees a reset; a Unix socket has none, so it is just closed. */
function reset(socket: net.Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

// pipe() forwards an end as an end (both sockets allow half-open), and each socket closes once both
// of its directions are done; only an abrupt close is passed on at once, as a reset.
function splice(a: net.Socket, b: net.Socket): void {
  a.pipe(b);
  b.pipe(a);
  a.on('error', () => undefined);
  b.on('error', () => undefined);
  a.once('close', (hadError) => hadError && reset(b));
  b.once('close', (hadError) => hadError && reset(a));
}

/** A TCP listener on host:port (port 0: the OS picks) forwarding every connection into the sandbox. */
export function listenInbound(options: { port: number; socketPath: string; host?: string; connectTimeoutMs?: number }): Promise<InboundRelay> {
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    track(client);
    client.on('error', () => undefined);
    void dialInside(options.socketPath, options.connectTimeoutMs ?? 10_000).then((inside) => {
      // Nothing listens inside (or the sandbox is gone): a reset is the closest to "refused".
      if (!inside) return void reset(client);
      track(inside.socket);
      if (client.destroyed) return void inside.socket.destroy();
      if (inside.rest.length > 0) client.write(inside.rest);
      splice(client, inside.socket);
      client.resume();
      inside.socket.resume();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.removeListener('error', reject);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      resolve({
        port,
        probe: async (timeoutMs) => {
          const inside = await dialInside(options.socketPath, timeoutMs);
          inside?.socket.destroy();
          return inside !== undefined;
        },
        close: () => closeAll(server, sockets),
      });
    });
  });
}

/** A Unix listener at socketPath forwarding every connection from inside the sandbox to host:port. */
export function listenOutbound(options: { socketPath: string; port: number; host?: string }): Promise<OutboundRelay> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (inside) => {
    sockets.add(inside);
    inside.once('close', () => sockets.delete(inside));
    const upstream = net.connect({ host: options.host ?? '127.0.0.1', port: options.port, allowHalfOpen: true });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    splice(inside, upstream);
    upstream.once('connect', () => inside.resume());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => {
      server.removeListener('error', reject);
      // Connecting to a Unix socket needs write permission on it, and the sandbox runs as another uid;
      // its folder is the sandbox's own, so nobody else can reach it.
      void chmod(options.socketPath, 0o666).then(
        () => resolve({ close: () => closeAll(server, sockets) }),
        (error: Error) => {
          server.close();
          reject(error);
        },
      );
    });
  });
}

function closeAll(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  sockets.clear();
  return new Promise((resolve) => server.close(() => resolve()));
}
