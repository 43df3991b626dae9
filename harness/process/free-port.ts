import net from 'node:net';

// Between handing a port out and the server binding it, the port is free again, and the OS may
// hand the very same port to the next caller: two servers started side by side would then fight
// over one port, and the loser's readiness probe would connect to the winner. Ports handed out by
// this process are therefore kept out of circulation for a while.
const RECENT_MS = 120_000;
const recent = new Map<number, number>();

function osPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** A TCP port the OS just handed out on 127.0.0.1 (closed again, so the server can bind it). */
export async function freePort(): Promise<number> {
  const now = Date.now();
  for (const [port, at] of recent) if (now - at > RECENT_MS) recent.delete(port);
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await osPort();
    if (!recent.has(port)) {
      recent.set(port, now);
      return port;
    }
  }
  throw new Error('could not find a TCP port that was not handed out recently');
}
