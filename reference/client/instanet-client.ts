import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  CodecError,
  FrameSocket,
  PeerClosedError,
  ReadTimeoutError,
  dialTcp,
  encodeImageHeader,
  encodeJson,
  type CodecLimits,
  type EncodeOptions,
  type JsonObject,
} from '../../spec/codec/index.ts';
import {
  ImageErrorAck,
  ImageSuccessAck,
  REPLY_TEXT,
  ReadyAck,
  SUCCESS_REPLY_SCHEMAS,
  type Action,
  type RequestOf,
  type SuccessReplyOf,
} from '../../spec/messages/index.ts';
import {
  ClientTimeoutError,
  ConnectFailedError,
  ConnectionClosedError,
  ConnectionRefusedError,
  InstaNetClientError,
  ProtocolError,
  ErrorReplyError,
  type Endpoint,
} from './errors.ts';
import { SerialQueue } from './request-queue.ts';
import { checkReply, type Received, type Validation } from './reply-check.ts';
import { dmTimestamp, postTimestamp, systemClock, type Clock } from './timestamps.ts';

export type TrafficDirection = 'c2s' | 's2c';

/** One chunk of bytes as written to, or read from, the socket. */
export interface TrafficEvent {
  direction: TrafficDirection;
  bytes: Buffer;
  /** Milliseconds since the epoch, sub-millisecond precision. */
  at: number;
}

export interface ConnectOptions {
  host?: string;
  port: number;
  /** Budget of each call, from sending the request to the final reply. Default 10 s. */
  timeoutMs?: number;
  /** Budget of opening the connection. Default: timeoutMs. */
  connectTimeoutMs?: number;
  validation?: Validation;
  /** Sees every byte on the wire, in order; for transcripts and the harness. Must not throw. */
  onTraffic?: (event: TrafficEvent) => void;
  limits?: Partial<CodecLimits>;
  /** How requests are serialized; default: Python json.dumps bytes, as the course client sends. */
  encode?: EncodeOptions;
  /**
   * Called once when the connection becomes unusable without close()/destroy() being called: the
   * server closed it, or a timeout or framing error made the client give it up.
   */
  onDisconnect?: (reason: InstaNetClientError) => void;
  /** Called with the schema mismatches lenient mode let through, per reply (never in strict mode). */
  onWarnings?: (action: Action, warnings: readonly string[]) => void;
  /** Source of the time stamped on posts and DMs. */
  clock?: Clock;
  /**
   * After an image error acknowledgement the course's server sends the error a second time as the
   * final reply; this is how long to wait for it before giving the connection up. Default 1 s.
   */
  imageErrorGraceMs?: number;
}

export interface CallOptions {
  timeoutMs?: number;
}

export interface StampedCallOptions extends CallOptions {
  /** Timestamp to send instead of the clock's. */
  timestamp?: string;
}

/** A success reply; `warnings` lists schema mismatches that lenient mode let through (always [] when strict). */
export type Reply<T> = T & { readonly warnings: readonly string[] };

/** The frames of the last exchange, for tools that want the exact bytes without a traffic tap. */
export interface Exchange {
  action: Action;
  request: JsonObject;
  requestBytes: Buffer;
  imageLength?: number;
  received: Received[];
}

const DEFAULT_TIMEOUT_MS = 10_000;

function now(): number {
  return performance.timeOrigin + performance.now();
}

function describeConnectError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'ECONNRESET':
      return 'connection reset';
    default:
      return error.code ? `${error.code} ${error.message}` : error.message;
  }
}

function openSocket(endpoint: Endpoint, timeoutMs: number): Promise<net.Socket> {
  return dialTcp(
    { host: endpoint.host, port: endpoint.port, timeoutMs },
    {
      timeout: () => new ClientTimeoutError('connect', timeoutMs, 'connection'),
      error: (error) =>
        error.code === 'ECONNREFUSED'
          ? new ConnectionRefusedError(endpoint, { cause: error })
          : new ConnectFailedError(endpoint, describeConnectError(error), { cause: error }),
    },
  );
}

/**
 * One connection to an InstaNet server, speaking the course protocol as the course client does.
 * Calls are queued (the protocol pairs replies with requests by order alone), each is bounded by a
 * timeout, and every final reply is checked against the spec's schema.
 */
export class InstaNetClient {
  readonly endpoint: Endpoint;
  readonly validation: Validation;
  readonly timeoutMs: number;
  /** The lower-cased username of the last successful login (the server lower-cases too, AUTH-3). */
  username: string | undefined;
  lastExchange: Exchange | undefined;

