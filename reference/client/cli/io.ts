import type { Readable } from 'node:stream';

// Where a CLI run reads and writes. The real CLI passes the process's streams; tests pass buffers,
// so most of the CLI is tested in-process without spawning node.

export interface TextSink {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  stdin: Readable;
  /** Whether stdin/stdout are a terminal (prompts hide the password, the shell uses colour). */
  interactive: boolean;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Ends the run with this exit code; the process CLI exits, tests record it. */
  exit(code: number): never;
  setExitCode(code: number): void;
  /** Called when a client command starts running (the process CLI guards its pipes then). */
  begin?(): void;
}

export function processIo(): CliIo {
  let guarded = false;
  return {
    begin: () => {
      // `instanet client feed | head` closes the pipe early: that is the reader's choice, not a crash.
      if (guarded) return;
      guarded = true;
      for (const stream of [process.stdout, process.stderr]) {
        stream.on('error', (error: NodeJS.ErrnoException) => {
          if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
          throw error;
        });
      }
    },
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    env: process.env,
    cwd: process.cwd(),
    exit: (code) => process.exit(code),
    setExitCode: (code) => {
      process.exitCode = code;
    },
  };
}
