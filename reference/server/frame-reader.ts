import type { Socket } from 'node:net';
import { FrameDecoder, type CodecLimits, type Frame } from '../../spec/codec/index.ts';
import { ServerError } from './errors.ts';
import { RequestDeadline, frameBudgetMs, type DeadlineBudget } from './request-deadline.ts';

/** LIM-2: a half-sent request (or an announced image) got no new byte for the idle limit. */
export class IdleTimeoutError extends ServerError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super('INSTANET_ERR_IDLE_TIMEOUT', `half-sent request idle for ${timeoutMs} ms`, `Request timed out: no data for ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** The peer reset or closed the connection in the middle of a frame. */
export class ConnectionLostError extends ServerError {
  constructor(detail: string, options?: ErrorOptions) {
    super('INSTANET_ERR_CONNECTION_LOST', `connection lost: ${detail}`, 'Connection lost', options);
  }
}

export interface FrameReaderOptions extends DeadlineBudget {
  limits: CodecLimits;
  idleTimeoutMs: number;
}

/**
 * Pulls frames off a server-side socket. Unlike the codec's FrameSocket, which bounds every read
 * by a timeout, a server must let a logged-in course client sit idle between requests for as long
 * as it likes; only a request that has STARTED and stalls is timed out (LIM-2). Bytes of pipelined
 * requests stay in the decoder (answered in order, FRAME-6) and the socket is paused while more
 * than a small window piles up and nobody is reading, so a peer that floods requests without
 * reading replies is held back by TCP instead of by our memory. A started frame also has a
 * deadline that new bytes do not extend: one byte every few seconds keeps the idle timer
 * happy but cannot hold the connection past the deadline.
 */
export class FrameReader {
  readonly decoder: FrameDecoder;
  private readonly socket: Socket;
  private readonly idleTimeoutMs: number;
  private waiter: { resolve: () => void } | undefined;
  private ended = false;
  private failure: Error | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private paused = false;
  private readonly budget: DeadlineBudget;
  private readonly deadline = new RequestDeadline(() => this.wake());
  private static readonly HIGH_WATER = 256 * 1024;

  constructor(socket: Socket, options: FrameReaderOptions) {
    this.socket = socket;
    this.idleTimeoutMs = options.idleTimeoutMs;
    this.budget = { requestTimeoutMs: options.requestTimeoutMs, imageBytesPerSecond: options.imageBytesPerSecond };
    this.decoder = new FrameDecoder(options.limits);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.onEnd());
    socket.on('error', (error) => {
      this.failure ??= new ConnectionLostError(error.message, { cause: error });
      this.onEnd();
    });
  }

  /**
   * The next frame; undefined when the peer closed cleanly between frames. Throws a CodecError on
   * bad framing, IdleTimeoutError when a started frame stalls, RequestDeadlineError when it is not
   * complete in time, ConnectionLostError when the peer vanished mid-frame.
   */
  async next(): Promise<Frame | undefined> {
    for (;;) {
      const frame = this.decoder.next();
      if (frame) {
        this.clearIdle();
        // The next frame's clock starts now at the latest: its bytes may have waited on us.
        this.deadline.clear();
        this.syncDeadline();
        this.resumeIfDrained();
        return frame;
      }
      if (this.resumeIfDrained()) this.deadline.clear();
      if (this.failure) throw this.failure;
      if (this.deadline.expired) throw this.deadline.expired;
      if (this.ended) {
        if (this.midFrame()) throw new ConnectionLostError(`closed mid-frame after ${this.decoder.buffered} bytes`);
        return undefined;
      }
      // Someone is waiting for bytes now: a pause taken while we were busy must not outlive it,
      // even when the frame being read is itself larger than the window.
      if (this.paused) {
        this.paused = false;
        this.socket.resume();
        // The peer could not send while we held the socket: that time is not its fault.
        this.deadline.clear();
      }
      this.syncDeadline();
      this.armIdle();
      await new Promise<void>((resolve) => {
        this.waiter = { resolve };
      });
      this.waiter = undefined;
    }
  }

  /** Makes the next frame an image (after the server sent `ready`). */
  expectImage(): void {
    this.decoder.expectImage();
    this.syncDeadline();
  }

  /** Stops reading: no more wake-ups, no more buffering. */
  dispose(): void {
    this.clearIdle();
    this.deadline.clear();
    this.ended = true;
    this.wake();
  }

  private midFrame(): boolean {
    return this.decoder.buffered > 0 || this.decoder.pendingImage !== undefined;
  }

  private onData(chunk: Buffer): void {
    if (this.ended) return;
    this.decoder.push(chunk);
    this.syncDeadline();
    if (this.waiter) {
      // Each byte restarts the idle clock: a slow but moving upload is not idle.
      this.armIdle();
      this.wake();
    } else if (this.decoder.buffered > FrameReader.HIGH_WATER && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private onEnd(): void {
    this.ended = true;
    this.clearIdle();
    this.deadline.clear();
    this.wake();
  }

  private wake(): void {
    this.waiter?.resolve();
  }

  /** True when it resumed a socket we had paused. */
  private resumeIfDrained(): boolean {
    if (this.paused && this.decoder.buffered <= FrameReader.HIGH_WATER) {
      this.paused = false;
      this.socket.resume();
      return true;
    }
    return false;
  }

  /** The deadline runs while a frame has started (its first byte, or the image header's). */
  private syncDeadline(): void {
    if (this.ended) return;
    if (!this.decoder.midFrame) {
      this.deadline.clear();
      return;
    }
    this.deadline.arm(frameBudgetMs(this.budget, this.decoder.pendingImage?.length));
  }

  private armIdle(): void {
    this.clearIdle();
    if (!this.midFrame()) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      this.failure ??= new IdleTimeoutError(this.idleTimeoutMs);
      this.wake();
    }, this.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