  private readonly frames: FrameSocket;
  private readonly queue = new SerialQueue();
  private readonly clock: Clock;
  private readonly encode: EncodeOptions | undefined;
  private readonly onTraffic: ((event: TrafficEvent) => void) | undefined;
  private readonly imageErrorGraceMs: number;
  private readonly onWarnings: ((action: Action, warnings: readonly string[]) => void) | undefined;
  private readonly onDisconnect: ((reason: InstaNetClientError) => void) | undefined;
  /** Why the connection can no longer be used; set once. */
  private retired: InstaNetClientError | undefined;

  private constructor(socket: net.Socket, endpoint: Endpoint, options: ConnectOptions) {
    this.endpoint = endpoint;
    this.validation = options.validation ?? 'strict';
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.clock = options.clock ?? systemClock;
    this.encode = options.encode;
    this.onTraffic = options.onTraffic;
    this.imageErrorGraceMs = options.imageErrorGraceMs ?? 1000;
    this.onWarnings = options.onWarnings;
    this.onDisconnect = options.onDisconnect;
    socket.setNoDelay(true);
    if (this.onTraffic) {
      const tap = this.onTraffic;
      socket.on('data', (chunk: Buffer) => tap({ direction: 's2c', bytes: chunk, at: now() }));
    }
    socket.on('close', () => this.retire(new ConnectionClosedError(`connection to ${this.where} closed by the server`)));
    this.frames = new FrameSocket(socket, options.limits ? { limits: options.limits } : undefined);
  }

