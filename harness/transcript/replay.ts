import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { dialTcp } from '../../spec/codec/index.ts';
import { compareTranscripts, type CompareOptions, type CompareResult } from './compare.ts';
import { eventBytes } from './event-bytes.ts';
import { TranscriptError } from './errors.ts';
import type { Transcript, TranscriptEvent } from './format.ts';
import { TranscriptRecorder, type ConnectionRecorder } from './recorder.ts';

// Replay drives the client side of a recorded conversation against a server and records what comes
// back with the same recorder, then compares the two transcripts. Events run in the recorded order
// across all connections, and before each client write the replay waits until the server has sent
// as many messages as it had at that point of the recording: that keeps cause before effect when one
// connection's request depends on another's (user2 accepts what user1 sent).

export class ReplayConnectError extends TranscriptError {
  constructor(message: string, cause?: unknown) {
    super('INSTANET_ERR_REPLAY_CONNECT', message, { cause });
  }
}

export interface ReplayOptions {
  host: string;
  port: number;
  /** Longest wait for one expected server message (or close). */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  /** Folders searched (by sha256) for images whose bytes the transcript did not keep. */
  imageDirs?: string[];
  compare?: CompareOptions;
}

export interface ReplayResult extends CompareResult {
  /** What the server did, as a transcript (save it to inspect or diff). */
  actual: Transcript;
  /** Things the replay could not reproduce exactly (stand-in image bytes...). */
  warnings: string[];
  /** Set when a wait ran out: the replay stopped there. */
  stoppedAt: { conn: string; index: number; waitingFor: string } | undefined;
}

interface Live {
  socket: Socket;
  rec: ConnectionRecorder;
  jsonSeen: number;
  brokenOrClosed: boolean;
  closedByServer: boolean;
  wake: (() => void) | undefined;
}

/** Per event index: how many s2c JSON messages each connection had received before it. */
function expectedProgress(events: readonly TranscriptEvent[]): Array<Map<string, { json: number; closed: boolean }>> {
  const running = new Map<string, { json: number; closed: boolean }>();
  const out: Array<Map<string, { json: number; closed: boolean }>> = [];
  const clientClosed = new Set<string>();
  for (const event of events) {
    out.push(new Map([...running].map(([k, v]) => [k, { ...v }])));
    if (event.kind === 'close' && event.dir === 'c2s') clientClosed.add(event.conn);
    if (event.dir !== 's2c') continue;
    const cur = running.get(event.conn) ?? { json: 0, closed: false };
    if (event.kind === 'json') cur.json += 1;
    // Same rule as the comparison: only a close the server made on its own is waited for.
    if (event.kind === 'close' && !event.synthetic && !clientClosed.has(event.conn)) cur.closed = true;
    running.set(event.conn, cur);
  }
  out.push(running);
  return out;
}

async function imageIndex(dirs: readonly string[]): Promise<Map<string, string>> {
  const index = new Map<string, string>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      throw new TranscriptError('INSTANET_ERR_REPLAY_IMAGES', `cannot read image folder ${dir}: ${(error as Error).message}`, { cause: error });
    }
    for (const name of names) {
      const file = join(dir, name);
      const info = await stat(file);
      if (!info.isFile() || info.size > 64 * 1024 * 1024) continue;
      const hash = createHash('sha256').update(await readFile(file)).digest('hex');
      if (!index.has(hash)) index.set(hash, file);
    }
  }
  return index;
}

function openSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return dialTcp(
    { host, port, timeoutMs, allowHalfOpen: true },
    {
      timeout: () => new ReplayConnectError(`no connection to ${host}:${port} within ${timeoutMs} ms`),
      error: (error) => new ReplayConnectError(`cannot connect to ${host}:${port}: ${error.code ?? error.message}`, error),
    },
  );
}

/**
 * One replay: the live connections to the server under test, recorded as they go. The replay sends
 * each client event only once every connection has seen what the recording had seen at that point,
 * so a slow server is waited for and a silent one is reported where it stopped.
 */
class ReplaySession {
  readonly recorder: TranscriptRecorder;
  readonly live = new Map<string, Live>();
  readonly warnings: string[] = [];
  stoppedAt: ReplayResult['stoppedAt'];
  /** An image was sent from a file found by hash, not from the recording's own bytes. */
  replaced = false;
  private finished = false;
  private readonly progress: ReturnType<typeof expectedProgress>;

  constructor(
    private readonly expected: Transcript,
    private readonly options: ReplayOptions,
    private readonly images: Map<string, string>,
  ) {
    this.recorder = new TranscriptRecorder({
      source: `replay of ${expected.header.source}`,
      title: expected.header.title ?? expected.header.source,
      target: `${options.host}:${options.port}`,
    });
    this.progress = expectedProgress(expected.events);
  }

  private get timeoutMs(): number {
    return this.options.timeoutMs ?? 5000;
  }

  async open(conn: string, note?: string): Promise<Live> {
    const socket = await openSocket(this.options.host, this.options.port, this.options.connectTimeoutMs ?? 5000);
    const state = this.attach(conn, socket);
    state.rec.connected(note);
    return state;
  }

