import type { ChildProcessByStdio } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { spawnGroup } from '../process/process-groups.ts';

// `instanet` as a student runs it, in its own process group (as a shell's foreground job), so a test
// can send it Ctrl-C and kill whatever is left on every path. Every wait has a timeout.

export const KIT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(KIT, 'harness/cli/instanet.mjs');

export interface CliProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  stdout(): string;
  stderr(): string;
  /** The exit code (or signal name); 'still running' when `timeoutMs` passed first. */
  exit(timeoutMs: number): Promise<number | string>;
  /** Resolves once stdout matches; throws (with the output so far) after timeoutMs. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** SIGKILL to the whole group; safe to call when it is gone. */
  kill(): void;
}

export function startCli(args: readonly string[], env: Record<string, string> = {}): CliProcess {
  const group = spawnGroup([process.execPath, CLI, ...args], { cwd: KIT, env: { NO_COLOR: '1', ...env } });
  const child = group.child as ChildProcessByStdio<null, Readable, Readable>;
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (err += t));
  const exited = group.exited.then((info) => info.code ?? info.signal ?? 'unknown');
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exit: (timeoutMs) => Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running'), timeoutMs).unref())]),
    waitForOutput: async (pattern, timeoutMs) => {
      const end = Date.now() + timeoutMs;
      while (!pattern.test(out)) {
        if (Date.now() > end || child.exitCode !== null) throw new Error(`no ${pattern} in output:\n${out}\n--- stderr ---\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    kill: () => {
      group.signal('SIGKILL');
      group.release();
    },
  };
}

/** Runs to the end (bounded) and returns code and output. */
export async function runCli(args: readonly string[], timeoutMs: number, env: Record<string, string> = {}): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const cli = startCli(args, env);
  try {
    const code = await cli.exit(timeoutMs);
    return { code, stdout: cli.stdout(), stderr: cli.stderr() };
  } finally {
    cli.kill();
  }
}

/** Pids whose command line mentions `text` (a temporary folder of the run), other than ours. */
export async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => '');
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cwd.startsWith(text) || cmdline.includes(text)) pids.push(Number(entry));
  }
  return pids;
}

/**
 * Live members of a process group. Zombies are dead and left out: a helper the CLI started (tsx's
 * esbuild service) is reparented to PID 1 when the CLI exits, and this container's init reaps late.
 */
export async function liveGroupMembers(pgid: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command (which may hold spaces) start after the last ')': state ppid pgrp.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') pids.push(Number(entry));
  }
  return pids;
}
