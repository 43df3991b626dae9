import type net from 'node:net';
import { CodecError, FrameSocket, PeerClosedError, ReadTimeoutError, dialTcp, type JsonObject } from '../../spec/codec/index.ts';
import { withDeadline } from '../base/deadline.ts';
import { OwnClock, waitInOwnTime, waitUntilQuiet, type ProgressProbe } from '../process/own-time.ts';
import { KitBusyError } from '../errors.ts';
import { StepFailure } from './step-failure.ts';
import type { SentKind, WireLog } from './wire-log.ts';

// One scenario client: a TCP connection with the spec's decoder on the read side and logged,
// optionally shaped, writes. Every way a server can let us down becomes a StepFailure with the
// bytes that prove it.

const ANSWER_GRACE_MS = 100;
/** Writes of at most this many pieces (a request written a byte at a time) wait for the server to settle between pieces (see #settled); the many pieces of a slow image do not. */
const SETTLE_MAX_PIECES = 256;
/** The most own time one settling waits. */
export const SETTLE_MAX_MS = 500;
/** A settling's cap on the clock, as a multiple of SETTLE_MAX_MS (own-time.ts's default for waits). */
const SETTLE_WALL_FACTOR = 20;
/**
 * What a server may push unasked before its connection is paused: a reply being read always flows,
 * but 8 MB of `{}` after each reply sat in every lane's decoder (issue 20: the grader at 574 MiB for
 * one such hand-in). Far above an honest server's unread bytes (none, or a reply or two).
 */
export const UNREAD_MAX_BYTES = 1024 * 1024;
/** How much of the server's own time, and of the clock, a wait took: as its failure says it. */
const ownSpent = (o: { ownMs: number; wallMs: number }) => `${Math.round(o.ownMs)} ms of the server's own time, ${Math.round(o.wallMs)} ms on the clock`;
/** A wait the machine starved past the clock's cap: the kit's failure, never the server's. */
const starved = (doing: string, spent: string) => new KitBusyError(`${doing}: the machine gave the server too little CPU to judge it (${spent})`);
const clip = (text: string, max = 400) => (text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text);
const showBytes = (b: Buffer) => (b.length ? clip(JSON.stringify(b.toString('utf8'))) : 'nothing');

export class ScenarioConnection {
  readonly #frames: FrameSocket;
  #closedByPeer = false;
  #closedWaiters: (() => void)[] = [];
  #bytesIn = 0;

