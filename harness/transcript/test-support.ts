import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../reference/server/index.ts';

// Shared by the transcript tests: a reference server on a fresh temporary data folder, and a
// bounded TCP connect.

export interface FreshServer {
  server: RunningServer;
  close(): Promise<void>;
}

export async function freshServer(mode: 'strict' | 'course' = 'strict'): Promise<FreshServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'instanet-transcript-test-'));
  const server = await startServer({ dataDir, port: 0, host: '127.0.0.1', mode, logger: false });
  return {
    server,
    async close() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function connectTo(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${host}:${port} timed out`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Polls `done` every 5 ms until it holds or `timeoutMs` passes. */
export async function until(done: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
