import { statSync, type BigIntStats } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { replaceFile, syncDirectory } from './atomic-write.ts';
import { CorruptDataFileError, ShuttingDownError, StorageError } from '../errors.ts';

/** What a mutation tells the file: whether it changed the draft, and what to hand back to its caller. */
export interface Mutation<R> {
  readonly changed: boolean;
  readonly result: R;
}

/**
 * A mutation gets a shallow copy of the committed document (see JsonFileOptions.copy). It replaces
 * the entries it changes and never edits a nested object in place: committed objects are shared
 * with readers and with the encoder's cache. It checks everything BEFORE it changes the draft and
 * returns `changed: false` when it refuses: mutations of one batch share the draft, so a mutation
 * that throws half-way would leave its partial change in it.
 */
export type Mutator<T, R> = (draft: T) => Mutation<R>;

export interface JsonFileOptions<T> {
  /** Absolute path of the file. */
  readonly path: string;
  /** Name used in errors and logs, relative to the data folder (e.g. 'users/users.json'). */
  readonly label: string;
  /** The document when the file does not exist yet. */
  readonly empty: () => T;
  /** Structural check of a parsed document; returns a reason when it is unusable. */
  readonly check: (value: unknown) => string | undefined;
  /** A shallow copy to serve as the draft of a batch. */
  readonly copy: (value: T) => T;
  /** Serialises the whole document the way the course writes its files. */
  readonly encode: (value: T) => Buffer;
  /** Shared directory fsync (see DirectorySyncer); default: one fsync per write. */
  readonly syncDirectory?: (directory: string) => Promise<void>;
}

interface Pending<T> {
  readonly mutate: Mutator<T, unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome<T> = { pending: Pending<T>; ok: true; result: unknown } | { pending: Pending<T>; ok: false; error: unknown };

interface Committed<T> {
  readonly value: T;
  /** Identity of the bytes on disk the value came from; a change means someone else wrote the file. */
  readonly stamp: string;
}

/**
 * One JSON data file, read-modify-written whole (the course layout leaves no other choice).
 *
 * Writes are serialised per file and group-committed: every mutation that arrives while a write is
 * in flight joins the next batch, which costs one atomic write for the whole batch. That keeps the
 * DATA-2 guarantee (nothing lost under concurrency) without paying one fsync per request, and every
 * caller's promise settles only after its change is durable (DATA-4).
 *
 * Reads are served from the last committed document while the file on disk still has the same
 * identity (inode, size, mtime); an edit by someone else (an instructor fixing users.json by hand)
 * is picked up on the next request.
 */
export class JsonFile<T> {
  readonly path: string;
  readonly label: string;
  private readonly options: JsonFileOptions<T>;
  private committed: Committed<T> | undefined;
  private queue: Pending<T>[] = [];
  private draining: Promise<void> = Promise.resolve();
  private running = false;
  /** Batches written and renamed, waiting for their directory fsync before their callers hear back. */
  private readonly syncing = new Set<Promise<void>>();
  private closed = false;

  constructor(options: JsonFileOptions<T>) {
    this.options = options;
    this.path = options.path;
    this.label = options.label;
  }

  /** The committed document. Callers must treat it as read-only: it is shared. */
  async read(): Promise<T> {
    return (await this.load()).value;
  }

  /** Whether a file exists on disk for this document. */
  async exists(): Promise<boolean> {
    return currentStamp(this.path) !== undefined;
  }

