import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../../reference/server/index.ts';
import { TargetConfigError, type Target, type TargetInstance } from './target.ts';

/**
 * The reference's idle limit (LIM-2) when the suite runs against it. The server's own default, 30 s,
 * suits real clients but would make case 7.9.1 (a half-sent request left idle) wait 30 s. 1 s stays
 * far above every pause the suite makes on purpose in the middle of a request (the longest is 150 ms,
 * 3.3.2; 1.1.2 leaves half a request open for one login and one request on another connection, a few
 * ms on loopback), and 7.9.1 waits for the close for 2.5 s, which leaves 1.5 s of slack on a busy machine.
 */
export const SUITE_IDLE_TIMEOUT_MS = 1000;

export interface ReferenceTargetOptions {
  /** 'strict' (default) enforces every rule of the spec; 'course' behaves like the course's starter. */
  mode?: 'strict' | 'course';
  /**
   * LIM-2: how long a half-sent request may sit without a new byte before the server drops it.
   * Defaults to SUITE_IDLE_TIMEOUT_MS; above 2500 ms case 7.9.1 no longer passes.
   */
  idleTimeoutMs?: number;
}

/**
 * The kit's own reference server, run in this process with a fresh temporary data folder per start.
 * Its profile follows its mode, so a strict reference is held to every case at its declared level.
 */
export function referenceTarget(options: ReferenceTargetOptions = {}): Target {
  const mode = options.mode ?? 'strict';
  const idleTimeoutMs = options.idleTimeoutMs ?? SUITE_IDLE_TIMEOUT_MS;
  // Checked here rather than at start(), so a bad value is a usage error, not a failed case group.
  if (!Number.isInteger(idleTimeoutMs) || idleTimeoutMs < 1) {
    throw new TargetConfigError(`idleTimeoutMs must be a positive integer (milliseconds), got ${String(options.idleTimeoutMs)}`);
  }
  return {
    description: `built-in reference server (${mode} mode)`,
    profile: mode,
    async start(): Promise<TargetInstance> {
      const root = await mkdtemp(path.join(os.tmpdir(), 'instanet-reference-'));
      const dataDir = path.join(root, 'data');
      try {
        const server = await startServer({ host: '127.0.0.1', port: 0, dataDir, mode, idleTimeoutMs, seedUsers: 6, logger: false });
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
