import type { Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { CodecError, encodeJson, type JsonFrame, type JsonObject } from '../../spec/codec/index.ts';
import { ACTION_HANDLERS, type ActionContext, type Reply } from './actions/index.ts';
import { ServerError } from './errors.ts';
import { ConnectionLostError, FrameReader, IdleTimeoutError } from './frame-reader.ts';
import type { ResolvedServerOptions } from './options.ts';
import { SERVER_TEXT, errorReply, framingErrorText } from './replies.ts';
import { RequestDeadlineError } from './request-deadline.ts';
import { authorize, type Session } from './session.ts';
import type { DataStore } from './store/data-store.ts';
import { validateRequest } from './validate-request.ts';

const READY = encodeJson({ status: 'ready' });
const IMAGE_SUCCESS = encodeJson({ status: 'success' });
/** After our last reply and FIN, how long we keep draining the peer before dropping it (see endGracefully). */
const LINGER_MS = 2_000;

/** Where a request's image exchange stands, which decides how its final reply goes out (IMG-4, IMG-8). */
type ExchangeState = 'none' | 'ready' | 'received' | 'acknowledged';

/** Errors after which the stream's framing or the peer is gone: the connection ends. */
function isFatal(error: unknown): boolean {
  return (
    error instanceof CodecError ||
    error instanceof IdleTimeoutError ||
    error instanceof RequestDeadlineError ||
    error instanceof ConnectionLostError
  );
}

/**
 * One client connection: reads requests in order, answers each with exactly one reply (plus the
 * image acknowledgements), and never lets an error escape to the process (CONN-2, CONN-4).
 */
export class Connection {
  readonly id: number;
  /** Settles once the socket is fully closed. */
  readonly closed: Promise<void>;
  private readonly socket: Socket;
  private readonly reader: FrameReader;
  private readonly store: DataStore;
  private readonly options: ResolvedServerOptions;
  private readonly log: Logger;
  private readonly session: Session = { user: undefined };
  private inFlight = false;
  private shuttingDown = false;
  private ending = false;

  constructor(id: number, socket: Socket, store: DataStore, options: ResolvedServerOptions, log: Logger) {
    this.id = id;
    this.socket = socket;
    this.store = store;
    this.options = options;
    this.log = log;
    // IMG-6: without Nagle the acknowledgement leaves at once instead of waiting to be coalesced
    // with the final reply (the starter's hazard).
    socket.setNoDelay(true);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    this.reader = new FrameReader(socket, {
      limits: { maxJsonBytes: options.maxJsonBytes, maxImageBytes: options.maxImageBytes },
      idleTimeoutMs: options.idleTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      imageBytesPerSecond: options.imageBytesPerSecond,
    });
  }

  start(): void {
    void this.run();
  }

  /** Graceful stop: an idle connection ends now, a busy one right after its current reply. */
  shutdown(): void {
    this.shuttingDown = true;
    if (!this.inFlight) this.endGracefully();
  }

  destroy(): void {
    this.reader.dispose();
    this.socket.destroy();
  }

  private async run(): Promise<void> {
    try {
      while (!this.shuttingDown) {
        let frame;
        try {
          frame = await this.reader.next();
        } catch (error) {
          await this.failConnection(error, undefined);
          return;
        }
        if (frame === undefined) break;
        if (frame.kind !== 'json') throw new Error('internal: image frame outside an image exchange');
        this.inFlight = true;
        try {
          const fatal = await this.handle(frame);
          if (fatal !== undefined) {
            await this.failConnection(fatal.error, fatal.action);
            return;
          }
        } finally {
          this.inFlight = false;
        }
      }
      this.endGracefully();
    } catch (error) {
      // Nothing may take the process down (CONN-4): log, drop this one connection, serve the rest.
      this.log.error({ conn: this.id, err: error }, 'connection failed');
      this.destroy();
    }
  }

  /** Serves one request. Returns the fatal error when the connection cannot continue. */
  private async handle(frame: JsonFrame): Promise<{ error: unknown; action: string | undefined } | undefined> {
    const started = performance.now();
    const rawAction = frame.value['action'];
    const action = typeof rawAction === 'string' ? rawAction : undefined;
    const exchange = { state: 'none' as ExchangeState, notBefore: undefined as Promise<void> | undefined };
    let reply: Reply;
    let failure: unknown;
    try {
      reply = await this.dispatch(frame.value, exchange);
    } catch (error) {
      if (isFatal(error)) return { error, action };
      failure = error;
      reply = errorReply(error instanceof ServerError ? error.replyMessage : SERVER_TEXT.internalError);
    }
    if ((exchange.state === 'ready' || exchange.state === 'received') && reply['status'] === 'success') {
      // A handler that forgot to acknowledge: keep the exchange's shape anyway.
      await this.acknowledge(exchange);
    }
    // IMG-6: the final reply never follows the acknowledgement closer than the configured gap.
    if (exchange.notBefore) await exchange.notBefore;
    await this.write(encodeJson(reply));
    this.logRequest(action, reply, started, failure, frame.raw.length);
    return undefined;
  }

  private async dispatch(value: JsonObject, exchange: { state: ExchangeState; notBefore: Promise<void> | undefined }): Promise<Reply> {
    const validation = validateRequest(value);
    if (!validation.ok) return errorReply(validation.message);
    const request = validation.request;
    const refusal = authorize(request, this.session, this.options.mode);
    if (refusal !== undefined) return errorReply(refusal);
    const context: ActionContext = {
      mode: this.options.mode,
      store: this.store,
      session: this.session,
      receiveImage: () => this.receiveImage(exchange),
      acknowledgeImage: () => this.acknowledge(exchange),
    };
    // The union of handlers cannot be called with the union of requests without a cast; the
    // validation above guarantees the request matches its action's schema.
    const handler = ACTION_HANDLERS[request.action] as (request: unknown, context: ActionContext) => Promise<Reply>;
    return handler(request, context);
  }

  private async receiveImage(exchange: { state: ExchangeState }): Promise<Buffer> {
    if (exchange.state !== 'none') throw new Error('internal: one image exchange per request');
    await this.write(READY);
    exchange.state = 'ready';
    this.reader.expectImage();
    const frame = await this.reader.next();
    if (frame === undefined) throw new ConnectionLostError('closed before the image');
    if (frame.kind !== 'image') throw new Error('internal: expected an image frame');
    exchange.state = 'received';
    return frame.data;
  }

  private async acknowledge(exchange: { state: ExchangeState; notBefore: Promise<void> | undefined }): Promise<void> {
    if (exchange.state === 'acknowledged') return;
    if (exchange.state === 'none') throw new Error('internal: acknowledgement without an image');
    // Flushed to the kernel first, then the gap starts: the final reply's own work (the post or
    // message write) overlaps the gap instead of adding to it.
    await this.write(IMAGE_SUCCESS);
    exchange.state = 'acknowledged';
    exchange.notBefore = this.options.ackGapMs > 0 ? delay(this.options.ackGapMs) : undefined;
  }

  /** Resolves once the bytes are handed to the kernel; false when the peer is gone. */
  private write(bytes: Buffer): Promise<boolean> {
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return Promise.resolve(false);
    return new Promise((resolve) => {
      socket.write(bytes, (error) => resolve(!error));
    });
  }

  private async failConnection(error: unknown, action: string | undefined): Promise<void> {
    if (error instanceof ConnectionLostError) {
      this.log.debug({ conn: this.id, action, code: error.code }, error.message);
      this.destroy();
      return;
    }
    let text: string;
    let code: string;
    if (error instanceof CodecError) {
      text = framingErrorText(error);
      code = error.code;
    } else if (error instanceof IdleTimeoutError || error instanceof RequestDeadlineError) {
      text = error.replyMessage;
      code = error.code;
    } else {
      text = SERVER_TEXT.internalError;
      code = 'INSTANET_ERR_INTERNAL';
      this.log.error({ conn: this.id, err: error }, 'unexpected failure');
    }
    this.log.warn({ conn: this.id, action, user: this.session.user, status: 'error', code }, text);
    await this.write(encodeJson(errorReply(text)));
    this.endGracefully();
  }

  /**
   * Ends our side after the last reply. The peer may still be sending (the rest of an oversized
   * request); closing with unread bytes would make the kernel send RST, which can destroy our error
   * reply before the peer reads it, so we drain and discard for a moment before letting go.
   */
  private endGracefully(): void {
    if (this.ending) return;
    this.ending = true;
    this.reader.dispose();
    const socket = this.socket;
    socket.resume();
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  private logRequest(action: string | undefined, reply: Reply, started: number, failure: unknown, bytes: number): void {
    const ms = Math.round((performance.now() - started) * 100) / 100;
    const status = reply['status'];
    const fields: Record<string, unknown> = { conn: this.id, action: action ?? null, user: this.session.user ?? null, status, ms, bytes };
    if (status !== 'success') fields['message'] = reply['message'];
    if (failure !== undefined) {
      fields['err'] = failure;
      this.log.error(fields, 'request failed');
    } else {
      this.log.info(fields, 'request');
    }
  }
}
