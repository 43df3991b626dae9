import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CodecError, FrameDecoder, IMAGE_HEADER_BYTES, type CodecLimits, type Frame } from '../../spec/codec/index.ts';
import { carriesImage } from '../../spec/messages/index.ts';
import { replaceFile } from '../../reference/server/store/atomic-write.ts';
import { KIT_VERSION } from '../base/kit-version.ts';
import { ByteTape } from './byte-tape.ts';
import { FrameCounter } from './frame-counter.ts';
import { bytesFields } from './event-bytes.ts';
import { RecorderStateError } from './errors.ts';
import {
  TRANSCRIPT_FORMAT_VERSION,
  type Direction,
  type Transcript,
  type TranscriptEvent,
  type TranscriptHeader,
} from './format.ts';

/** Images up to this size keep their bytes in the transcript (`preview`), so replays send them exactly. */
export const PREVIEW_MAX_BYTES = 16 * 1024;
/** Undecodable bytes beyond this are summarised (length + sha256) rather than stored. */
export const RAW_MAX_BYTES = 1024 * 1024;

export interface RecorderHeader {
  source: string;
  title?: string;
  target?: string;
  /** Defaults to now. */
  recordedAt?: string;
  /** Defaults to this kit's version. */
  kit?: string;
}

export interface RecorderOptions {
  /** Codec limits for both directions; the defaults match the spec's. */
  limits?: Partial<CodecLimits>;
  /** Milliseconds, monotonic; injectable so tests get stable `t` values. */
  clock?: () => number;
  previewMaxBytes?: number;
  rawMaxBytes?: number;
  /**
   * Per connection and direction: once the lines recorded for it reach this many bytes, its later
   * bytes are counted, not decoded or stored, and notes say how many were dropped. Default: no cap.
   */
  maxRecordedBytes?: number;
  /** The same for the whole recording: past it, every direction stops recording. Default: no cap. */
  maxTotalRecordedBytes?: number;
  /** Keep every event in `events` (default). A long-running proxy streams lines to disk instead. */
  retainEvents?: boolean;
}

export type EventListener = (event: TranscriptEvent) => void;
export type LineListener = (line: string) => void;

type EventBody = Omit<TranscriptEvent, 'type' | 't' | 'conn'>;

export class TranscriptRecorder {
  readonly header: TranscriptHeader;
  readonly events: TranscriptEvent[] = [];
  readonly #connections = new Map<string, ConnectionRecorder>();
  readonly #listeners: EventListener[] = [];
  readonly #lineListeners: LineListener[] = [];
  readonly #clock: () => number;
  readonly #origin: number;
  #eventCount = 0;
  #recordedBytes = 0;
  readonly options: Readonly<Required<Omit<RecorderOptions, 'clock' | 'limits'>>> & { limits: Partial<CodecLimits> };

  constructor(header: RecorderHeader, options: RecorderOptions = {}) {
    this.header = {
      type: 'header',
      format: TRANSCRIPT_FORMAT_VERSION,
      kit: header.kit ?? KIT_VERSION,
      recordedAt: header.recordedAt ?? new Date().toISOString(),
      source: header.source,
      ...(header.title !== undefined ? { title: header.title } : {}),
      ...(header.target !== undefined ? { target: header.target } : {}),
    };
    this.#clock = options.clock ?? (() => performance.now());
    this.#origin = this.#clock();
    this.options = {
      limits: options.limits ?? {},
      previewMaxBytes: options.previewMaxBytes ?? PREVIEW_MAX_BYTES,
      rawMaxBytes: options.rawMaxBytes ?? RAW_MAX_BYTES,
      maxRecordedBytes: options.maxRecordedBytes ?? Infinity,
      maxTotalRecordedBytes: options.maxTotalRecordedBytes ?? Infinity,
      retainEvents: options.retainEvents ?? true,
    };
  }

  /** The recorder of connection `id`; the same id returns the same recorder. */
  connection(id: string): ConnectionRecorder {
    if (id.length === 0) throw new RecorderStateError('a connection id must not be empty');
    let conn = this.#connections.get(id);
    if (!conn) {
      conn = new ConnectionRecorder(this, id);
      this.#connections.set(id, conn);
    }
    return conn;
  }

