import { watch, type FSWatcher } from 'node:fs';
import { killTrackedGroups } from '../../process/process-groups.ts';
import { EXIT, exitCodeOf, type ExitCode } from '../exit-codes.ts';

// The student's edit-run loop: run once, then again whenever one of the watched files changes.
// Editors save in bursts (write, rename, chmod), so changes are debounced; runs never overlap: a
// change during a run queues exactly one more. The folder is watched, not the files, because many
// editors save by replacing the file, which ends a watch on the old one.

export interface WatchOptions {
  /** The folder holding the files. */
  dir: string;
  /** File names (in dir) whose change starts a run. */
  files: readonly string[];
  debounceMs?: number;
  /** One run; resolves to its exit code. Aborted by `signal` on Ctrl-C. */
  run: (signal: AbortSignal) => Promise<number>;
  /** Aborted on Ctrl-C / SIGTERM (abort-on-signals.ts): the loop stops and resolves EXIT.interrupted. */
  signal: AbortSignal;
  write: (text: string) => void;
  /** A run that throws: the message, one line (the loop keeps watching). */
  onError: (error: unknown) => void;
  /** Longest wait for an aborted run to wind down before its processes are killed outright. */
  stopGraceMs?: number;
}

const verdictWord = (code: number) =>
  code === EXIT.ok ? 'all passed' : code === EXIT.failed ? 'checks failed' : code === EXIT.interrupted ? 'interrupted' : `exit ${code}`;

export async function watchLoop(options: WatchOptions): Promise<ExitCode> {
  const debounceMs = options.debounceMs ?? 300;
  const { signal, write } = options;
  let runs = 0;
  let queued: string | undefined = 'first run';
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;
  let watcher: FSWatcher | undefined;
  let failed: unknown;
  let finish: (code: ExitCode) => void = () => undefined;
  const finished = new Promise<ExitCode>((resolve) => (finish = resolve));

  const runQueued = async () => {
    while (queued !== undefined && !signal.aborted) {
      const why = queued;
      queued = undefined;
      runs += 1;
      write(`\n── run ${runs} · ${why} · ${new Date().toTimeString().slice(0, 8)} ──\n`);
      let code: number;
      try {
        code = await options.run(signal);
      } catch (error) {
        // The first run's error is a setup mistake (a missing folder): there is nothing to watch for.
        if (runs === 1) throw error;
        options.onError(error);
        code = exitCodeOf(error);
      }
      if (signal.aborted) break;
      write(`── run ${runs}: ${verdictWord(code)}; watching ${options.files.join(', ')} in ${options.dir} (Ctrl-C to stop) ──\n`);
    }
  };
  const start = () => {
    if (current || signal.aborted) return;
    current = runQueued()
      .catch((error: unknown) => {
        stop();
        failed = error;
        finish(exitCodeOf(error));
      })
      .finally(() => {
        current = undefined;
        if (queued !== undefined && !signal.aborted) start();
      });
  };
  const stop = () => {
    if (timer) clearTimeout(timer);
    watcher?.close();
    watcher = undefined;
  };

  watcher = watch(options.dir, { persistent: true }, (_event, name) => {
    const file = name?.toString();
    if (!file || !options.files.includes(file) || signal.aborted) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      // A change while a run is going queues one more run; further changes fold into it.
      queued = `${file} changed`;
      start();
    }, debounceMs);
  });
  watcher.on('error', (error) => options.onError(error));

  const onAbort = () => {
    stop();
    const running = current;
    if (!running) {
      finish(EXIT.interrupted);
      return;
    }
    // The run was aborted with the same signal and cleans up after itself; if it does not end in
    // time, its process groups are killed so nothing outlives the command.
    const grace = setTimeout(() => {
      killTrackedGroups();
      finish(EXIT.interrupted);
    }, options.stopGraceMs ?? 15_000);
    void running.finally(() => {
      clearTimeout(grace);
      finish(EXIT.interrupted);
    });
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });

  start();
  const code = await finished;
  stop();
  if (failed !== undefined) throw failed;
  return code;
}
