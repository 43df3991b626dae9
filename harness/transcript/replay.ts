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

export async function replayTranscript(expected: Transcript, options: ReplayOptions): Promise<ReplayResult> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const recorder = new TranscriptRecorder({
    source: `replay of ${expected.header.source}`,
    title: expected.header.title ?? expected.header.source,
    target: `${options.host}:${options.port}`,
  });
  const warnings: string[] = [];
  const live = new Map<string, Live>();
  const progress = expectedProgress(expected.events);
  const images = options.imageDirs && options.imageDirs.length > 0 ? await imageIndex(options.imageDirs) : new Map<string, string>();
  let replaced = false;
  let stoppedAt: ReplayResult['stoppedAt'];
  let finished = false;

  const attach = (conn: string, socket: Socket): Live => {
    const state: Live = { socket, rec: recorder.connection(conn), jsonSeen: 0, brokenOrClosed: false, closedByServer: false, wake: undefined };
    const poke = (): void => state.wake?.();
    socket.on('data', (chunk: Buffer) => {
      if (finished) return;
      const from = recorder.events.length;
      state.rec.received(chunk);
      for (const event of recorder.events.slice(from)) {
        if (event.conn !== conn || event.dir !== 's2c') continue;
        if (event.kind === 'json') state.jsonSeen += 1;
        if (event.kind === 'raw' && event.error) state.brokenOrClosed = true;
      }
      poke();
    });
    socket.on('end', () => {
      if (!finished) state.rec.closed('s2c', 'server sent FIN');
      state.brokenOrClosed = true;
      state.closedByServer = true;
      poke();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!finished) state.rec.closed('s2c', `server connection error: ${error.code ?? error.message}`);
      state.brokenOrClosed = true;
      state.closedByServer = true;
      poke();
    });
    live.set(conn, state);
    return state;
  };

  /** Wait until every connection has seen what the recording had seen before event `index`. */
  const catchUp = async (index: number): Promise<boolean> => {
    const want = progress[index]!;
    for (const [conn, target] of want) {
      const state = live.get(conn);
      if (!state) continue;
      const satisfied = (): boolean =>
        (state.jsonSeen >= target.json || state.brokenOrClosed) && (!target.closed || state.closedByServer);
      if (satisfied()) continue;
      const ok = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          state.wake = undefined;
          resolve(false);
        }, timeoutMs);
        state.wake = () => {
          if (!satisfied()) return;
          clearTimeout(timer);
          state.wake = undefined;
          resolve(true);
        };
      });
      if (!ok) {
        const waitingFor = target.closed && state.jsonSeen >= target.json
          ? 'the server to close the connection'
          : `server message ${state.jsonSeen + 1} of ${target.json}`;
        state.rec.timeout(`replay waited ${timeoutMs} ms for ${waitingFor}`);
        stoppedAt = { conn, index, waitingFor };
        return false;
      }
    }
    return true;
  };

  const write = (state: Live, bytes: Buffer): Promise<void> =>
    new Promise((resolve) => {
      if (state.socket.destroyed || state.socket.writableEnded) {
        resolve();
        return;
      }
      state.socket.write(bytes, () => resolve());
    });

  try {
    for (let index = 0; index < expected.events.length; index += 1) {
      const event = expected.events[index]!;
      if (event.kind === 'connect') {
        if (!(await catchUp(index))) break;
        const socket = await openSocket(options.host, options.port, connectTimeoutMs);
        const state = attach(event.conn, socket);
        state.rec.connected(event.note);
        continue;
      }
      if (event.dir !== 'c2s' || event.synthetic) continue;
      const state = live.get(event.conn);
      if (!state) {
        // A harness transcript may start sending without a connect event: open the connection now.
        if (event.kind === 'close' || event.kind === 'timeout') continue;
        const socket = await openSocket(options.host, options.port, connectTimeoutMs);
        attach(event.conn, socket).rec.connected();
      }
      const current = live.get(event.conn)!;
      if (event.kind === 'timeout') continue;
      if (!(await catchUp(index))) break;
      if (event.kind === 'close') {
        current.rec.closed('c2s', event.note ?? 'client closed');
        current.socket.end();
        continue;
      }
      let bytes: Buffer | undefined;
      if (event.kind === 'image-bytes') {
        bytes = await imageBytes(event, images, warnings);
        if (event.preview === undefined) replaced = true;
      } else {
        bytes = eventBytes(event);
      }
      if (!bytes || current.socket.destroyed || current.socket.writableEnded) continue;
      current.rec.sent(bytes);
      await write(current, bytes);
    }
    if (!stoppedAt) await catchUp(expected.events.length);
  } finally {
    finished = true;
    recorder.finish('replay ended');
    for (const state of live.values()) state.socket.destroy();
  }

  const actual = recorder.transcript();
  const result = compareTranscripts(expected, actual, {
    ...options.compare,
    imageHashes: options.compare?.imageHashes ?? !replaced,
    labels: options.compare?.labels ?? ['recorded', 'replayed'],
  });
  return { ...result, actual, warnings, stoppedAt, ok: result.ok && !stoppedAt };
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