  get connections(): ReadonlyMap<string, ConnectionRecorder> {
    return this.#connections;
  }

  /** Called with every event as it is recorded (the proxy prints violations from here). */
  onEvent(listener: EventListener): () => void {
    this.#listeners.push(listener);
    return () => {
      const index = this.#listeners.indexOf(listener);
      if (index >= 0) this.#listeners.splice(index, 1);
    };
  }

  /**
   * Sends the header line, every event kept so far, then each new event's line as it is recorded
   * (the proxy appends them to its file, so a flood is never held in memory until the end).
   */
  stream(listener: LineListener): () => void {
    listener(JSON.stringify(this.header));
    for (const event of this.events) listener(JSON.stringify(event));
    this.#lineListeners.push(listener);
    return () => {
      const index = this.#lineListeners.indexOf(listener);
      if (index >= 0) this.#lineListeners.splice(index, 1);
    };
  }

  /** Events recorded so far (also when they are not kept in `events`). */
  get eventCount(): number {
    return this.#eventCount;
  }

  /** @internal whether the whole recording reached its cap */
  get overTotalCap(): boolean {
    return this.#recordedBytes >= this.options.maxTotalRecordedBytes;
  }

  /** Flush every connection still open: half-read frames become `raw` events, then `close` events. */
  finish(reason = 'recording ended'): void {
    for (const conn of this.#connections.values()) conn.finish(reason);
  }

  transcript(): Transcript {
    return { header: this.header, events: this.events };
  }

  toJsonl(): string {
    return toJsonl(this.transcript());
  }

  /** Writes atomically (temp file + rename), so a reader never sees half a transcript. */
  async write(file: string): Promise<void> {
    await writeTranscriptFile(file, this.transcript());
  }

  /** @internal used by ConnectionRecorder; `bytes` is the size of the event's line (0 when not measured) */
  emit(conn: string, body: EventBody): { event: TranscriptEvent; bytes: number } {
    const t = Math.max(0, Math.round((this.#clock() - this.#origin) * 1000) / 1000);
    const event = { type: 'event', t, conn, ...body } as TranscriptEvent;
    this.#eventCount += 1;
    if (this.options.retainEvents) this.events.push(event);
    const bytes = this.#measureAndStream(event);
    for (const listener of this.#listeners) listener(event);
    return { event, bytes };
  }

  /** Serialises only when someone streams or caps: scenario runs keep their old cost. */
  #measureAndStream(event: TranscriptEvent): number {
    const capped = Number.isFinite(this.options.maxRecordedBytes) || Number.isFinite(this.options.maxTotalRecordedBytes);
    if (this.#lineListeners.length === 0 && !capped) return 0;
    const line = JSON.stringify(event);
    for (const listener of this.#lineListeners) listener(line);
    const bytes = Buffer.byteLength(line) + 1;
    this.#recordedBytes += bytes;
    return bytes;
  }
}

export function toJsonl(transcript: Transcript): string {
  const lines = [JSON.stringify(transcript.header)];
  for (const event of transcript.events) lines.push(JSON.stringify(event));
  return `${lines.join('\n')}\n`;
}

export async function writeTranscriptFile(file: string, transcript: Transcript): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await replaceFile(file, Buffer.from(toJsonl(transcript)));
}

interface CodecLikeError {
  code: string;
  message: string;
  offset?: number;
}

function isCodecError(error: unknown): error is CodecLikeError {
  return error instanceof CodecError;
}

/** One direction of one connection: its decoder and the bytes not yet written into events. */
class DirectionState {
  /** Replaced by an empty one when the cap is reached, so a half-read flood does not stay held. */
  decoder: FrameDecoder;
  readonly tape = new ByteTape();
  /** Stream offset up to which bytes are in events. */
  accounted = 0;
  /** Set after a codec error: the rest of the stream is recorded raw. */
  brokenBy: { code: string; offset: number } | undefined;
  /** The image-length event of the image being received was already emitted. */
  announcedImage = false;
  /** Stream offset of the pending image's header (set when the decoder switched to image mode). */
  imageStart: number | undefined;
  closed = false;
  /** Bytes of lines recorded for this direction (counted only when the recorder measures them). */
  recorded = 0;
  /** Set once the recording cap was reached: later bytes are only counted. */
  capped = false;
  /** Bytes not recorded because of the cap, and how many of them a note has already stated. */
  dropped = 0;
  droppedStated = 0;
  /**
   * Past the cap the decoder goes on, storing nothing, to count the frames not recorded ("N bytes
   * in M frames"): a frame's objects are dropped as soon as they are counted, so a flood of `{}`
   * costs time linear in its bytes and no memory. Stops at the first bytes that are not a frame.
   */
  counter: FrameCounter | undefined;
  droppedFramesStated = 0;

  get counting(): boolean {
    return this.counter?.counting ?? true;
  }

  get droppedFrames(): number {
    return this.counter?.frames ?? 0;
  }

  constructor(limits: Partial<CodecLimits>) {
    this.decoder = new FrameDecoder(limits);
  }
}

/**
 * Records one TCP connection. `sent` is what the client wrote (c2s), `received` what the server wrote
 * (s2c). Bytes are decoded as they come, so events appear in the order the bytes were seen.
 */
export class ConnectionRecorder {
  readonly id: string;
  readonly #recorder: TranscriptRecorder;
  readonly #c2s: DirectionState;
  readonly #s2c: DirectionState;
  #awaitingReady = false;
  #connected = false;
  #attachNext: string[] = [];
  #last: TranscriptEvent | undefined;

  constructor(recorder: TranscriptRecorder, id: string) {
    this.#recorder = recorder;
    this.id = id;
    this.#c2s = new DirectionState(recorder.options.limits);
    this.#s2c = new DirectionState(recorder.options.limits);
  }

  /** The last event recorded on this connection. */
  get lastEvent(): TranscriptEvent | undefined {
    return this.#last;
  }

  /** Whether the client side is now expected to send an image (the server said ready). */
  get imageMode(): boolean {
    return this.#c2s.decoder.pendingImage !== undefined;
  }

  get isClosed(): boolean {
    return this.#c2s.closed && this.#s2c.closed;
  }

  connected(note?: string): TranscriptEvent {
    this.#connected = true;
    return this.#emit({ kind: 'connect', ...(note !== undefined ? { note } : {}) });
  }

  /** Bytes the client wrote to the server. */
  sent(bytes: Buffer | Uint8Array): void {
    this.#feed('c2s', this.#c2s, bytes);
  }

  /** Bytes the server wrote to the client. */
  received(bytes: Buffer | Uint8Array): void {
    this.#feed('s2c', this.#s2c, bytes);
  }

  /**
   * The stream in direction `dir` ended (c2s: the client closed or half-closed; s2c: the server did).
   * Bytes of a half-read frame become a `raw` event. Calling it again for the same direction is a no-op,
   * since sockets report an end in more than one way.
   */
  closed(dir: Direction, reason?: string, options: { synthetic?: boolean } = {}): TranscriptEvent | undefined {
    const state = this.#state(dir);
    if (state.closed) return undefined;
    if (state.capped) this.#stateDropped(dir, state);
    else this.#flush(dir, state);
    state.closed = true;
    return this.#emit({
      kind: 'close',
      dir,
      ...(reason !== undefined ? { note: reason } : {}),
      // A close the recording side caused or made up (the recording ended) says nothing about the peer.
      ...(options.synthetic ? { synthetic: true as const } : {}),
    });
  }

  /** A wait for the peer ran out (by default a wait for the server). */
  timeout(note?: string, dir: Direction = 's2c'): TranscriptEvent {
    return this.#emit({ kind: 'timeout', dir, ...(note !== undefined ? { note } : {}) });
  }

  note(text: string, requirements?: readonly string[]): TranscriptEvent {
    return this.#emit({
      kind: 'note',
      note: text,
      ...(requirements && requirements.length > 0 ? { requirements: [...requirements] } : {}),
    });
  }

  /**
   * Attach requirement IDs to the last event of this connection (`'last'`, the default: a check
   * judging the reply just received) or to the next one (`'next'`: a check about to send). With no
   * event yet, `'last'` falls back to the next one.
   */
  attach(requirements: readonly string[], position: 'last' | 'next' = 'last'): void {
    if (requirements.length === 0) return;
    if (position === 'last' && this.#last) {
      this.#last.requirements = mergeIds(this.#last.requirements, requirements);
    } else {
      this.#attachNext = mergeIds(this.#attachNext, requirements) ?? [];
    }
  }

  /** @internal flush both directions and close what is still open */
  finish(reason: string): void {
    if (!this.#connected && this.#c2s.tape.end === 0 && this.#s2c.tape.end === 0) return;
    if (!this.#c2s.closed) this.closed('c2s', reason, { synthetic: true });
    if (!this.#s2c.closed) this.closed('s2c', reason, { synthetic: true });
  }

  #state(dir: Direction): DirectionState {
    return dir === 'c2s' ? this.#c2s : this.#s2c;
  }

  #emit(body: EventBody): TranscriptEvent {
    if (this.#attachNext.length > 0) {
      body = { ...body, requirements: mergeIds(body.requirements, this.#attachNext) };
      this.#attachNext = [];
    }
    const { event, bytes } = this.#recorder.emit(this.id, body);
    if (body.dir !== undefined) this.#state(body.dir).recorded += bytes;
    this.#last = event;
    return event;
  }

  #feed(dir: Direction, state: DirectionState, bytes: Buffer | Uint8Array): void {
    if (state.closed) {
      throw new RecorderStateError(`connection ${this.id}: bytes recorded in direction ${dir} after it closed`);
    }
    if (bytes.length === 0) return;
    const chunk = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (state.capped) {
      state.dropped += bytes.length;
      this.#countDropped(state, chunk);
      return;
    }
    state.tape.push(chunk);
    if (state.brokenBy) {
      this.#emitRawTail(dir, state, undefined);
    } else {
      state.decoder.push(chunk);
      this.#drain(dir, state);
    }
    this.#capIfFull(dir, state);
  }

  /**
   * Past its cap a direction stops decoding and storing: what is held (a half-read frame) and every
   * later byte only count, and notes say so, so the recording stays valid and honest about its gap.
   */
  #capIfFull(dir: Direction, state: DirectionState): boolean {
    const { maxRecordedBytes } = this.#recorder.options;
    const full = state.recorded >= maxRecordedBytes || this.#recorder.overTotalCap;
    if (state.capped || !full) return state.capped;
    state.capped = true;
    state.dropped = state.tape.end - state.accounted;
    // What is held is a frame's start (whole frames were recorded): count from the decoder's bytes
    // on. A broken stream or an image in flight cannot be counted in frames.
    const held = state.tape.slice(state.accounted, state.tape.end);
    state.counter = new FrameCounter();
    if (state.brokenBy || state.decoder.pendingImage !== undefined) state.counter.counting = false;
    state.counter.push(held);
    state.decoder = new FrameDecoder(this.#recorder.options.limits);
    state.tape.discardBefore(state.tape.end);
    state.accounted = state.tape.end;
    state.droppedStated = state.dropped;
    state.droppedFramesStated = state.droppedFrames;
    const heldFrames = state.counting ? ` (${state.droppedFrames} frames)` : '';
    const which = state.recorded >= maxRecordedBytes ? `${maxRecordedBytes} bytes for ${dir} on this connection` : 'the whole recording';
    this.#emit({
      kind: 'note',
      dir,
      dropped: state.dropped,
      note: `recording cap reached (${which}): ${state.dropped} held bytes${heldFrames} and every later ${dir} byte are not recorded`,
    });
    return true;
  }

  #countDropped(state: DirectionState, chunk: Buffer): void {
    state.counter?.push(chunk);
  }

