import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer } from '../../server/index.ts';

// The reference server on a fresh temporary data folder (user1..user6, password 123) and an OS port.

export interface TestReferenceServer {
  server: RunningServer;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startReferenceServer(options: { mode?: 'strict' | 'course'; port?: number; dataDir?: string } = {}): Promise<TestReferenceServer> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'instanet-client-ref-'));
  const server = await startServer({ host: '127.0.0.1', port: options.port ?? 0, dataDir, mode: options.mode ?? 'strict', seedUsers: 6, logger: false });
  return {
    server,
    port: server.port,
    dataDir,
    stop: async () => {
      try {
        await server.close();
      } finally {
        if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
