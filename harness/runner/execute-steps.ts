import type { ZodTypeAny } from 'zod';
import { encodeImageHeader, encodeJson, type JsonObject, type JsonValue } from '../../spec/codec/index.ts';
import { isAction, REPLY_TEXT, ReplyEnvelope, replySchema } from '../../spec/messages/index.ts';
import type { LoadedScenario } from '../scenarios/loader.ts';
import type { Hint, Step } from '../scenarios/format.ts';
import { ScenarioConnection, sleep } from './connection.ts';
import { checkFiles } from './file-checks.ts';
import { imageBytes } from './images.ts';
import { describePattern, match, splitRaw } from './matchers.ts';
import { chunks, shapePieces } from './shaping.ts';
import { StepFailure } from './step-failure.ts';
import { expand, type Clock } from './templates.ts';
import type { WireLog } from './wire-log.ts';

// Runs a scenario's steps against one server. A step either completes or throws: StepFailure
// (the server did not do what the spec asks), CaseSkip (cannot be judged here) or anything else
// (a harness bug, reported as ERROR).

export interface StepContext {
  scenario: LoadedScenario;
  host: string;
  port: number;
  dataDir: string | undefined;
  timeoutMs: number;
  password: string;
  clock: Clock;
  wire: WireLog;
  log: string[];
  conns: Map<string, ScenarioConnection>;
  lastImage: Buffer | undefined;
  /** The hint of the step that failed last (set just before a StepFailure leaves a step). */
  failedStepHint?: Hint;
  failedStep?: string;
}

const summary = (value: unknown) => {
  const text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
};

function clientOf(step: Step, ctx: StepContext): string {
  return step.client ?? (Object.keys(ctx.scenario.clients)[0] as string);
}

function describeStep(step: Step, index: string, client: string): string {
  if (step.label) return `${index} (${step.label})`;
  const what = step.send
    ? `${String(step.send.action ?? 'request')}${step.image ? ' + image' : ''}`
    : step.raw ? 'raw bytes'
    : step.eventually ? `eventually ${String(step.eventually.send.action ?? '')}`
    : step.concurrent ? `${step.concurrent.clients} concurrent clients`
    : step.files ? 'data files'
    : step.parallel ? 'parallel'
    : step.expectClosed ? 'expect closed'
    : step.expectNoReply !== undefined ? 'expect no reply'
    : step.expect !== undefined ? 'next reply'
    : Object.keys(step).filter((k) => k !== 'client' && k !== 'timeout' && k !== 'hint')[0] ?? 'step';
  return `${index} (${client}: ${what})`;
}

export async function connection(ctx: StepContext, name: string, timeoutMs: number): Promise<ScenarioConnection> {
  const existing = ctx.conns.get(name);
  if (existing) return existing;
  const conn = await ScenarioConnection.open(name, ctx.host, ctx.port, timeoutMs, ctx.wire);
  ctx.conns.set(name, conn);
  const user = ctx.scenario.clients[name]?.login;
  if (user) await login(ctx, conn, user, ctx.scenario.clients[name]?.password ?? ctx.password, timeoutMs);
  return conn;
}

async function login(ctx: StepContext, conn: ScenarioConnection, user: string, password: string, timeoutMs: number): Promise<void> {
  const request = { action: 'login', username: user, password };
  await conn.write([encodeJson(request)], 0, 'json', 'the login request');
  const reply = await conn.readJson(timeoutMs, `a reply to login as ${user}`);
  const mismatches = match({ status: 'success', message: REPLY_TEXT.loginOk }, reply.value);
  if (mismatches.length) {
    throw new StepFailure('mismatch', `login as ${user} to succeed: {"status": "success", "message": "Login successful"}`, summary(reply.value), mismatches);
  }
  ctx.log.push(`${conn.name}: logged in as ${user}`);
}

/** Compares a reply with the expectation and (optionally) the protocol schema. */
function check(reply: { value: JsonObject; raw: Buffer }, expected: unknown, schema: ZodTypeAny | undefined, what: string): void {
  if (expected !== undefined) {
    const { raw, json } = splitRaw(expected);
    const text = reply.raw.toString('utf8');
    const jsonMismatches = match(json, reply.value);
    const rawMismatches = raw !== undefined ? match(raw, text, '$raw') : [];
    if (jsonMismatches.length || rawMismatches.length) {
      const described = raw !== undefined ? `${describePattern(json)} written as ${describePattern(raw)}` : describePattern(json);
      // When only the bytes differ, show the bytes: the parsed value would look identical.
      const actual = jsonMismatches.length ? summary(reply.value) : `the bytes ${JSON.stringify(text)}`;
      throw new StepFailure('mismatch', `${what}: ${described}`, actual, [...jsonMismatches, ...rawMismatches]);
    }
  }
  if (schema) {
    const parsed = schema.safeParse(reply.value);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5);
      throw new StepFailure(
        'schema',
        `${what} to fit the protocol's reply schema (ERR-3)`,
        summary(reply.value),
        issues.map((i) => ({ path: `$${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}`, expected: i.message, actual: 'see reply' })),
      );
    }
  }
}