  static async connect(options: ConnectOptions): Promise<InstaNetClient> {
    const endpoint = { host: options.host ?? '127.0.0.1', port: options.port };
    const socket = await openSocket(endpoint, options.connectTimeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    return new InstaNetClient(socket, endpoint, options);
  }

  get where(): string {
    return `${this.endpoint.host}:${this.endpoint.port}`;
  }

  /** False once the connection was closed or an error left it unusable. */
  get usable(): boolean {
    return this.retired === undefined;
  }

  /** Exchanges queued or in flight. */
  get pending(): number {
    return this.queue.pending;
  }

  async login(username: string, password: string, options?: CallOptions): Promise<Reply<SuccessReplyOf<'login'>>> {
    const reply = await this.call({ action: 'login', username, password }, options);
    this.username = username.toLowerCase();
    return reply;
  }

  async uploadPost(image: Buffer, caption: string, options?: StampedCallOptions & { username?: string }): Promise<Reply<SuccessReplyOf<'upload_post'>>> {
    const username = options?.username ?? this.requireUsername('upload_post');
    const timestamp = options?.timestamp ?? postTimestamp(this.clock);
    return this.call({ action: 'upload_post', username, caption, timestamp }, { ...options, image });
  }

  getFeed(options?: CallOptions): Promise<Reply<SuccessReplyOf<'get_feed'>>> {
    return this.call({ action: 'get_feed' }, options);
  }

  sendFriendRequest(sender: string, receiver: string, options?: CallOptions): Promise<Reply<SuccessReplyOf<'send_friend_request'>>> {
    return this.call({ action: 'send_friend_request', sender, receiver }, options);
  }

  /** `user` accepts the request that `friend` sent. */
  acceptFriendRequest(user: string, friend: string, options?: CallOptions): Promise<Reply<SuccessReplyOf<'accept_friend_request'>>> {
    return this.call({ action: 'accept_friend_request', user, friend }, options);
  }

  /** `user` rejects the request that `friend` sent. */
  rejectFriendRequest(user: string, friend: string, options?: CallOptions): Promise<Reply<SuccessReplyOf<'reject_friend_request'>>> {
    return this.call({ action: 'reject_friend_request', user, friend }, options);
  }

  sendMessage(sender: string, receiver: string, text: string, options?: StampedCallOptions): Promise<Reply<SuccessReplyOf<'send_message'>>> {
    const timestamp = options?.timestamp ?? dmTimestamp(this.clock);
    return this.call({ action: 'send_message', sender, receiver, message: text, timestamp, is_image: false }, options);
  }

  /** An image DM: the text is "Image" as the course client sends it (DM-5), then the image exchange. */
  sendImage(sender: string, receiver: string, image: Buffer, options?: StampedCallOptions): Promise<Reply<SuccessReplyOf<'send_message'>>> {
    const timestamp = options?.timestamp ?? dmTimestamp(this.clock);
    return this.call(
      { action: 'send_message', sender, receiver, message: REPLY_TEXT.imageMessageText, timestamp, is_image: true },
      { ...options, image },
    );
  }

  getMessages(user1: string, user2: string, options?: CallOptions): Promise<Reply<SuccessReplyOf<'get_messages'>>> {
    return this.call({ action: 'get_messages', user1, user2 }, options);
  }

  getUserData(username: string, options?: CallOptions): Promise<Reply<SuccessReplyOf<'get_user_data'>>> {
    return this.call({ action: 'get_user_data', username }, options);
  }

  getAllUsers(options?: CallOptions): Promise<Reply<SuccessReplyOf<'get_all_users'>>> {
    return this.call({ action: 'get_all_users' }, options);
  }

  addComment(postImagePath: string, user: string, text: string, options?: CallOptions): Promise<Reply<SuccessReplyOf<'add_comment'>>> {
    return this.call({ action: 'add_comment', post_image_path: postImagePath, user, text }, options);
  }

  /**
   * Sends any request of the protocol and returns its checked success reply. `image` runs the image
   * exchange after the request; the typed methods above are built on this.
   */
  call<A extends Action>(request: RequestOf<A> & { action: A }, options?: CallOptions & { image?: Buffer }): Promise<Reply<SuccessReplyOf<A>>> {
    return this.queue.run(async () => {
      if (this.retired) throw this.unusable();
      const timeoutMs = options?.timeoutMs ?? this.timeoutMs;
      try {
        const { reply, warnings } = await this.exchange(request.action, request as unknown as JsonObject, timeoutMs, options?.image);
        if (warnings.length > 0) this.onWarnings?.(request.action, warnings);
        return Object.assign(reply, { warnings }) as unknown as Reply<SuccessReplyOf<A>>;
      } catch (error) {
        if (error instanceof InstaNetClientError && !error.connectionUsable) this.retire(error);
        throw error;
      }
    });
  }

  /** Closes the connection once the calls already queued are done; later calls fail. */
  async close(): Promise<void> {
    await this.queue.run(async () => undefined).catch(() => undefined);
    this.retire(new ConnectionClosedError(`connection to ${this.where} was closed by this client`), true, false);
    const socket = this.frames.socket;
    if (socket.destroyed) return;
    await new Promise<void>((resolve) => {
      // A server that never closes its side must not hold the client: give it a second, then drop.
      const timer = setTimeout(() => socket.destroy(), 1000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.frames.end();
    });
  }

  /** Drops the connection at once; queued calls fail with ConnectionClosedError. */
  destroy(): void {
    this.retire(new ConnectionClosedError(`connection to ${this.where} was closed by this client`), true);
  }

  private requireUsername(action: string): string {
    if (this.username === undefined) {
      throw new TypeError(`${action} needs the sender's username: log in first or pass options.username`);
    }
    return this.username;
  }

  private unusable(): ConnectionClosedError {
    const reason = this.retired;
    if (reason instanceof ConnectionClosedError) return reason;
    return new ConnectionClosedError(`connection to ${this.where} is no longer usable after an earlier error (${reason?.message}); reconnect`, undefined, {
      cause: reason,
    });
  }

  private retire(reason: InstaNetClientError, byUser = false, destroy = true): void {
    if (this.retired) return;
    this.retired = reason;
    if (destroy) this.frames.destroy();
    if (!byUser) this.onDisconnect?.(reason);
  }

  private async exchange(action: Action, request: JsonObject, timeoutMs: number, image?: Buffer): Promise<{ reply: JsonObject; warnings: string[] }> {
    const deadline = Date.now() + timeoutMs;
    const requestBytes = encodeJson(request, this.encode);
    const exchange: Exchange = { action, request, requestBytes, received: [] };
    if (image) exchange.imageLength = image.length;
    this.lastExchange = exchange;
    const read = async (waitingFor: string, budget = deadline - Date.now()): Promise<Received> => {
      const frame = await this.read(action, timeoutMs, Math.max(1, budget), waitingFor);
      exchange.received.push(frame);
      return frame;
    };

    const early = await this.takeUnsolicited(action);
    await this.write(requestBytes);
    if (image) {
      const first = await read('"ready" acknowledgement');
      const lenientReady = this.validation === 'lenient' && first.value.status === 'ready';
      if (lenientReady && !ReadyAck.safeParse(first.value).success) {
        early.push(`${action}: the "ready" acknowledgement has extra keys: ${first.raw.toString('utf8').slice(0, 200)} (IMG-1)`);
      }
      if (!lenientReady && !ReadyAck.safeParse(first.value).success) {
        // An error instead of "ready" is the final reply: the server refused before the image (IMG-1).
        if (first.value.status === 'error') return checkReply(action, first, this.validation);
        throw new ProtocolError(
          `${action}: expected {"status": "ready"} before the image, got ${first.raw.toString('utf8')}`,
          first.raw,
          [],
          false,
          ['IMG-1'],
        );
      }
      await this.write(encodeImageHeader(image.length));
      if (image.length > 0) await this.write(image);
      const ack = await read('image acknowledgement');
      if (ImageErrorAck.safeParse(ack.value).success) {
        return this.afterImageError(action, ack, () => read('final reply after the image error', Math.min(this.imageErrorGraceMs, deadline - Date.now())));
      }
      if (!ImageSuccessAck.safeParse(ack.value).success) {
        if (this.validation === 'lenient' && ack.value.status === 'success' && SUCCESS_REPLY_SCHEMAS[action].safeParse(ack.value).success) {
          // The server skipped the acknowledgement and sent the final reply: waiting for another would hang.
          early.push(`${action}: no separate image acknowledgement; the server sent the final reply at once (IMG-4)`);
          return { reply: ack.value, warnings: early };
        }
        if (this.validation === 'lenient' && ack.value.status === 'success') {
          early.push(`${action}: the image acknowledgement has extra keys: ${ack.raw.toString('utf8').slice(0, 200)} (IMG-4)`);
        } else {
          throw new ProtocolError(
            `${action}: expected the image acknowledgement {"status": "success"}, got ${ack.raw.toString('utf8')}`,
            ack.raw,
            [],
            ack.value.status === 'success' || ack.value.status === 'error',
            ['IMG-4'],
          );
        }
      }
    }
    const final = await read('reply');
    const checked = checkReply(action, final, this.validation);
    return { reply: checked.reply, warnings: [...early, ...checked.warnings] };
  }

  /**
   * Bytes that arrived before this request was sent answer nothing (CONN-2: one reply per request),
   * and read as this request's reply they would shift every later answer by one. Strict mode
   * refuses them; lenient mode drops whole objects and says so. Whitespace (a trailing newline in a
   * late segment, FRAME-5) is not news.
   */
  private async takeUnsolicited(action: Action): Promise<string[]> {
    const held = this.frames.decoder.heldBytes();
    if (held.length === 0 || held.toString('latin1').trim() === '') return [];
    if (this.validation === 'strict') {
      throw new ProtocolError(
        `${action}: the server sent ${held.length} bytes before this request, answering nothing: ${held.subarray(0, 80).toString('utf8')}`,
        held,
        [],
        false,
        ['CONN-2'],
      );
    }
    const warnings: string[] = [];
    while (this.frames.decoder.heldBytes().toString('latin1').trim() !== '') {
      let extra: Received;
      try {
        extra = await this.read(action, 50, 50, 'rest of the unsolicited object');
      } catch (error) {
        const bytes = this.frames.decoder.heldBytes();
        throw new ProtocolError(`${action}: the server sent bytes before this request that are not a whole object`, bytes, [], false, ['CONN-2'], { cause: error });
      }
      warnings.push(`dropped an object the server sent before the ${action} request: ${extra.raw.toString('utf8').slice(0, 200)} (CONN-2)`);
    }
    return warnings;
  }

  /**
   * The course's server repeats the image error as the final reply (IMG-8); a stricter one may send
   * it once and close. Either way the caller gets a ErrorReplyError, and the connection is kept only if
   * the stream is known to be back in step.
   */
  private async afterImageError(action: Action, ack: Received, readFinal: () => Promise<Received>): Promise<never> {
    const message = typeof ack.value.message === 'string' ? ack.value.message : '';
    let inStep = false;
    try {
      const final = await readFinal();
      inStep = final.value.status === 'error';
    } catch {
      inStep = false;
    }
    throw new ErrorReplyError(action, message, ack.value, ack.raw, inStep);
  }

  private async write(bytes: Buffer): Promise<void> {
    this.onTraffic?.({ direction: 'c2s', bytes, at: now() });
    try {
      await this.frames.write(bytes);
    } catch (error) {
      throw new ConnectionClosedError(`connection to ${this.where} failed while sending: ${(error as Error).message}`, undefined, { cause: error });
    }
  }

  private async read(action: Action, timeoutMs: number, budget: number, waitingFor: string): Promise<Received> {
    try {
      return await this.frames.readJson(budget);
    } catch (error) {
      if (error instanceof ReadTimeoutError) throw new ClientTimeoutError(action, timeoutMs, waitingFor, error.bytes);
      if (error instanceof PeerClosedError) {
        const partial = error.received > 0 ? ` after ${error.received} bytes of it` : '';
        throw new ConnectionClosedError(`${action}: the server closed the connection while the client waited for the ${waitingFor}${partial}`, error.bytes, {
          cause: error,
        });
      }
      if (error instanceof CodecError) {
        throw new ProtocolError(`${action}: the server's bytes are not a valid reply: ${error.message}`, error.bytes, [], false, ['FRAME-1'], {
          cause: error,
        });
      }
      if (this.retired) throw this.unusable();
      throw new ConnectionClosedError(`${action}: connection to ${this.where} failed: ${(error as Error).message}`, undefined, { cause: error });
    }
  }
}
