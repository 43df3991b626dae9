import type { Socket } from 'node:net';
import { PeerClosedError, ReadTimeoutError } from './errors.ts';
import { FrameDecoder } from './frame-decoder.ts';
import type { CodecLimits } from './limits.ts';
import { encodeJson, type EncodeOptions } from './python-json.ts';
import type { Frame, JsonObject, JsonValue } from './types.ts';

interface PendingRead {
  kind: 'json' | 'image';
  resolve: (frame: Frame) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export interface FrameSocketOptions {
  limits?: Partial<CodecLimits>;
  /**
   * Bytes held, while no read waits, past which the socket is paused (the peer waits on TCP). Default:
   * one whole message plus a read's worth. While a read waits the socket always flows, so a lower
   * value never stops a large message that is being read; it only bounds what a peer can push unasked.
   */
  highWaterBytes?: number;
}

/**
 * A net.Socket with a FrameDecoder attached. Bytes are decoded only when a read asks for a frame,
 * because whether the next bytes are JSON or an image is decided by the reader (after `ready`).
 * Unread bytes are held (that is the queue), and the socket is paused while too many pile up.
 */
export class FrameSocket {
  readonly socket: Socket;
  readonly decoder: FrameDecoder;
  #reads: PendingRead[] = [];
  #imageArmed = false;
  #closed = false;
  #closeCause: Error | undefined;
  #paused = false;
  readonly #highWater: number;

  constructor(socket: Socket, options: FrameSocketOptions = {}) {
    this.socket = socket;
    this.decoder = new FrameDecoder(options.limits);
    // Room for one whole message plus a read's worth; beyond that the peer waits (TCP backpressure).
    this.#highWater = options.highWaterBytes ?? this.decoder.limits.maxJsonBytes + 64 * 1024;
    socket.on('data', (chunk: Buffer) => {
      this.decoder.push(chunk);
      this.#pump();
    });
    socket.on('end', () => this.#onClose(undefined));
    socket.on('close', () => this.#onClose(undefined));
    socket.on('error', (err) => this.#onClose(err));
    if (socket.destroyed || socket.readableEnded) this.#closed = true;
  }

  /** True once the peer closed or the socket was destroyed (buffered frames can still be read). */
  get closed(): boolean {
    return this.#closed;
  }

  readJson(timeoutMs: number): Promise<{ value: JsonObject; raw: Buffer; offset: number }> {
    return this.#read('json', timeoutMs).then((frame) => {
      if (frame.kind !== 'json') throw new Error('internal: expected a JSON frame');
      return { value: frame.value, raw: frame.raw, offset: frame.offset };
    });
  }

  /** Switches the stream to image mode (8-byte big-endian length + payload) and reads one image. */
  readImage(timeoutMs: number): Promise<{ length: number; data: Buffer; header: Buffer; offset: number }> {
    return this.#read('image', timeoutMs).then((frame) => {
      if (frame.kind !== 'image') throw new Error('internal: expected an image frame');
      return { length: frame.length, data: frame.data, header: frame.header, offset: frame.offset };
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed || this.socket.writableEnded) {
        reject(this.#peerClosed('cannot write: the connection is closed', this.#closeCause));
        return;
      }
      this.socket.write(bytes, (err) => {
        if (err) reject(this.#peerClosed(`write failed: ${err.message}`, err));
        else resolve();
      });
    });
  }

  sendJson(value: JsonValue, options?: EncodeOptions): Promise<void> {
    return this.write(encodeJson(value, options));
  }

  /** Half-closes our side (FIN) after pending writes; reads stay possible. */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
    this.#onClose(undefined);
  }

  #read(kind: 'json' | 'image', timeoutMs: number): Promise<Frame> {
    return new Promise<Frame>((resolve, reject) => {
      const read: PendingRead = {
        kind,
        resolve,
        reject,
        timer: setTimeout(() => {
          const at = this.#reads.indexOf(read);
          if (at !== -1) this.#reads.splice(at, 1);
          const pending = this.decoder.pendingImage;
          reject(
            new ReadTimeoutError(
              `no complete ${kind === 'json' ? 'JSON message' : 'image'} within ${timeoutMs} ms` +
                (this.decoder.buffered > 0 ? ` (${this.decoder.buffered} bytes of a frame received)` : '') +
                (pending?.length !== undefined ? ` (image: ${pending.received} of ${pending.length} bytes)` : ''),
              { offset: this.decoder.position, bytes: this.#heldBytes(), timeoutMs },
            ),
          );
          this.#pump();
        }, timeoutMs),
      };
      this.#reads.push(read);
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#reads.length > 0) {
      const read = this.#reads[0]!;
      let frame: Frame | undefined;
      try {
        if (read.kind === 'image' && !this.#imageArmed) {
          this.decoder.expectImage();
          this.#imageArmed = true;
        } else if (read.kind === 'json' && this.#imageArmed) {
          throw new Error('readJson(): an image read is in progress (a previous readImage timed out mid-frame)');
        }
        frame = this.decoder.next();
      } catch (err) {
        this.#settle(read);
        read.reject(err as Error);
        // A CodecError poisons the decoder, so every later read fails the same way, in order.
        continue;
      }
      if (frame === undefined) {
        if (this.#closed) {
          this.#settle(read);
          const held = this.decoder.buffered;
          read.reject(
            this.#peerClosed(
              held > 0
                ? `connection closed by peer with ${held} bytes of a ${read.kind === 'json' ? 'JSON message' : 'image frame'} received`
                : `connection closed by peer before a ${read.kind === 'json' ? 'JSON message' : 'image frame'} arrived`,
              this.#closeCause,
            ),
          );
          continue;
        }
        break;
      }
      if (frame.kind === 'image') this.#imageArmed = false;
      this.#settle(read);
      read.resolve(frame);
    }
    this.#flowControl();
  }

  #settle(read: PendingRead): void {
    clearTimeout(read.timer);
    const at = this.#reads.indexOf(read);
    if (at !== -1) this.#reads.splice(at, 1);
  }

  #flowControl(): void {
    const shouldPause = this.#reads.length === 0 && this.decoder.buffered > this.#highWater;
    if (shouldPause && !this.#paused && !this.#closed) {
      this.socket.pause();
      this.#paused = true;
    } else if (!shouldPause && this.#paused) {
      this.socket.resume();
      this.#paused = false;
    }
  }

  #onClose(cause: Error | undefined): void {
    if (cause && !this.#closeCause) this.#closeCause = cause;
    if (this.#closed && !cause) return;
    this.#closed = true;
    this.#pump();
  }

  #heldBytes(): Buffer {
    return this.decoder.heldBytes();
  }

  #peerClosed(message: string, cause: Error | undefined): PeerClosedError {
    return new PeerClosedError(message, {
      offset: this.decoder.position,
      bytes: this.decoder.heldBytes(),
      received: this.decoder.buffered,
      ...(cause ? { cause } : {}),
    });
  }
}
