import net from 'node:net';

// A scripted TCP server for the SDK's failure paths: each accepted connection is handed to the
// test's handler, which decides what bytes (or silence, or a close) the client gets.

export interface FakeServer {
  port: number;
  close(): Promise<void>;
}

export async function startFakeServer(onConnection: (socket: net.Socket) => void): Promise<FakeServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Calls `onRequest` with each complete JSON object the client sends (the fake's requests are small and never pipelined). */
export function onJsonRequests(socket: net.Socket, onRequest: (request: Record<string, unknown>, raw: string) => void): void {
  let buffer = '';
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    try {
      const request = JSON.parse(buffer) as Record<string, unknown>;
      const raw = buffer;
      buffer = '';
      onRequest(request, raw);
    } catch {
      // incomplete: wait for more
    }
  });
}

/** A port nothing listens on (bound, then released), for connection-refused tests. */
export async function freePortForRefusal(): Promise<number> {
  const fake = await startFakeServer(() => undefined);
  const { port } = fake;
  await fake.close();
  return port;
}
