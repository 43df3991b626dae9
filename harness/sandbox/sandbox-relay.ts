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
  /**
   * The client port the server inside sees for a connection made to the relay from `clientPort`
   * (the sandbox half dials from a port of its own); undefined until that connection was forwarded,
   * or when the sandbox half could not tell.
   */
  seenAs(clientPort: number): number | undefined;
  close(): Promise<void>;
}

export interface OutboundRelay {
  close(): Promise<void>;
}

/** What the sandbox half sends ahead of the server's bytes: a status byte, then (when READY) the port it dialled from. */
const PREAMBLE_BYTES = 3;

interface Inside {
  socket: net.Socket;
  /** The client port the server sees for this connection; 0 when the sandbox half could not tell. */
  seenAs: number;
  /** Server bytes that came with the preamble. */
  rest: Buffer;
}

/**
 * Opens the relay's Unix socket and resolves once the sandbox half said whether the server accepted,
 * or the sandbox is gone; a readiness probe also gives up after `timeoutMs`.
 */
function dialInside(socketPath: string, timeoutMs?: number): Promise<Inside | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ path: socketPath, allowHalfOpen: true });
    let got = Buffer.alloc(0);
    const done = (value: Inside | undefined) => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      if (!value) socket.destroy();
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got[0] !== READY) return done(undefined);
      if (got.length < PREAMBLE_BYTES) return;
      socket.pause();
      done({ socket, seenAs: got.readUInt16BE(1), rest: got.subarray(PREAMBLE_BYTES) });
    };
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => done(undefined), timeoutMs);
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
export function listenInbound(options: { port: number; socketPath: string; host?: string }): Promise<InboundRelay> {
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const seen = new SeenPorts();
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    track(client);
    client.on('error', () => undefined);
    const clientPort = client.remotePort;
    // No clock of its own: a server slow to accept (its backlog full, its box starved) is the case's
    // to judge in the server's own time; a reset after a wall-clock wait here was a verdict on it.
    void dialInside(options.socketPath).then((inside) => {
      // Nothing listens inside (or the sandbox is gone): a reset is the closest to "refused".
      if (!inside) return void reset(client);
      // Recorded before a byte of the server's is passed on: whoever reads the server's lines about
      // this connection already knows which port they name.
      if (clientPort !== undefined && inside.seenAs > 0) seen.set(clientPort, inside.seenAs);
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
        seenAs: (clientPort) => seen.get(clientPort),
        close: () => closeAll(server, sockets),
      });
    });
  });
}

/**
 * Client port on the host -> the port the server inside sees, for the most recent connections (an
 * instance serves a few hundred; the bound only keeps a server that is never restarted small). A
 * port the host reuses is overwritten by its newer connection.
 */
class SeenPorts {
  static readonly MAX = 4096;
  readonly #map = new Map<number, number>();

  set(clientPort: number, seenAs: number): void {
    this.#map.delete(clientPort);
    this.#map.set(clientPort, seenAs);
    if (this.#map.size > SeenPorts.MAX) this.#map.delete(this.#map.keys().next().value as number);
  }

  get(clientPort: number): number | undefined {
    return this.#map.get(clientPort);
  }
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
