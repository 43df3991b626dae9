import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Reshape {
  /** Write at most this many bytes per write (fault injection: FRAME-2, IMG-2, IMG-3). */
  fragment?: number;
  /** Wait this long between two writes. */
  delayMs?: number;
}

/** Above this many queued bytes the source is paused, so a slow reshaped stream buffers boundedly. */
const HIGH_WATER = 1024 * 1024;

/**
 * Carries one direction of a proxied connection to its destination, unchanged or cut into
 * `fragment`-byte writes `delayMs` apart, in order, with backpressure to the source.
 */
export class Forwarder {
  readonly #source: Socket;
  readonly #dest: Socket;
  readonly #reshape: Reshape;
  readonly #queue: Buffer[] = [];
  #queued = 0;
  #pumping = false;
  #ending = false;
  #stopped = false;
  #awaitingDrain = false;
  #peakBuffered = 0;

  constructor(source: Socket, dest: Socket, reshape: Reshape) {
    this.#source = source;
    this.#dest = dest;
    this.#reshape = reshape;
  }

  get reshaping(): boolean {
    return (this.#reshape.fragment ?? 0) > 0 || (this.#reshape.delayMs ?? 0) > 0;
  }

  /** Bytes on their way to the destination: our queue plus the socket's own write buffer. */
  get buffered(): number {
    return this.#queued + this.#dest.writableLength;
  }

  /** The most `buffered` ever was: what a flooding peer cost us in this direction. */
  get peakBuffered(): number {
    return this.#peakBuffered;
  }

  push(chunk: Buffer): void {
    if (this.#stopped) return;
    if (!this.reshaping && this.#queue.length === 0) {
      // Past the destination's high-water mark the source is paused until the destination drains,
      // so a peer that floods faster than the other side reads is held back by TCP, not our memory.
      if (!this.#dest.write(chunk)) this.#pauseUntilDrain();
      this.#notePeak();
      return;
    }
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued > HIGH_WATER) this.#source.pause();
    this.#notePeak();
    void this.#pump();
  }

  #pauseUntilDrain(): void {
    this.#source.pause();
    if (this.#awaitingDrain) return;
    this.#awaitingDrain = true;
    this.#dest.once('drain', () => {
      this.#awaitingDrain = false;
      if (!this.#stopped) this.#source.resume();
    });
  }

  #notePeak(): void {
    const now = this.buffered;
    if (now > this.#peakBuffered) this.#peakBuffered = now;
  }

  /** Half-close the destination once everything queued is written. */
  end(): void {
    this.#ending = true;
    if (!this.#pumping && this.#queue.length === 0 && !this.#stopped) this.#dest.end();
  }

  stop(): void {
    this.#stopped = true;
    this.#queue.length = 0;
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      const size = this.#reshape.fragment && this.#reshape.fragment > 0 ? this.#reshape.fragment : Infinity;
      const delay = this.#reshape.delayMs ?? 0;
      let first = true;
      while (this.#queue.length > 0 && !this.#stopped) {
        const chunk = this.#queue.shift()!;
        for (let at = 0; at < chunk.length && !this.#stopped; at += size) {
          if (!first && delay > 0) await sleep(delay);
          first = false;
          if (this.#dest.destroyed) return;
          const piece = chunk.subarray(at, Math.min(chunk.length, at + size));
          // Wait for each piece to reach the kernel so the peer sees separate segments, not one coalesced write.
          await new Promise<void>((resolve) => {
            this.#dest.write(piece, () => resolve());
          });
        }
        this.#queued -= chunk.length;
        if (this.#queued <= HIGH_WATER && this.#source.isPaused()) this.#source.resume();
      }
    } finally {
      this.#pumping = false;
    }
    if (this.#ending && this.#queue.length === 0 && !this.#stopped && !this.#dest.destroyed) this.#dest.end();
  }
}
