import { createHash } from 'node:crypto';
import type { TranscriptEvent } from '../transcript/format.ts';
import { TranscriptRecorder, type ConnectionRecorder } from '../transcript/recorder.ts';

// The per-case transcript: every byte each way, decoded into frames by the transcript recorder
// (the same codec and image rule as every other transcript of the kit), with the time since the
// case started. Shaped writes add a note, so a report shows how a message was cut.

export type SentKind = 'json' | 'raw' | 'image-length' | 'image-bytes';

/**
 * Undecodable bytes kept per raw event of a case transcript. Every case's transcript goes into
 * report.json and report.html, so an oversize request (LIM-1, 8 MiB) keeps its first 64 KiB plus
 * its length and sha256, not a megabyte.
 */
export const CASE_RAW_MAX_BYTES = 64 * 1024;

/**
 * What one case's transcript may hold, in bytes of its JSON lines: per connection and direction, and
 * for the whole case. A server sending 8 MB of `{}` after each reply made millions of events per
 * case (3.3 GB in the grader, then `Invalid string length` writing the report); past a cap the bytes
 * are counted, decoded only to count frames, and a note says "N bytes in M frames not recorded".
 * Far above an honest case: its replies are a few KiB, an 8 MiB request keeps 64 KiB (above). Every
 * case's transcript stays in memory until the hand-in's report is written: 72 cases of a flooding
 * server at 512 KiB each is what the grader holds for it (2 MiB a case took it to 700 MiB).
 */
export const CASE_CONNECTION_MAX_BYTES = 128 * 1024;
export const CASE_MAX_BYTES = 512 * 1024;
/** Recording problems kept per case: a broken recorder must not grow a list per chunk of a flood. */
const MAX_PROBLEMS = 20;

export class WireLog {
  readonly #recorder: TranscriptRecorder;
  readonly problems: string[] = [];
  /** Local ports of the case's connections: a server that logs client addresses names them. */
  readonly clientPorts = new Set<number>();

  constructor(source = 'scenario', target?: string) {
    this.#recorder = new TranscriptRecorder(
      { source, ...(target ? { target } : {}) },
      { rawMaxBytes: CASE_RAW_MAX_BYTES, maxRecordedBytes: CASE_CONNECTION_MAX_BYTES, maxTotalRecordedBytes: CASE_MAX_BYTES },
    );
  }

  get events(): TranscriptEvent[] {
    return this.#recorder.events;
  }

  // A transcript is evidence, not the check: a recording problem must never change a verdict, so
  // it is noted in the transcript and the case goes on.
  #safely(conn: string, what: string, action: (c: ConnectionRecorder) => void): void {
    try {
      action(this.#recorder.connection(conn));
    } catch (error) {
      if (this.problems.length >= MAX_PROBLEMS) return;
      const message = `transcript: could not record ${what}: ${(error as Error).message}`;
      this.problems.push(message);
      try {
        this.#recorder.connection(conn).note(message);
      } catch {
        // nothing more to do
      }
    }
  }

  connect(conn: string, note?: string): void {
    this.#safely(conn, 'connect', (c) => c.connected(note));
  }

  note(conn: string, note: string, requirements?: string[]): void {
    this.#safely(conn, 'note', (c) => c.note(note, requirements));
  }

  close(conn: string, dir: 'c2s' | 's2c', note?: string): void {
    this.#safely(conn, 'close', (c) => c.closed(dir, note));
  }

  timeout(conn: string, note: string): void {
    this.#safely(conn, 'timeout', (c) => c.timeout(note));
  }

  sent(conn: string, _kind: SentKind, bytes: Buffer, note?: string): void {
    this.#safely(conn, 'sent bytes', (c) => {
      if (c.isClosed) return;
      if (note) c.note(note);
      c.sent(bytes);
    });
  }

  received(conn: string, chunk: Buffer): void {
    this.#safely(conn, 'received bytes', (c) => c.received(chunk));
  }

  /** Flushes half-read frames of every connection into raw events. */
  finish(reason: string): void {
    try {
      this.#recorder.finish(reason);
    } catch (error) {
      this.problems.push(`transcript: finish failed: ${(error as Error).message}`);
    }
  }
}

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