  /** Bytes and whole frames of `dir` seen past the cap (frames: undefined once the stream stopped being frames). */
  droppedOf(dir: Direction): { bytes: number; frames: number; allFrames: boolean } {
    const state = this.#state(dir);
    return { bytes: state.dropped, frames: state.droppedFrames, allFrames: state.counting };
  }

  /** The bytes dropped since the last note about them, stated before the direction's close. */
  #stateDropped(dir: Direction, state: DirectionState): void {
    const more = state.dropped - state.droppedStated;
    if (more <= 0) return;
    const frames = state.droppedFrames - state.droppedFramesStated;
    state.droppedStated = state.dropped;
    state.droppedFramesStated = state.droppedFrames;
    const inFrames = state.counting ? ` in ${frames} frames` : frames > 0 ? ` (${frames} frames, then bytes that are not frames)` : '';
    this.#emit({ kind: 'note', dir, dropped: more, note: `${more} bytes${inFrames} not recorded: cap reached (${state.dropped} in all for ${dir})` });
  }

  #drain(dir: Direction, state: DirectionState): void {
    for (;;) {
      let frame: Frame | undefined;
      try {
        frame = state.decoder.next();
      } catch (error) {
        if (!isCodecError(error)) throw error;
        state.brokenBy = { code: error.code, offset: error.offset ?? state.accounted };
        this.#announcePendingImage(dir, state);
        this.#emitRawTail(dir, state, error);
        return;
      }
      if (!frame) break;
      if (frame.kind === 'json') this.#onJson(dir, state, frame);
      else this.#onImage(dir, state, frame);
      // One chunk may hold thousands of frames: the cap is checked per frame, not per chunk.
      if (this.#capIfFull(dir, state)) return;
    }
    this.#announcePendingImage(dir, state);
  }

  #onJson(dir: Direction, state: DirectionState, frame: Extract<Frame, { kind: 'json' }>): void {
    // Offsets come from our own tape, not frame.offset: the decoder only skips whitespace between
    // objects, so the object starts at the first non-whitespace byte after the last event (and the
    // codec's offsets drift after an image payload, see recorder.test.ts).
    const start = state.accounted + leadingWhitespace(state.tape, state.accounted);
    this.#emitGap(dir, state, start);
    state.accounted = start + frame.raw.length;
    state.tape.discardBefore(state.accounted);
    this.#emit({ kind: 'json', dir, ...bytesFields(frame.raw), json: frame.value });
    if (dir === 'c2s') {
      if (carriesImage(frame.value)) this.#awaitingReady = true;
    } else if (this.#awaitingReady) {
      // The first reply to an image-carrying request decides: "ready" means the image follows
      // (IMG-1); anything else (an error) means the client must not send it (CLNT-1).
      this.#awaitingReady = false;
      if (frame.value.status === 'ready' && !this.#c2s.brokenBy && !this.#c2s.closed && !this.#c2s.capped) {
        try {
          this.#c2s.decoder.expectImage();
          // The decoder has skipped the whitespace it held; the header starts after it.
          this.#c2s.imageStart = this.#c2s.accounted + leadingWhitespace(this.#c2s.tape, this.#c2s.accounted);
        } catch (error) {
          // The client already started another JSON message: it did not wait for ready (CLNT-1).
          // The decoder keeps reading JSON, and the image bytes will show as raw bytes.
          this.#emit({ kind: 'note', note: `image expected but not decodable: ${(error as Error).message}`, requirements: ['CLNT-1'] });
          return;
        }
        this.#drain('c2s', this.#c2s);
      }
    }
  }

  #onImage(dir: Direction, state: DirectionState, frame: Extract<Frame, { kind: 'image' }>): void {
    const start = state.imageStart ?? state.accounted;
    if (!state.announcedImage) {
      this.#emitGap(dir, state, start);
      this.#emit({ kind: 'image-length', dir, base64: frame.header.toString('base64'), length: frame.length });
    }
    state.announcedImage = false;
    state.imageStart = undefined;
    state.accounted = start + frame.header.length + frame.data.length;
    state.tape.discardBefore(state.accounted);
    const sha256 = createHash('sha256').update(frame.data).digest('hex');
    const preview =
      frame.data.length <= this.#recorder.options.previewMaxBytes ? { preview: frame.data.toString('base64') } : {};
    this.#emit({ kind: 'image-bytes', dir, length: frame.data.length, sha256, ...preview });
  }

  /**
   * Emit image-length as soon as the 8-byte header is in, not when the last image byte arrives, so a
   * sender that stalls mid-image shows what it announced, in time order.
   */
  #announcePendingImage(dir: Direction, state: DirectionState): void {
    const pending = state.decoder.pendingImage;
    if (state.announcedImage || !pending || pending.length === undefined) return;
    state.announcedImage = true;
    const headerAt = state.imageStart ?? state.accounted;
    this.#emitGap(dir, state, headerAt);
    const header = state.tape.slice(headerAt, headerAt + IMAGE_HEADER_BYTES);
    state.accounted = headerAt + IMAGE_HEADER_BYTES;
    state.tape.discardBefore(state.accounted);
    this.#emit({ kind: 'image-length', dir, base64: header.toString('base64'), length: pending.length });
  }

  /** Bytes between the last event and a frame: whitespace the codec skipped (FRAME-5). */
  #emitGap(dir: Direction, state: DirectionState, until: number): void {
    if (until <= state.accounted) return;
    const gap = state.tape.slice(state.accounted, Math.min(until, state.tape.end));
    state.accounted = until;
    state.tape.discardBefore(until);
    this.#emit({ kind: 'raw', dir, ...bytesFields(gap), note: 'bytes between messages (whitespace)' });
  }

  /** Everything held but not attributed becomes one raw event (stored in full up to rawMaxBytes). */
  #emitRawTail(dir: Direction, state: DirectionState, error: CodecLikeError | undefined): void {
    const from = state.accounted;
    const to = state.tape.end;
    if (to <= from) return;
    const bytes = state.tape.slice(from, to);
    state.accounted = to;
    state.tape.discardBefore(to);
    const limit = this.#recorder.options.rawMaxBytes;
    const stored = bytes.length > limit ? bytes.subarray(0, limit) : bytes;
    const notes: string[] = [];
    if (error) notes.push(error.message);
    else if (state.brokenBy) notes.push(`not decoded: the stream broke at offset ${state.brokenBy.offset} (${state.brokenBy.code})`);
    if (stored.length < bytes.length) notes.push(`first ${stored.length} of ${bytes.length} bytes stored`);
    this.#emit({
      kind: 'raw',
      dir,
      ...bytesFields(stored),
      ...(stored.length < bytes.length
        ? { length: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }
        : {}),
      ...(error ? { error: error.code } : {}),
      ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
    });
  }

  #flush(dir: Direction, state: DirectionState): void {
    if (state.brokenBy) {
      this.#emitRawTail(dir, state, undefined);
      return;
    }
    try {
      state.decoder.end();
    } catch (error) {
      if (!isCodecError(error)) throw error;
      this.#announcePendingImage(dir, state);
      state.brokenBy = { code: error.code, offset: error.offset ?? state.accounted };
      this.#emitRawTail(dir, state, error);
      return;
    }
    // A clean end can still leave whitespace after the last message.
    if (state.tape.end > state.accounted) {
      const bytes = state.tape.slice(state.accounted, state.tape.end);
      state.accounted = state.tape.end;
      state.tape.discardBefore(state.accounted);
      this.#emit({ kind: 'raw', dir, ...bytesFields(bytes), note: 'bytes after the last message (whitespace)' });
    }
  }
}

const WHITESPACE = new Set([0x20, 0x0a, 0x0d, 0x09]);

/** How many JSON whitespace bytes the tape holds from `offset` on. */
function leadingWhitespace(tape: ByteTape, offset: number): number {
  let n = 0;
  const end = tape.end;
  // Whitespace runs are short in practice; slice in small steps rather than copying the whole tail.
  while (offset + n < end) {
    const window = tape.slice(offset + n, Math.min(end, offset + n + 64));
    let i = 0;
    while (i < window.length && WHITESPACE.has(window[i]!)) i += 1;
    n += i;
    if (i < window.length) break;
  }
  return n;
}

function mergeIds(existing: readonly string[] | undefined, more: readonly string[]): string[] | undefined {
  const merged = [...(existing ?? [])];
  for (const id of more) if (!merged.includes(id)) merged.push(id);
  return merged.length > 0 ? merged : undefined;
}