  private constructor(
    readonly name: string,
    readonly socket: net.Socket,
    private readonly log: WireLog,
    private readonly progress: ProgressProbe | undefined,
  ) {
    socket.setNoDelay(true);
    if (socket.localPort !== undefined) log.clientPorts.add(socket.localPort);
    socket.on('data', (chunk: Buffer) => {
      this.#bytesIn += chunk.length;
      log.received(name, chunk);
    });
    const closed = (how: string) => {
      if (this.#closedByPeer) return;
      this.#closedByPeer = true;
      log.close(name, 's2c', how);
      for (const w of this.#closedWaiters.splice(0)) w();
    };
    socket.on('end', () => closed('the server closed the connection (FIN)'));
    socket.on('close', () => closed('connection closed'));
    socket.on('error', (error: NodeJS.ErrnoException) => closed(`connection error: ${error.code ?? error.message}`));
    this.#frames = new FrameSocket(socket, { highWaterBytes: UNREAD_MAX_BYTES });
  }

  /** progress: how to watch the server's own time (own-time.ts); without it a wait is wall-clock time. */
  static async open(name: string, host: string, port: number, timeoutMs: number, log: WireLog, progress?: ProgressProbe): Promise<ScenarioConnection> {
    const socket = await dialTcp(
      { host, port, timeoutMs },
      {
        timeout: () => new StepFailure('timeout', `a TCP connection to ${host}:${port}`, `not accepted within ${timeoutMs} ms`),
        error: (error) => new StepFailure('refused', `a TCP connection to ${host}:${port}`, `${error.code ?? error.message} (is the server running?)`),
      },
    );
    log.connect(name, `connected to ${host}:${port}`);
    return new ScenarioConnection(name, socket, log, progress);
  }

  get closedByPeer(): boolean {
    return this.#closedByPeer;
  }

  get bytesIn(): number {
    return this.#bytesIn;
  }

  /** Writes the pieces in order, pausing between them; a write to a closed connection fails the step. */
  async write(pieces: readonly Buffer[], delayMs: number, kind: SentKind, what: string): Promise<void> {
    if (pieces.length > 1) {
      const sizes = [...new Set(pieces.map((p) => p.length))];
      this.log.note(this.name, `${what}: written in ${pieces.length} pieces of ${sizes.length === 1 ? sizes[0] : sizes.join('/')} byte(s), ${delayMs} ms apart`);
    }
    const settle = this.progress !== undefined && pieces.length > 1 && pieces.length <= SETTLE_MAX_PIECES;
    for (let i = 0; i < pieces.length; i += 1) {
      const piece = pieces[i] as Buffer;
      if (i > 0 && delayMs > 0) await sleep(delayMs);
      if (i > 0 && settle) await this.#settled();
      this.log.sent(this.name, kind, piece);
      try {
        await this.#frames.write(piece);
      } catch (error) {
        const answer = await this.#answerBeforeClose();
        const closed = `the connection was closed by the server (${(error as Error).message})`;
        throw new StepFailure('closed', `to send ${what}`, answer ? `the server answered ${answer} and closed the connection before taking all of ${what}` : closed);
      }
    }
  }

  /**
   * write(), bounded: a server that stops reading costs `budgetMs` of its own time (own-time.ts),
   * never the case, and never a verdict from the wall clock while it was runnable but not scheduled.
   * Not called stuck early: a server that stopped reading is not provably unable to start again.
   */
  async writeWithin(pieces: readonly Buffer[], delayMs: number, kind: SentKind, what: string, budgetMs: number): Promise<void> {
    const writing = this.write(pieces, delayMs, kind, what);
    const notTaken = (spent: string) => new StepFailure('timeout', `the server to take ${what}`, `it stopped reading: not all ${pieces.reduce((n, p) => n + p.length, 0)} byte(s) were taken within ${spent}`);
    if (!this.progress) return withDeadline(writing, budgetMs, () => notTaken(`${budgetMs} ms`));
    writing.catch(() => undefined);
    const done = writing.then(() => true as const);
    const clock = new OwnClock(this.progress, budgetMs, { detectStuck: false });
    const outcome = await waitInOwnTime(clock, (sliceMs) => Promise.race([done, sleep(sliceMs).then(() => undefined)]));
    if (outcome.kind === 'value') return;
    const spent = `${Math.round(outcome.ownMs)} ms of the server's own time (${Math.round(outcome.wallMs)} ms on the clock)`;
    if (outcome.kind === 'kit-busy') throw starved(`writing ${what}`, spent);
    throw notTaken(spent);
  }

  async readJson(timeoutMs: number, expected: string): Promise<{ value: JsonObject; raw: Buffer }> {
    if (!this.progress) return this.#readJsonByWallClock(timeoutMs, expected);
    let lastTimeout: ReadTimeoutError | undefined;
    const clock = new OwnClock(this.progress, timeoutMs);
    const outcome = await waitInOwnTime(clock, (sliceMs) =>
      this.#frames.readJson(sliceMs).catch((error: unknown) => {
        if (!(error instanceof ReadTimeoutError)) throw this.#failure(error, expected, timeoutMs);
        lastTimeout = error;
        return undefined;
      }),
    );
    if (outcome.kind === 'value') return outcome.value;
    const partial = lastTimeout ? partialOf(lastTimeout) : '';
    const spent = ownSpent(outcome);
    if (outcome.kind === 'kit-busy') throw starved(`waiting for ${expected}`, spent);
    this.log.timeout(this.name, outcome.kind === 'stuck' ? `stuck: ${outcome.why}` : `no reply within ${timeoutMs} ms of the server's own time`);
    if (outcome.kind === 'stuck') throw new StepFailure('timeout', expected, `no reply, and none can come: ${outcome.why} (${spent})${partial}`, [], true);
    throw new StepFailure('timeout', expected, `no reply within ${timeoutMs} ms (${spent})${partial}`, [], true);
  }