  private attach(conn: string, socket: Socket): Live {
    const state: Live = { socket, rec: this.recorder.connection(conn), jsonSeen: 0, brokenOrClosed: false, closedByServer: false, wake: undefined };
    const poke = (): void => state.wake?.();
    socket.on('data', (chunk: Buffer) => {
      if (this.finished) return;
      const from = this.recorder.events.length;
      state.rec.received(chunk);
      for (const event of this.recorder.events.slice(from)) {
        if (event.conn !== conn || event.dir !== 's2c') continue;
        if (event.kind === 'json') state.jsonSeen += 1;
        if (event.kind === 'raw' && event.error) state.brokenOrClosed = true;
      }
      poke();
    });
    const serverEnded = (why: string): void => {
      if (!this.finished) state.rec.closed('s2c', why);
      state.brokenOrClosed = true;
      state.closedByServer = true;
      poke();
    };
    socket.on('end', () => serverEnded('server sent FIN'));
    socket.on('error', (error: NodeJS.ErrnoException) => serverEnded(`server connection error: ${error.code ?? error.message}`));
    this.live.set(conn, state);
    return state;
  }

  /** Waits until every connection has seen what the recording had seen before event `index`. */
  async catchUp(index: number): Promise<boolean> {
    for (const [conn, target] of this.progress[index]!) {
      const state = this.live.get(conn);
      if (!state) continue;
      const satisfied = (): boolean =>
        (state.jsonSeen >= target.json || state.brokenOrClosed) && (!target.closed || state.closedByServer);
      if (satisfied() || (await this.waitFor(state, satisfied))) continue;
      const waitingFor = target.closed && state.jsonSeen >= target.json
        ? 'the server to close the connection'
        : `server message ${state.jsonSeen + 1} of ${target.json}`;
      state.rec.timeout(`replay waited ${this.timeoutMs} ms for ${waitingFor}`);
      this.stoppedAt = { conn, index, waitingFor };
      return false;
    }
    return true;
  }

  private waitFor(state: Live, satisfied: () => boolean): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        state.wake = undefined;
        resolve(false);
      }, this.timeoutMs);
      state.wake = () => {
        if (!satisfied()) return;
        clearTimeout(timer);
        state.wake = undefined;
        resolve(true);
      };
    });
  }

  /** Plays one recorded event; false when the replay has to stop there. */
  async play(index: number): Promise<boolean> {
    const event = this.expected.events[index]!;
    if (event.kind === 'connect') {
      if (!(await this.catchUp(index))) return false;
      await this.open(event.conn, event.note);
      return true;
    }
    if (event.dir !== 'c2s' || event.synthetic || event.kind === 'timeout') return true;
    // A harness transcript may start sending without a connect event: open the connection now.
    if (!this.live.has(event.conn) && event.kind !== 'close') await this.open(event.conn);
    const current = this.live.get(event.conn);
    if (!current) return true;
    if (!(await this.catchUp(index))) return false;
    if (event.kind === 'close') {
      current.rec.closed('c2s', event.note ?? 'client closed');
      current.socket.end();
      return true;
    }
    const bytes = event.kind === 'image-bytes' ? await this.imageOf(event) : eventBytes(event);
    if (!bytes || current.socket.destroyed || current.socket.writableEnded) return true;
    current.rec.sent(bytes);
    await write(current, bytes);
    return true;
  }

  private async imageOf(event: TranscriptEvent): Promise<Buffer> {
    if (event.preview === undefined) this.replaced = true;
    return imageBytes(event, this.images, this.warnings);
  }

  finish(): void {
    this.finished = true;
    this.recorder.finish('replay ended');
    for (const state of this.live.values()) state.socket.destroy();
  }
}

function write(state: Live, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (state.socket.destroyed || state.socket.writableEnded) {
      resolve();
      return;
    }
    state.socket.write(bytes, () => resolve());
  });
}

export async function replayTranscript(expected: Transcript, options: ReplayOptions): Promise<ReplayResult> {
  const images = options.imageDirs && options.imageDirs.length > 0 ? await imageIndex(options.imageDirs) : new Map<string, string>();
  const session = new ReplaySession(expected, options, images);
  try {
    let index = 0;
    while (index < expected.events.length && (await session.play(index))) index += 1;
    if (!session.stoppedAt) await session.catchUp(expected.events.length);
  } finally {
    session.finish();
  }
  const actual = session.recorder.transcript();
  const result = compareTranscripts(expected, actual, {
    ...options.compare,
    imageHashes: options.compare?.imageHashes ?? !session.replaced,
    labels: options.compare?.labels ?? ['recorded', 'replayed'],
  });
  return { ...result, actual, warnings: session.warnings, stoppedAt: session.stoppedAt, ok: result.ok && !session.stoppedAt };
}

async function imageBytes(event: TranscriptEvent, images: Map<string, string>, warnings: string[]): Promise<Buffer> {
  if (event.preview !== undefined) return Buffer.from(event.preview, 'base64');
  const length = event.length ?? 0;
  const file = event.sha256 ? images.get(event.sha256) : undefined;
  if (file) {
    const data = await readFile(file);
    if (data.length === length) return data;
  }
  warnings.push(
    `${event.conn}: the transcript kept only the hash of a ${length}-byte image (sha256 ${event.sha256?.slice(0, 12) ?? '?'}); sent stand-in bytes of the same length (pass --images DIR holding the original to send it exactly)`,
  );
  // Deterministic filler, so two replays of one transcript send the same bytes.
  const filler = Buffer.alloc(length);
  for (let i = 0; i < length; i += 1) filler[i] = (i * 31 + 7) & 0xff;
  return filler;
}
