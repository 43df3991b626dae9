import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { rm } from 'node:fs/promises';
import { mib, watchQuota, type QuotaLimits } from '../../process/disk-quota.ts';
import { OwnClock, waitInOwnTime, type ProgressProbe } from '../../process/own-time.ts';
import { spawnGroup, type GroupProcess } from '../../process/process-groups.ts';
import { treeProbe } from '../../process/tree-probe.ts';
import { analyseFraming, type EncodedImage, type ImageEncoder } from '../../runner/image-framing.ts';
import { InstaNetError, KitBusyError } from '../../errors.ts';

// The server half's stand-in for the student's own client: in the course app only the student's
// send_image writes the bytes their receive_image reads, so the kit asks their send_image (in the
// student runner, student_runner.py's encode_image, inside the sandbox) what to send, once per image.

export class StudentEncoderError extends InstaNetError<'INSTANET_ERR_STUDENT_ENCODER'> {
  constructor(message: string) {
    super('INSTANET_ERR_STUDENT_ENCODER', message);
  }
}

export interface StudentImageEncoderOptions {
  /** The command that runs student_runner.py (sandboxed by the caller, or plain for `instanet test --cwd`). */
  argv: readonly string[];
  cwd: string;
  /** The folder the runner imports socket_utils.py from, as the runner sees it. */
  submissionDir: string;
  /**
   * How much of the runner's own time (harness/process/own-time.ts) one request may take: its start
   * and import, or one send_image. Past it, send_image is the student's to blame and the reference
   * framing stands in; a machine too busy to give the runner that much is the kit's (KitBusyError).
   */
  callTimeoutMs?: number;
  /** The wall clock past which a starved runner is the kit's failure (default: own-time.ts's cap, at least 60 s). */
  wallCapMs?: number;
  /**
   * The runner's folder may hold this much (the grader: the rubric's disk limits, as for the server
   * and the client half); past it the runner is stopped, its folder emptied, and the reference framing
   * stands in for the rest of the run.
   */
  quota?: { dirs: readonly string[]; limits: QuotaLimits };
}

/** An answer line this long is no answer (a 2 MiB image is under 3 MB of Base64). */
const MAX_ANSWER_CHARS = 96 * 1024 * 1024;

interface Pending {
  nonce: string;
  resolve: (answer: Record<string, unknown>) => void;
}

/**
 * One runner per submission, started on the first image and stopped by close(). Every image is
 * framed once (the scenarios reuse a handful of sizes); a send_image that fails or hangs fails that
 * image's encode, and the step falls back to the reference framing (verify-image-exchange.ts).
 */
export class StudentImageEncoder implements ImageEncoder {
  readonly source = "the student's send_image";
  #process: GroupProcess | undefined;
  /** Watches the runner's process tree for its own time (own-time.ts); one per runner. */
  #probe: ProgressProbe | undefined;
  #ready: Promise<void> | undefined;
  #next = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #cache = new Map<string, Promise<EncodedImage>>();
  #closed = false;
  /** Set when the runner was stopped for writing past its quota (for the grade's incidents). */
  incident: string | undefined;
  #watch: { stop: () => void } | undefined;
  /** The framing of the largest image framed (an empty one says least), for the report's informational line. */
  lastFraming: string | undefined;
  #largest = -1;

  constructor(private readonly options: StudentImageEncoderOptions) {}

  encode(image: Buffer): Promise<EncodedImage> {
    const key = `${image.length}:${image.subarray(0, 64).toString('hex')}:${image.subarray(-64).toString('hex')}`;
    let framed = this.#cache.get(key);
    if (!framed) {
      framed = this.#frame(image);
      this.#cache.set(key, framed);
      // The kit's failure is not the framing's answer: the next image of this size asks again.
      framed.catch((error: unknown) => {
        if (error instanceof KitBusyError) this.#cache.delete(key);
      });
    }
    return framed;
  }