function schemaFor(step: Step, request: Record<string, unknown> | undefined): ZodTypeAny | undefined {
  if (step.schema === false) return undefined;
  const action = request?.action;
  return isAction(action) ? (replySchema(action) as ZodTypeAny) : ReplyEnvelope;
}

/** Races a promise against a timer; the loser's outcome is swallowed so it cannot surface later. */
function withDeadline<T>(promise: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), timeoutMs);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

export async function runSteps(steps: readonly Step[], ctx: StepContext, prefix = ''): Promise<void> {
  for (let i = 0; i < steps.length; i += 1) {
    await runStep(steps[i] as Step, ctx, `${prefix}${i + 1}`);
  }
}

async function runStep(step: Step, ctx: StepContext, index: string): Promise<void> {
  const client = clientOf(step, ctx);
  const label = describeStep(step, index, client);
  const timeoutMs = step.timeout ?? ctx.timeoutMs;
  try {
    await execute(step, ctx, index, client, timeoutMs);
  } catch (error) {
    if (error instanceof StepFailure && ctx.failedStep === undefined) {
      ctx.failedStep = label;
      ctx.failedStepHint = step.hint;
    }
    throw error;
  }
}

async function execute(step: Step, ctx: StepContext, index: string, client: string, timeoutMs: number): Promise<void> {
  if (step.pause !== undefined) {
    await sleep(step.pause);
    return;
  }
  if (step.parallel) {
    const results = await Promise.allSettled(step.parallel.map((s, k) => runStep(s, ctx, `${index}.${k + 1}`)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return;
  }
  if (step.steps) {
    await runSteps(step.steps, ctx, `${index}.`);
    return;
  }
  if (step.files) {
    await checkFiles(expand(step.files, { clock: ctx.clock }), ctx, timeoutMs);
    ctx.log.push(`${index}: data files as expected`);
    return;
  }
  if (step.concurrent) {
    await runConcurrent(step, ctx, index, timeoutMs);
    return;
  }
  const conn = await connection(ctx, client, timeoutMs);
  if (step.connect) return;
  if (step.close) {
    conn.destroy();
    ctx.conns.delete(client);
    return;
  }
  if (step.halfClose) {
    conn.halfClose();
    return;
  }
  if (step.expectClosed) {
    // Replies sent before the close are fine (an error reply, then close); what counts is the close.
    if (!(await conn.waitClosed(timeoutMs))) {
      throw new StepFailure('timeout', 'the server to close the connection', `still open after ${timeoutMs} ms (${conn.bytesIn} byte(s) received)`);
    }
    ctx.log.push(`${index}: ${client} closed by the server, as expected`);
    return;
  }
  if (step.expectNoReply !== undefined) {
    const before = conn.bytesIn;
    await sleep(step.expectNoReply);
    if (conn.bytesIn !== before) {
      throw new StepFailure('mismatch', `no reply for ${step.expectNoReply} ms`, `${conn.bytesIn - before} byte(s) arrived`);
    }
    return;
  }
  if (step.eventually) {
    await runEventually(step, ctx, conn, index, timeoutMs);
    return;
  }
  if (step.raw) {
    const bytes = step.raw.text !== undefined
      ? Buffer.from(expand(step.raw.text, { clock: ctx.clock }), 'utf8')
      : step.raw.hex !== undefined ? Buffer.from(step.raw.hex.replace(/\s+/g, ''), 'hex')
      : Buffer.from(step.raw.base64 ?? '', 'base64');
    const { pieces, delayMs } = shapePieces(bytes, step.shape);
    // The write and the reply share the step's deadline: a server that stops reading (LIM-1
    // against a server without limits) must cost one timeout, not hang the case.
    // The pauses a shaped write makes on purpose are not the server's time.
    const budget = timeoutMs + Math.max(0, pieces.length - 1) * delayMs;
    const deadline = performance.now() + budget;
    let writeFailure: StepFailure | undefined;
    try {
      await withDeadline(conn.write(pieces, delayMs, 'raw', 'raw bytes'), budget, () =>
        new StepFailure('timeout', `the server to take the ${bytes.length} raw byte(s)`, `it stopped reading: not all were written within ${budget} ms`));
      ctx.log.push(`${index}: ${client} sent ${bytes.length} raw byte(s) in ${pieces.length} write(s)`);
    } catch (error) {
      // A server that answers and closes before taking every byte (an oversize request) has
      // done its part; its reply, if the step expects one, decides.
      if (!(error instanceof StepFailure && error.kind === 'closed' && step.expect !== undefined)) throw error;
      writeFailure = error;
      ctx.log.push(`${index}: ${client}: the server closed the connection before taking all ${bytes.length} raw byte(s)`);
    }
    if (step.expect !== undefined) {
      const expected = expand(step.expect, { clock: ctx.clock });
      const left = Math.max(1, Math.round(deadline - performance.now()));
      let reply: Awaited<ReturnType<ScenarioConnection['readJson']>>;
      try {
        reply = await conn.readJson(left, `a reply to the raw bytes: ${describePattern(expected)}`);
      } catch (error) {
        throw writeFailure ?? error;
      }
      check(reply, expected, step.schema === false ? undefined : ReplyEnvelope, 'the reply');
    }
    return;
  }
  if (step.send) {
    await runSend(step, ctx, conn, index, client, timeoutMs);
    return;
  }
  if (step.expect !== undefined) {
    const expected = expand(step.expect, { clock: ctx.clock });
    const reply = await conn.readJson(timeoutMs, `a reply: ${describePattern(expected)}`);
    check(reply, expected, step.schema === false ? undefined : ReplyEnvelope, 'the reply');
    ctx.log.push(`${index}: ${client} got ${summary(reply.value)}`);
    return;
  }
  throw new Error(`internal: step ${index} has nothing to do`);
}

async function runSend(step: Step, ctx: StepContext, conn: ScenarioConnection, index: string, client: string, timeoutMs: number): Promise<void> {
  const request = expand(step.send as Record<string, unknown>, { clock: ctx.clock }) as JsonObject;
  const expected = step.expect === undefined ? undefined : expand(step.expect, { clock: ctx.clock });
  const bytes = encodeJson(request as JsonValue, step.encoding);
  const { pieces, delayMs } = shapePieces(bytes, step.shape);
  const what = `${String(request.action ?? 'request')}`;
  await conn.write(pieces, delayMs, pieces.length === 1 && pieces[0]?.length === bytes.length ? 'json' : 'raw', `the ${what} request`);
  ctx.log.push(`${index}: ${client} sent ${what}${pieces.length > 1 ? ` in ${pieces.length} writes` : ''}`);
  if (step.shape?.stopAfter !== undefined && expected === undefined) return;
  const schema = schemaFor(step, request);

  if (step.image) {
    const image = await imageBytes(step.image, ctx.scenario.file);
    ctx.lastImage = image;
    const first = await conn.readJson(timeoutMs, `{"status": "ready"} before the image bytes (IMG-1)`);
    if (first.value.status !== 'ready') {
      // A server may refuse the request before the exchange starts; that is the final reply then.
      if (expected !== undefined && match(splitRaw(expected).json, first.value).length === 0) {
        check(first, expected, schema, `the reply to ${what}`);
        ctx.log.push(`${index}: refused before the image exchange: ${summary(first.value)}`);
        return;
      }
      throw new StepFailure('mismatch', `{"status": "ready"} before the image bytes (IMG-1)`, summary(first.value), match({ status: 'ready' }, first.value));
    }
    const header = encodeImageHeader(step.image.announce ?? image.length);
    const src = step.image;
    const headerPieces = src.splitHeader !== undefined ? [header.subarray(0, src.splitHeader), header.subarray(src.splitHeader)] : [header];
    const pieceDelay = src.delayMs ?? (src.splitHeader !== undefined || src.chunk !== undefined ? 5 : 0);
    await conn.write(headerPieces, pieceDelay, 'image-length', 'the 8-byte image length');
    if (headerPieces.length > 1) await sleep(pieceDelay);
    const body = src.disconnectAfter !== undefined ? image.subarray(0, src.disconnectAfter) : image;
    const bodyPieces = src.chunk !== undefined ? chunks(body, src.chunk) : [body];
    if (body.length > 0) await conn.write(bodyPieces, pieceDelay, 'image-bytes', 'the image bytes');
    if (src.disconnectAfter !== undefined) {
      conn.destroy(`client disconnected after ${body.length} of ${image.length} image bytes`);
      ctx.conns.delete(client);
      ctx.log.push(`${index}: ${client} disconnected mid-image after ${body.length} of ${image.length} bytes`);
      return;
    }
    ctx.log.push(`${index}: ${client} sent a ${image.length}-byte image in ${bodyPieces.length} write(s)`);
    const ack = await conn.readJson(
      timeoutMs,
      src.announce !== undefined
        ? `a reply after announcing ${src.announce} image bytes: ${describePattern(expected ?? { status: 'success' })}`
        : `{"status": "success"} once all ${image.length} image bytes arrived (IMG-3, IMG-4)`,
    );
    if (ack.value.status !== 'success' || Object.keys(ack.value).length !== 1) {
      if (ack.value.status === 'error' && expected !== undefined && match(splitRaw(expected).json, ack.value).length === 0) {
        // An error acknowledgement is the outcome the step expected (IMG-8); the course server repeats it.
        check(ack, expected, schema, `the reply to ${what}`);
        return;
      }
      throw new StepFailure('mismatch', `{"status": "success"} once all ${image.length} image bytes arrived (IMG-4)`, summary(ack.value), match({ status: 'success' }, ack.value));
    }
  }

  const reply = await conn.readJson(timeoutMs, `a reply to ${what}${expected !== undefined ? `: ${describePattern(expected)}` : ''}`);
  check(reply, expected, schema, `the reply to ${what}`);
  ctx.log.push(`${index}: ${client} got ${summary(reply.value)}`);
}

async function runEventually(step: Step, ctx: StepContext, conn: ScenarioConnection, index: string, timeoutMs: number): Promise<void> {
  const spec = step.eventually as NonNullable<Step['eventually']>;
  const attempts = spec.attempts ?? 10;
  const interval = spec.intervalMs ?? 100;
  let last: StepFailure | undefined;
  for (let n = 1; n <= attempts; n += 1) {
    const request = expand(spec.send, { clock: ctx.clock }) as JsonObject;
    await conn.write([encodeJson(request as JsonValue)], 0, 'json', `the ${String(request.action)} request`);
    const reply = await conn.readJson(timeoutMs, `a reply to ${String(request.action)}`);
    try {
      check(reply, expand(spec.expect, { clock: ctx.clock }), schemaFor(step, request), `the reply to ${String(request.action)}`);
      ctx.log.push(`${index}: matched on attempt ${n} of ${attempts}`);
      return;
    } catch (error) {
      if (!(error instanceof StepFailure)) throw error;
      last = error;
    }
    if (n < attempts) await sleep(interval);
  }
  const failure = last as StepFailure;
  throw new StepFailure(failure.kind, `${failure.expected} (within ${attempts} attempts, ${interval} ms apart)`, failure.actual, failure.mismatches);
}

async function runConcurrent(step: Step, ctx: StepContext, index: string, timeoutMs: number): Promise<void> {
  const spec = step.concurrent as NonNullable<Step['concurrent']>;
  const repeat = spec.repeat ?? 1;
  const names = Array.from({ length: spec.clients }, (_, i) => `${step.label ?? `c${index}`}#${i + 1}`);
  const conns: ScenarioConnection[] = [];
  try {
    // Connections open (and log in) one after another, so a small listen() backlog is no excuse,
    // and stay open: the server then holds all of them at once when they send together.
    const ready: ScenarioConnection[] = [];
    for (let i = 0; i < names.length; i += 1) {
      try {
        const conn = await ScenarioConnection.open(names[i] as string, ctx.host, ctx.port, timeoutMs, ctx.wire);
        conns.push(conn);
        const user = spec.login?.[i % spec.login.length];
        if (user) await login(ctx, conn, user, ctx.password, timeoutMs);
        ready.push(conn);
      } catch (error) {
        if (!(error instanceof StepFailure)) throw error;
        throw new StepFailure(error.kind, `all ${spec.clients} clients connected at once`, `client ${i + 1} of ${spec.clients} (with ${i} open): ${error.actual}`, error.mismatches);
      }
    }
    const results = await Promise.allSettled(
      ready.map(async (conn, i) => {
        for (let j = 1; j <= repeat; j += 1) {
          const request = expand(spec.send, { clock: ctx.clock, i: i + 1, j }) as JsonObject;
          await conn.write([encodeJson(request as JsonValue)], 0, 'json', `the ${String(request.action)} request`);
          const reply = await conn.readJson(timeoutMs, `a reply to ${String(request.action)}`);
          check(reply, expand(spec.expect, { clock: ctx.clock, i: i + 1, j }), schemaFor(step, request), `the reply to ${String(request.action)}`);
        }
      }),
    );
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length) throw aggregate(failures.map((f) => f.reason), spec.clients, `get ${repeat === 1 ? 'a' : repeat} matching repl${repeat === 1 ? 'y' : 'ies'}`);
    ctx.log.push(`${index}: ${spec.clients} concurrent clients x ${repeat} request(s): all answered as expected`);
  } finally {
    for (const c of conns) c.destroy();
  }
}

function aggregate(reasons: unknown[], total: number, what: string): Error {
  const first = reasons[0];
  if (!(first instanceof StepFailure)) return first as Error;
  return new StepFailure(first.kind, `all ${total} clients to ${what}`, `${reasons.length} of ${total} did not; the first: ${first.actual}`, first.mismatches);
}
