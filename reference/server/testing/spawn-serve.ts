import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Runs `instanet serve` as a child process, for the tests that need a real process to signal or
// kill. Resolves once the listening line is printed; every wait is bounded and the child is
// killed when anything goes wrong.

export const CLI_PATH = fileURLToPath(new URL('../../../harness/cli/instanet.mjs', import.meta.url));
const LISTENING = /listening on (\S+):(\d+)\s*$/m;

export interface ServeProcess {
  child: ChildProcess;
  port: number;
  output(): { stdout: string; stderr: string };
  /** Resolves with the exit code (or signal name) once the child is gone. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

export function spawnServe(args: string[], options: { cwd?: string; readyTimeoutMs?: number } = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI_PATH, 'serve', '--port', '0', ...args], {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not print its address in time\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.readyTimeoutMs ?? 20_000);
    const onData = () => {
      const match = LISTENING.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({
        child,
        port: Number(match[2]),
        output: () => ({ stdout, stderr }),
        exited,
        kill: (signal = 'SIGKILL') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        },
      });
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before listening\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
  });
}