  async #frame(image: Buffer): Promise<EncodedImage> {
    await this.#start();
    const timeout = this.options.callTimeoutMs ?? 20_000;
    const answer = await this.#request({ op: 'encode_image', image: image.toString('base64'), gap: Math.max(1, Math.round(timeout / 4000)) }, timeout);
    if (answer.ok !== true) throw new StudentEncoderError(`send_image failed: ${describeError(answer.error)}`);
    const value = answer.value as { $b64?: unknown } | undefined;
    if (typeof value?.$b64 !== 'string') throw new StudentEncoderError('the runner gave no bytes for send_image');
    const encoded = analyseFraming(image, Buffer.from(value.$b64, 'base64'));
    if (image.length > this.#largest) {
      this.#largest = image.length;
      this.lastFraming = encoded.framing;
    }
    return encoded;
  }

  #start(): Promise<void> {
    if (!this.#ready) {
      const ready = this.#spawn();
      this.#ready = ready;
      // A runner the machine starved before it imported the hand-in is started afresh next time.
      ready.catch((error: unknown) => {
        if (!(error instanceof KitBusyError) || this.#ready !== ready) return;
        this.#ready = undefined;
        void this.#stopRunner();
      });
    }
    return this.#ready;
  }

  async #spawn(): Promise<void> {
    if (this.#closed) throw new StudentEncoderError('the encoder is closed');
    const proc = spawnGroup(this.options.argv, { cwd: this.options.cwd, stdin: 'pipe' });
    this.#process = proc;
    this.#probe = treeProbe({ pid: () => proc.pid, running: () => proc.exit() === undefined });
    proc.child.stderr?.resume();
    proc.child.stdin?.on('error', () => undefined);
    proc.child.stdout?.on('data', boundedLines(MAX_ANSWER_CHARS, (line) => this.#answer(line)));
    void proc.exited.then(() => {
      if (this.#process === proc) this.#failAll('the student runner exited');
    });
    const quota = this.options.quota;
    if (quota) {
      this.#watch = watchQuota(quota.dirs, quota.limits, (breach) => {
        this.incident = `image framing: the student runner (send_image) wrote past its disk quota (${breach.kind === 'bytes' ? `${mib(breach.limit)} MiB` : `${breach.limit} files`}); it was stopped and the reference framing stood in`;
        proc.signal('SIGKILL');
        for (const dir of quota.dirs) void rm(dir, { recursive: true, force: true }).catch(() => undefined);
      });
    }
    const imported = await this.#request({ op: 'import', dir: this.options.submissionDir }, this.options.callTimeoutMs ?? 20_000);
    if (imported.ok !== true) throw new StudentEncoderError(`socket_utils.py could not be imported: ${describeError(imported.error)}`);
  }

  #answer(line: string): void {
    let answer: Record<string, unknown>;
    try {
      answer = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // anything else in the pipe is not an answer
    }
    const id = typeof answer.id === 'number' ? answer.id : undefined;
    const pending = id === undefined ? undefined : this.#pending.get(id);
    // The nonce is given to the runner with the request only: a forged line never matches.
    if (!pending || answer.nonce !== pending.nonce || id === undefined) return;
    this.#pending.delete(id);
    pending.resolve(answer);
  }

  /**
   * One request, answered within `budgetMs` of the runner's own time. The wall clock alone decides
   * nothing: a runner the machine starves (a loaded CI box took over 20 s to import a hand-in) is
   * waited for, and one starved past the clock's cap is the kit's failure, never a fallback framing
   * that the student's receive_image cannot read.
   */
  async #request(fields: Record<string, unknown>, budgetMs: number): Promise<Record<string, unknown>> {
    const proc = this.#process;
    const probe = this.#probe;
    const stdin = proc?.child.stdin;
    if (!proc || !probe || !stdin || this.#closed) throw new StudentEncoderError('the student runner is not running');
    const id = this.#next++;
    const nonce = randomBytes(18).toString('base64');
    const answered = new Promise<Record<string, unknown>>((resolve) => this.#pending.set(id, { nonce, resolve }));
    stdin.write(`${JSON.stringify({ id, nonce, ...fields })}\n`);
    const cap = this.options.wallCapMs;
    const clock = new OwnClock(probe, budgetMs, { detectStuck: false, ...(cap !== undefined ? { wallCapMs: cap } : {}) });
    const outcome = await waitInOwnTime(clock, (sliceMs) => Promise.race([answered, sleep(sliceMs, undefined)]));
    if (outcome.kind === 'value') return outcome.value;
    this.#pending.delete(id);
    const spent = `${Math.round(outcome.ownMs)} ms of its own time, ${Math.round(outcome.wallMs)} ms on the clock`;
    if (outcome.kind === 'kit-busy') throw new KitBusyError(`the student runner (${String(fields.op)}): the machine gave it too little CPU to finish (${spent})`);
    throw new StudentEncoderError(`no answer from the student runner within ${Math.round(budgetMs / 1000)} s of its own time (${String(fields.op)}; ${spent})`);
  }

  #failAll(why: string): void {
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.resolve({ ok: false, error: { type: 'RunnerExited', message: why } });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#stopRunner();
    this.#failAll('the encoder was closed');
  }

  /** Kills the runner's whole group and waits (at most 3 s) for it to go. */
  async #stopRunner(): Promise<void> {
    this.#watch?.stop();
    this.#watch = undefined;
    const proc = this.#process;
    if (!proc) return;
    this.#process = undefined;
    proc.child.stdin?.end();
    proc.signal('SIGKILL');
    await Promise.race([proc.exited, sleep(3000, undefined, { ref: false })]);
    proc.release();
  }
}

function describeError(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const e = error as { type?: unknown; message?: unknown };
  return `${String(e.type ?? 'Error')}: ${String(e.message ?? '')}`.slice(0, 300);
}

/**
 * Splits a stream into lines, never holding more than `max` bytes: student code shares the runner's
 * process and may write anything into its answer pipe, so an overlong line is dropped as it comes.
 */
export function boundedLines(max: number, onLine: (line: string) => void): (chunk: Buffer) => void {
  let held: Buffer[] = [];
  let size = 0;
  let dropping = false;
  return (chunk) => {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      if (!dropping && size + piece.length <= max) onLine(Buffer.concat([...held, piece]).toString('utf8'));
      held = [];
      size = 0;
      dropping = false;
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (dropping || rest.length === 0) return;
    if (size + rest.length > max) {
      held = [];
      size = 0;
      dropping = true;
      return;
    }
    held.push(Buffer.from(rest));
    size += rest.length;
  };
}
