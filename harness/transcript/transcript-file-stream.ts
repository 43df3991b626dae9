import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TranscriptRecorder } from './recorder.ts';

/**
 * Appends a recorder's lines to a file as they are recorded: a flood is on disk, not in memory, and
 * a crash loses at most the last line. Each line goes out in one write, so the file is always a
 * valid transcript up to its last complete line.
 */
export class TranscriptFileStream {
  readonly file: string;
  readonly #out: WriteStream;
  readonly #unsubscribe: () => void;
  #failure: Error | undefined;

  private constructor(file: string, out: WriteStream, recorder: TranscriptRecorder) {
    this.file = file;
    this.#out = out;
    out.on('error', (error) => {
      this.#failure ??= error;
    });
    this.#unsubscribe = recorder.stream((line) => {
      if (!this.#failure) out.write(`${line}\n`);
    });
  }

  /** Creates (or truncates) `file` and writes the header now, so a bad path fails at start-up. */
  static async open(file: string, recorder: TranscriptRecorder): Promise<TranscriptFileStream> {
    await mkdir(dirname(file), { recursive: true });
    const out = createWriteStream(file, { flags: 'w' });
    await new Promise<void>((resolve, reject) => {
      out.once('open', () => {
        out.off('error', reject);
        resolve();
      });
      out.once('error', reject);
    });
    return new TranscriptFileStream(file, out, recorder);
  }

  /** Bytes handed to the stream but not yet on disk. */
  get pending(): number {
    return this.#out.writableLength;
  }

  /** The first write error, if any (the file then ends at the last line written before it). */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Stops listening, flushes and closes; rejects with the first write error. */
  async close(): Promise<void> {
    this.#unsubscribe();
    if (!this.#out.closed) {
      const finished = new Promise<void>((resolve) => this.#out.once('close', () => resolve()));
      this.#out.end();
      await finished;
    }
    if (this.#failure) throw this.#failure;
  }
}
