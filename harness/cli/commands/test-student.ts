import path from 'node:path';
import { UsageError } from '../../errors.ts';
import { TargetConfigError } from '../../targets/target.ts';
import { EXIT } from '../exit-codes.ts';
import { abortOnSignals } from './abort-on-signals.ts';
import { studentFolder } from './student-folder.ts';
import { runClientTest } from './test-client.ts';
import { runSubmissionTest } from './test-submission.ts';
import type { TestFlags } from './test.ts';
import { watchLoop } from './watch.ts';

// The student's side of `instanet test`: --client DIR (the client half), --submission DIR (both
// halves, graded), and --watch around either of them or around --server … --cwd DIR.

/** The files a student edits; a change to either can change both halves' verdicts. */
const WATCHED = ['socket_utils.py', 'server.py'] as const;

function checkCombination(flags: TestFlags): void {
  if (flags.client && flags.submission) throw new TargetConfigError('use either --client DIR or --submission DIR, not both (--submission runs the client half too)');
  const folder = flags.client ? '--client' : flags.submission ? '--submission' : undefined;
  if (folder && (flags.target || flags.server)) throw new TargetConfigError(`${folder} runs against the kit's own servers: leave out --target and --server`);
  if (folder && flags.list) throw new UsageError(`--list lists the server cases; it does not go with ${folder}`);
  if (flags.watch && !folder && !flags.server) {
    throw new UsageError('--watch re-runs when socket_utils.py or server.py changes: use it with --client DIR, --submission DIR or --server "…" --cwd DIR');
  }
}

/** `instanet test --server … --cwd DIR` itself, as one run of the loop. */
async function serverRun(flags: TestFlags): Promise<number> {
  const { runTestCommand } = await import('./test-action.ts');
  await runTestCommand(flags);
  const code = Number(process.exitCode ?? EXIT.ok);
  // Each run's verdict is reported by the loop; only the loop's end sets the command's status.
  process.exitCode = undefined;
  return code;
}

export async function runStudentTest(flags: TestFlags): Promise<void> {
  checkCombination(flags);
  if (!flags.watch) {
    if (flags.submission) {
      process.exitCode = await runSubmissionTest(flags, flags.submission);
      return;
    }
    if (flags.client) {
      const abort = abortOnSignals();
      try {
        process.exitCode = await runClientTest(flags, flags.client, abort.signal);
      } finally {
        abort.dispose();
      }
    }
    return;
  }
  const { client, submission } = flags;
  const dir = client
    ? (await studentFolder(client, '--client')).dir
    : submission
      ? (await studentFolder(submission, '--submission')).dir
      : path.resolve(flags.cwd);
  const run = client
    ? (signal: AbortSignal) => runClientTest(flags, client, signal)
    : submission
      ? () => runSubmissionTest(flags, submission)
      : () => serverRun(flags);
  const abort = abortOnSignals();
  const out = flags.json ? process.stderr : process.stdout;
  try {
    process.exitCode = await watchLoop({
      dir,
      files: WATCHED,
      run,
      signal: abort.signal,
      write: (text) => out.write(text),
      onError: (error) => process.stderr.write(`instanet test: ${error instanceof Error ? error.message : String(error)}\n`),
    });
    if (process.exitCode === EXIT.interrupted) process.stderr.write('instanet test --watch: stopped (Ctrl-C); no process of the kit is left running\n');
  } finally {
    abort.dispose();
  }
}
