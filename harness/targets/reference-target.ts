import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../../reference/server/index.ts';
import type { Target, TargetInstance } from './target.ts';

export interface ReferenceTargetOptions {
  /** 'strict' (default) enforces every rule of the spec; 'course' behaves like the course's starter. */
  mode?: 'strict' | 'course';
}

/**
 * The kit's own reference server, run in this process with a fresh temporary data folder per start.
 * Its profile follows its mode, so a strict reference is held to every case at its declared level.
 */
export function referenceTarget(options: ReferenceTargetOptions = {}): Target {
  const mode = options.mode ?? 'strict';
  return {
    description: `built-in reference server (${mode} mode)`,
    profile: mode,
    async start(): Promise<TargetInstance> {
      const root = await mkdtemp(path.join(os.tmpdir(), 'instanet-reference-'));
      const dataDir = path.join(root, 'data');
      try {
        const server = await startServer({ host: '127.0.0.1', port: 0, dataDir, mode, seedUsers: 6, logger: false });
        let stopped = false;
        return {
          host: server.host,
          port: server.port,
          dataDir: server.dataDir,
          output: () => ({ stdout: '', stderr: '' }),
          async stop() {
            if (stopped) return { status: 'ok' };
            stopped = true;
            try {
              await server.close();
              return { status: 'ok' };
            } finally {
              await rm(root, { recursive: true, force: true });
            }
          },
        };
      } catch (error) {
        await rm(root, { recursive: true, force: true });
        throw error;
      }
    },
  };
}
