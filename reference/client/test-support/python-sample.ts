import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnedTarget } from '../../../harness/targets/spawned-target.ts';

// Runs a fixtures/submissions sample the way `instanet test --server` does (the kit's one launcher):
// a temporary copy with the handout's users, a port the OS picked, the whole process tree stopped
// afterwards, and a retry on a new port when another test took the first one.

const SUBMISSIONS = fileURLToPath(new URL('../../../fixtures/submissions/', import.meta.url));

export interface RunningSample {
  host: string;
  port: number;
  /** The temporary copy the sample runs in (its data/ is the server's). */
  dir: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startPythonSample(name = 'correct', readyTimeoutMs = 15_000): Promise<RunningSample> {
  const target = spawnedTarget({ command: 'python3 server.py --port {port}', cwd: path.join(SUBMISSIONS, name), readyTimeoutMs });
  const instance = await target.start();
  return {
    host: instance.host,
    port: instance.port,
    dir: path.dirname(instance.dataDir ?? ''),
    output: () => {
      const { stdout, stderr } = instance.output();
      return stdout + stderr;
    },
    stop: async () => {
      await instance.stop();
    },
  };
}
