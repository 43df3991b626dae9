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
  const loop = new WatchLoop(options);
  loop.watch();
  loop.stopOnAbort();
  loop.start();
  return loop.result();
}

class WatchLoop {
  readonly #options: WatchOptions;
  #runs = 0;
  /** Why the next run starts; undefined while no run is due. */
  #queued: string | undefined = 'first run';
  #debounce: NodeJS.Timeout | undefined;
  #current: Promise<void> | undefined;
  #watcher: FSWatcher | undefined;
  #failed: unknown;
  #finish: (code: ExitCode) => void = () => undefined;
  readonly #finished = new Promise<ExitCode>((resolve) => (this.#finish = resolve));

  constructor(options: WatchOptions) {
    this.#options = options;
  }

  watch(): void {
    const { dir, files, signal } = this.#options;
    this.#watcher = watch(dir, { persistent: true }, (_event, name) => {
      const file = name?.toString();
      if (!file || !files.includes(file) || signal.aborted) return;
      if (this.#debounce) clearTimeout(this.#debounce);
      this.#debounce = setTimeout(() => {
        // A change while a run is going queues one more run; further changes fold into it.
        this.#queued = `${file} changed`;
        this.start();
      }, this.#options.debounceMs ?? 300);
    });
    this.#watcher.on('error', (error) => this.#options.onError(error));
  }

  stopOnAbort(): void {
    const { signal } = this.#options;
    if (signal.aborted) this.#onAbort();
    else signal.addEventListener('abort', () => this.#onAbort(), { once: true });
  }

  /** Starts the queued runs unless some are going already (they take the queue as they finish). */
  start(): void {
    if (this.#current || this.#options.signal.aborted) return;
    this.#current = this.#runQueued()
      .catch((error: unknown) => {
        this.#stop();
        this.#failed = error;
        this.#finish(exitCodeOf(error));
      })
      .finally(() => {
        this.#current = undefined;
        if (this.#queued !== undefined && !this.#options.signal.aborted) this.start();
      });
  }

  /** Resolves on Ctrl-C (EXIT.interrupted); throws what made the first run fail. */
  async result(): Promise<ExitCode> {
    const code = await this.#finished;
    this.#stop();
    if (this.#failed !== undefined) throw this.#failed;
    return code;
  }

  async #runQueued(): Promise<void> {
    const { signal, write, files, dir } = this.#options;
    while (this.#queued !== undefined && !signal.aborted) {
      const why = this.#queued;
      this.#queued = undefined;
      const code = await this.#runOnce(why);
      if (signal.aborted) break;
      write(`── run ${this.#runs}: ${verdictWord(code)}; watching ${files.join(', ')} in ${dir} (Ctrl-C to stop) ──\n`);
    }
  }

  async #runOnce(why: string): Promise<number> {
    this.#runs += 1;
    this.#options.write(`\n── run ${this.#runs} · ${why} · ${new Date().toTimeString().slice(0, 8)} ──\n`);
    try {
      return await this.#options.run(this.#options.signal);
    } catch (error) {
      // The first run's error is a setup mistake (a missing folder): there is nothing to watch for.
      if (this.#runs === 1) throw error;
      this.#options.onError(error);
      return exitCodeOf(error);
    }
  }

  #stop(): void {
    if (this.#debounce) clearTimeout(this.#debounce);
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #onAbort(): void {
    this.#stop();
    const running = this.#current;
    if (!running) {
      this.#finish(EXIT.interrupted);
      return;
    }
    // The run was aborted with the same signal and cleans up after itself; if it does not end in
    // time, its process groups are killed so nothing outlives the command.
    const grace = setTimeout(() => {
      killTrackedGroups();
      this.#finish(EXIT.interrupted);
    }, this.#options.stopGraceMs ?? 15_000);
    void running.finally(() => {
      clearTimeout(grace);
      this.#finish(EXIT.interrupted);
    });
  }
}
