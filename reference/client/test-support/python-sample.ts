import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../harness/process/free-port.ts';
import { canConnect } from '../../../harness/process/can-connect.ts';

// Runs a fixtures/submissions sample in a temporary copy (it writes into its own data/), on a port
// the OS picked, and tears the whole process group down afterwards.

const SUBMISSIONS = fileURLToPath(new URL('../../../fixtures/submissions/', import.meta.url));

export interface RunningSample {
  host: string;
  port: number;
  dir: string;
  output(): string;
  stop(): Promise<void>;
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  });
}

/** Retries on a fresh port when the sample dies at once (another test may have taken the port first). */
export async function startPythonSample(name = 'correct', readyTimeoutMs = 15_000): Promise<RunningSample> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(name, readyTimeoutMs);
    } catch (error) {
      if (attempt >= 3 || !(error instanceof SampleExitedError)) throw error;
    }
  }
}

class SampleExitedError extends Error {}

async function startOnce(name: string, readyTimeoutMs: number): Promise<RunningSample> {
  const dir = mkdtempSync(path.join(tmpdir(), `instanet-client-${name}-`));
  cpSync(path.join(SUBMISSIONS, name), dir, { recursive: true });
  const port = await freePort();
  const child = spawn('python3', ['server.py', '--port', String(port)], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    await kill(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (!(await canConnect(port, 1000))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const exited = child.exitCode !== null;
      await stop();
      const message = `sample ${name} did not start listening on ${port}: ${output}`;
      throw exited ? new SampleExitedError(message) : new Error(message);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { host: '127.0.0.1', port, dir, output: () => output, stop };
}
