import { PassThrough } from 'node:stream';
import type { CliIo } from '../cli/io.ts';

// A CliIo over strings, for running the CLI and the shell in-process.

export interface MemoryIo {
  io: Omit<CliIo, 'exit' | 'setExitCode'>;
  stdin: PassThrough;
  out(): string;
  err(): string;
  /** Resolves once stdout contains `text` (bounded by timeoutMs). */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
}

export function memoryIo(options: { cwd?: string; env?: Record<string, string | undefined> } = {}): MemoryIo {
  let out = '';
  let err = '';
  const stdin = new PassThrough();
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((l) => l());
  const io: MemoryIo['io'] = {
    stdout: { write: (s: string) => ((out += s), changed(), true) },
    stderr: { write: (s: string) => ((err += s), changed(), true) },
    stdin,
    interactive: false,
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
  };
  const matches = (text: string | RegExp) => (typeof text === 'string' ? out.includes(text) : text.test(out));
  return {
    io,
    stdin,
    out: () => out,
    err: () => err,
    waitFor: (text, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        if (matches(text)) return resolve();
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${String(text)} in output:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const check = () => {
          if (!matches(text)) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
      }),
  };
}