  update<R>(mutate: Mutator<T, R>): Promise<R> {
    if (this.closed) return Promise.reject(new ShuttingDownError());
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ mutate, resolve: resolve as (value: unknown) => void, reject });
      // `running` is cleared synchronously with drain()'s last look at the queue, so a mutation
      // queued a moment later always finds either a live drain loop or none (then starts one).
      if (!this.running) {
        this.running = true;
        this.draining = this.drain();
      }
    });
  }

  /** Resolves once every accepted mutation has settled. */
  async idle(): Promise<void> {
    while (this.running || this.syncing.size > 0) {
      await this.draining;
      await Promise.all(this.syncing);
    }
  }

  /** Refuses new mutations; the ones already queued still complete. */
  close(): void {
    this.closed = true;
  }

  get busy(): boolean {
    return this.running || this.syncing.size > 0;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0);
        let base: T;
        try {
          base = (await this.load()).value;
        } catch (error) {
          for (const pending of batch) pending.reject(error);
          continue;
        }
        const draft = this.options.copy(base);
        const outcomes: Outcome<T>[] = [];
        let changed = false;
        for (const pending of batch) {
          try {
            const mutation = pending.mutate(draft);
            changed ||= mutation.changed;
            outcomes.push({ pending, ok: true, result: mutation.result });
          } catch (error) {
            outcomes.push({ pending, ok: false, error });
          }
        }
        if (!changed) {
          this.settle(outcomes, undefined);
          continue;
        }
        let durable: Promise<void>;
        try {
          ({ durable } = await this.write(draft));
        } catch (error) {
          // The disk may hold either version now; forget the cache and trust the disk next time.
          this.committed = undefined;
          this.settle(outcomes, new StorageError(this.label, { cause: error }));
          continue;
        }
        // The directory fsync of this batch overlaps the next batch's write; callers hear back only
        // once it is done (DATA-4). The next batch renames after this one, so order is kept.
        const settled = durable.then(
          () => this.settle(outcomes, undefined),
          (error: unknown) => this.settle(outcomes, new StorageError(this.label, { cause: error })),
        );
        this.syncing.add(settled);
        void settled.finally(() => this.syncing.delete(settled));
      }
    } finally {
      // Same synchronous step as the loop's last look at the queue: no mutation can slip between.
      this.running = false;
    }
  }

  /** Writes and renames the new document; resolves to the pending directory fsync that makes it durable. */
  private async write(value: T): Promise<{ durable: Promise<void> }> {
    const bytes = this.options.encode(value);
    let stats: BigIntStats;
    try {
      stats = await replaceFile(this.path, bytes);
    } catch (error) {
      // Someone removed the folder under us: recreate it once rather than fail the request.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdir(dirname(this.path), { recursive: true });
      stats = await replaceFile(this.path, bytes);
    }
    // Readers may see the renamed document a moment before its directory fsync completes; the
    // writers' replies still wait for it.
    this.committed = { value, stamp: stampOf(stats) };
    return { durable: (this.options.syncDirectory ?? syncDirectory)(dirname(this.path)) };
  }

  private settle(outcomes: Outcome<T>[], failure: unknown): void {
    for (const outcome of outcomes) {
      if (!outcome.ok) outcome.pending.reject(outcome.error);
      else if (failure !== undefined) outcome.pending.reject(failure);
      else outcome.pending.resolve(outcome.result);
    }
  }

  private async load(): Promise<Committed<T>> {
    const stamp = currentStamp(this.path);
    if (stamp === undefined) {
      // A missing file reads as empty; the first write creates it.
      return { value: this.options.empty(), stamp: 'missing' };
    }
    if (this.committed && this.committed.stamp === stamp) return this.committed;
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      throw new CorruptDataFileError(this.label, `cannot read: ${(error as Error).message}`, { cause: error });
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new CorruptDataFileError(this.label, `not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    const problem = this.options.check(value);
    if (problem !== undefined) throw new CorruptDataFileError(this.label, problem);
    this.committed = { value: value as T, stamp };
    return this.committed;
  }
}

function stampOf(info: BigIntStats): string {
  return `${info.ino}:${info.size}:${info.mtimeNs}`;
}

/**
 * A synchronous stat on purpose: it costs microseconds on a local disk, while an async one queues
 * in libuv's small thread pool behind the fsyncs of every write in flight and adds milliseconds to
 * each read.
 */
function currentStamp(path: string): string | undefined {
  const info = statSync(path, { bigint: true, throwIfNoEntry: false });
  return info === undefined ? undefined : stampOf(info);
}