  async #readJsonByWallClock(timeoutMs: number, expected: string): Promise<{ value: JsonObject; raw: Buffer }> {
    try {
      const { value, raw } = await this.#frames.readJson(timeoutMs);
      return { value, raw };
    } catch (error) {
      throw this.#failure(error, expected, timeoutMs);
    }
  }

  /**
   * The server closes the connection within `timeoutMs` of its own time (own-time.ts), else a
   * StepFailure: a server the machine starves is never failed for the delay, and one that provably
   * cannot close (every thread blocked on input with no timeout of its own, nothing in flight) fails
   * as soon as that is seen. An idle limit is a timed wait (poll, select, settimeout), so a server
   * that keeps one is waited for. Unwatched, the wall clock decides.
   */
  async expectClosed(timeoutMs: number): Promise<void> {
    const expected = 'the server to close the connection';
    const stillOpen = (spent: string) => `still open after ${spent} (${this.#bytesIn} byte(s) received)`;
    if (!this.progress) {
      if (await this.waitClosed(timeoutMs)) return;
      throw new StepFailure('timeout', expected, stillOpen(`${timeoutMs} ms`));
    }
    const outcome = await waitInOwnTime(new OwnClock(this.progress, timeoutMs), async (sliceMs) => ((await this.waitClosed(sliceMs)) ? true : undefined));
    if (outcome.kind === 'value') return;
    const spent = ownSpent(outcome);
    if (outcome.kind === 'kit-busy') throw starved(`waiting for ${expected}`, spent);
    if (outcome.kind === 'stuck') throw new StepFailure('timeout', expected, `still open, and no close can come: ${outcome.why} (${spent})`, [], true);
    throw new StepFailure('timeout', expected, stillOpen(`${timeoutMs} ms of its own time (${spent})`), [], true);
  }

  /** Resolves true when the server closes the connection within the time (on the clock), false otherwise. */
  waitClosed(timeoutMs: number): Promise<boolean> {
    if (this.#closedByPeer) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#closedWaiters = this.#closedWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#closedWaiters.push(done);
    });
  }

  halfClose(): void {
    this.log.close(this.name, 'c2s', 'half-close: client sent FIN');
    this.socket.end();
  }

  destroy(note = 'client closed the connection'): void {
    if (!this.socket.destroyed) {
      this.log.close(this.name, 'c2s', note);
      this.#frames.destroy();
    }
  }

  /**
   * Waits until the server has done all it can with what it has been sent: every thread blocked on
   * input, no CPU used (own-time.ts's quiet). A request split in two is meant to reach the server as
   * two reads; a fixed pause between the pieces makes that a matter of timing (on a busy machine the
   * server may first read after both arrived, and a single-recv defect goes unseen). Bounded: a
   * server that never settles (busy threads) gets the pieces after SETTLE_MAX_MS of its own time.
   */
  async #settled(): Promise<void> {
    if (this.progress) await waitUntilQuiet(this.progress, SETTLE_MAX_MS, SETTLE_WALL_FACTOR);
  }

  /**
   * A reply the server sent before it closed, while we were still writing: {"status": "error", ...}
   * is the server's own account of why, and says more than "connection closed". Only what is
   * already here is taken; the wait is short and bounded.
   */
  async #answerBeforeClose(): Promise<string | undefined> {
    try {
      const { raw } = await this.#frames.readJson(ANSWER_GRACE_MS);
      return clip(raw.toString('utf8'));
    } catch {
      return undefined;
    }
  }

  #failure(error: unknown, expected: string, timeoutMs: number): Error {
    if (error instanceof ReadTimeoutError) {
      this.log.timeout(this.name, error.message);
      return new StepFailure('timeout', expected, `no reply within ${timeoutMs} ms${partialOf(error)}`);
    }
    if (error instanceof PeerClosedError) {
      const partial = error.bytes.length ? ` after ${error.bytes.length} byte(s) of an unfinished message: ${showBytes(error.bytes)}` : '';
      const cause = (error.cause as NodeJS.ErrnoException | undefined)?.code;
      return new StepFailure('closed', expected, `the server closed the connection${cause ? ` (${cause})` : ''}${partial}`);
    }
    if (error instanceof CodecError) {
      return new StepFailure('mismatch', expected, `bytes that are not a JSON object (${error.code}): ${showBytes(error.bytes)}`);
    }
    return error as Error;
  }
}

const partialOf = (error: ReadTimeoutError) =>
  error.bytes.length ? `; ${error.bytes.length} byte(s) of an unfinished message: ${showBytes(error.bytes)}` : '';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
