import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FrameSocket, encodeImageFrame, encodeJson, type JsonObject, type JsonValue } from '../../../spec/codec/index.ts';
import { formatDmTimestamp, formatPostTimestamp } from '../../../spec/messages/index.ts';
import type { BenchOptions } from '../bench-entry.ts';
import { freePort } from '../../targets/free-port.ts';

export const description =
  'reference server vs the Python sample server (fixtures/submissions/correct): requests/s and p50/p99 latency of ' +
  'get_all_users and send_message at 1/10/100/1000 concurrent connections, and the time to upload a 2 MiB image';

const CLI = fileURLToPath(new URL('../../cli/instanet.mjs', import.meta.url));
const PYTHON_SAMPLE = fileURLToPath(new URL('../../../fixtures/submissions/correct', import.meta.url));
const LEVELS = [1, 10, 100, 1000] as const;
const USERS = 6;
const REQUEST_TIMEOUT_MS = 15_000;
const CONNECT_BATCH = 50;
const IMAGE_BYTES = 2 * 1024 * 1024;

type Op = 'get_all_users' | 'send_message';
type ServerName = 'reference' | 'python';

interface LevelResult {
  connections: number;
  /** Connections that could not be opened or logged in. */
  connectErrors: number;
  requests: number;
  errors: number;
  seconds: number;
  /** Successful replies per second: the throughput figure. */
  requestsPerSecond: number;
  /** Replies of any status (and failures) per second: how fast the server answered at all. */
  attemptsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  firstError?: string;
}

interface Spawned {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Servers

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`server not ready in ${timeoutMs} ms: ${out} ${err}`)), timeoutMs);
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (err = (err + text).slice(-2000)));
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      out += text;
      const match = pattern.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before it was ready: ${out} ${err}`));
    });
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  };
}

async function startReference(dir: string): Promise<Spawned> {
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--port', '0', '--data', join(dir, 'data'), '--log-level', 'warn', '--max-connections', '4096', '--max-connections-per-ip', '4096', '--seed-users', String(USERS)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    const match = await waitForLine(child, /listening on \S+:(\d+)/, 30_000);
    return { port: Number(match[1]), child, stop: stopper(child) };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

async function startPython(dir: string): Promise<Spawned> {
  await cp(PYTHON_SAMPLE, dir, { recursive: true });
  const port = await freePort();
  const child = spawn('python3', ['server.py', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  try {
    await waitForLine(child, /listening on/i, 30_000);
    return { port, child, stop: stopper(child) };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Load

function open(port: number): Promise<FrameSocket> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('connect timed out'));
    }, REQUEST_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolve(new FrameSocket(socket));
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

async function request(frames: FrameSocket, value: JsonValue): Promise<JsonObject> {
  await frames.write(encodeJson(value));
  return (await frames.readJson(REQUEST_TIMEOUT_MS)).value;
}

/** Every pair of the seeded users: connection i talks in PAIRS[i % PAIRS.length], so the load spreads over all conversations. */
const PAIRS: Array<[string, string]> = [];
for (let a = 1; a <= USERS; a += 1) for (let b = a + 1; b <= USERS; b += 1) PAIRS.push([`user${a}`, `user${b}`]);

/** Connection i logs in as one side of its pair (alternating by round), and writes to the other. */
function roleOf(index: number): { user: string; peer: string } {
  const pair = PAIRS[index % PAIRS.length]!;
  const flip = Math.floor(index / PAIRS.length) % 2 === 1;
  return flip ? { user: pair[1], peer: pair[0] } : { user: pair[0], peer: pair[1] };
}

/** Opens `count` logged-in connections, CONNECT_BATCH at a time (the Python sample listens with a backlog of 5). */
async function openMany(port: number, count: number): Promise<{ sockets: Array<{ frames: FrameSocket; user: string; peer: string }>; errors: number; firstError?: string }> {
  const sockets: Array<{ frames: FrameSocket; user: string; peer: string }> = [];
  let errors = 0;
  let firstError: string | undefined;
  for (let start = 0; start < count; start += CONNECT_BATCH) {
    const batch = Array.from({ length: Math.min(CONNECT_BATCH, count - start) }, async (_, k) => {
      const { user, peer } = roleOf(start + k);
      try {
        const frames = await open(port);
        const reply = await request(frames, { action: 'login', username: user, password: '123' });
        if (reply['status'] !== 'success') throw new Error(`login: ${JSON.stringify(reply)}`);
        sockets.push({ frames, user, peer });
      } catch (error) {
        errors += 1;
        firstError ??= (error as Error).message;
      }
    });
    await Promise.all(batch);
  }
  return { sockets, errors, ...(firstError ? { firstError } : {}) };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! * 100) / 100;
}

/** Closed loop: every connection sends its next request as soon as the previous reply arrived, until the deadline. */
async function drive(
  sockets: Array<{ frames: FrameSocket; user: string; peer: string }>,
  op: Op,
  seconds: number,
  maxRequests: number,
): Promise<Omit<LevelResult, 'connections' | 'connectErrors'>> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let issued = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    sockets.map(async ({ frames, user, peer: receiver }, index) => {
      for (let n = 0; performance.now() < deadline && issued < maxRequests; n += 1) {
        issued += 1;
        const value: JsonValue =
          op === 'get_all_users'
            ? { action: 'get_all_users' }
            : { action: 'send_message', sender: user, receiver, message: `bench ${index}.${n} ✓`, timestamp: formatDmTimestamp(new Date()), is_image: false };
        const t0 = performance.now();
        try {
          const reply = await request(frames, value);
          if (reply['status'] !== 'success') throw new Error(`reply: ${JSON.stringify(reply).slice(0, 200)}`);
          latencies.push(performance.now() - t0);
        } catch (error) {
          errors += 1;
          firstError ??= (error as Error).message;
          if (frames.closed) return;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    errors,
    seconds: Math.round(elapsed * 1000) / 1000,
    requestsPerSecond: Math.round(latencies.length / elapsed),
    attemptsPerSecond: Math.round((latencies.length + errors) / elapsed),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    ...(firstError ? { firstError } : {}),
  };
}

async function uploadTimes(port: number, rounds: number): Promise<{ medianMs: number; allMs: number[]; errors: number }> {
  const { sockets, errors: connectErrors } = await openMany(port, 1);
  const session = sockets[0];
  if (!session) return { medianMs: NaN, allMs: [], errors: connectErrors };
  const image = Buffer.alloc(IMAGE_BYTES);
  for (let i = 0; i < image.length; i += 1) image[i] = (i * 31 + 7) & 0xff;
  const times: number[] = [];
  let errors = 0;
  for (let round = 0; round < rounds; round += 1) {
    const t0 = performance.now();
    try {
      const ready = await request(session.frames, { action: 'upload_post', username: session.user, caption: `bench ${round}`, timestamp: formatPostTimestamp(new Date()) });
      if (ready['status'] !== 'ready') throw new Error(JSON.stringify(ready));
      await session.frames.write(encodeImageFrame(image));
      const ack = (await session.frames.readJson(REQUEST_TIMEOUT_MS)).value;
      const final = (await session.frames.readJson(REQUEST_TIMEOUT_MS)).value;
      if (ack['status'] !== 'success' || final['status'] !== 'success') throw new Error(JSON.stringify([ack, final]));
      times.push(Math.round((performance.now() - t0) * 100) / 100);
    } catch {
      errors += 1;
    }
  }
  session.frames.destroy();
  const sorted = [...times].sort((a, b) => a - b);
  return { medianMs: sorted[Math.floor(sorted.length / 2)] ?? NaN, allMs: times, errors };
}

// ---------------------------------------------------------------------------------------------
// Entry

async function benchServer(name: ServerName, options: BenchOptions): Promise<Record<string, unknown>> {
  const seconds = options.quick ? 0.5 : 2;
  const maxRequests = options.quick ? 5_000 : 50_000;
  const levels: Record<Op, LevelResult[]> = { get_all_users: [], send_message: [] };
  for (const connections of LEVELS) {
    // A fresh server and data folder per level: conversation files grow with every message, and
    // each level should start from the same state on both servers.
    const dir = await mkdtemp(join(tmpdir(), `instanet-bench-${name}-`));
    const server = name === 'reference' ? await startReference(dir) : await startPython(dir);
    try {
      const opened = await openMany(server.port, connections);
      for (const op of ['get_all_users', 'send_message'] as const) {
        const result = await drive(opened.sockets, op, seconds, maxRequests);
        const row: LevelResult = { connections, connectErrors: opened.errors, ...result };
        if (opened.firstError && !row.firstError) row.firstError = `connect: ${opened.firstError}`;
        levels[op].push(row);
        options.log(
          `${name} ${op} c=${connections}: ${row.requestsPerSecond} ok/s (${row.attemptsPerSecond} replies/s), p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, ` +
            `${row.errors} errors, ${row.connectErrors} connect errors`,
        );
      }
      for (const { frames } of opened.sockets) frames.destroy();
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }
  const dir = await mkdtemp(join(tmpdir(), `instanet-bench-${name}-`));
  const server = name === 'reference' ? await startReference(dir) : await startPython(dir);
  let upload;
  try {
    upload = await uploadTimes(server.port, options.quick ? 3 : 7);
    options.log(`${name} upload 2 MiB: median ${upload.medianMs} ms (${upload.errors} errors)`);
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return { levels, upload2MiB: upload };
}

export async function run(options: BenchOptions): Promise<unknown> {
  const reference = await benchServer('reference', options);
  const python = await benchServer('python', options);
  const at = (result: Record<string, unknown>, op: Op, connections: number) =>
    ((result['levels'] as Record<Op, LevelResult[]>)[op]).find((row) => row.connections === connections);
  const ref100 = at(reference, 'send_message', 100);
  // The goal compares successful replies: the sample server answers many send_message requests with
  // an error under concurrency (its unlocked read-modify-write reads half-written files).
  const py100 = at(python, 'send_message', 100);
  const ratio = ref100 && py100 && py100.requestsPerSecond > 0 ? Math.round((ref100.requestsPerSecond / py100.requestsPerSecond) * 10) / 10 : null;
  const ref1000 = LEVELS.includes(1000) ? (['get_all_users', 'send_message'] as const).map((op) => at(reference, op, 1000)) : [];
  const errors1000 = ref1000.reduce((sum, row) => sum + (row ? row.errors + row.connectErrors : 0), 0);
  return {
    setup: {
      levels: LEVELS,
      secondsPerLevel: options.quick ? 0.5 : 2,
      users: USERS,
      conversations: PAIRS.length,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      reference:
        'instanet serve (strict mode, --log-level warn), spawned; one fresh data folder per level; every write is ' +
        'fdatasync+rename+directory fsync before its reply (group-committed per file)',
      python:
        'python3 server.py from fixtures/submissions/correct in a temporary copy; one fresh copy per level; ' +
        'no fsync and no locking (its concurrent send_message replies are often errors: counted in errors, not in requestsPerSecond)',
      client: 'one Node process, closed loop, each connection logged in first (not timed)',
    },
    reference,
    python,
    goals: {
      sendMessageAt100VsPython: ratio,
      sendMessageAt100Meets10x: ratio !== null && ratio >= 10,
      referenceErrorsAt1000: errors1000,
      reference1000WithoutError: errors1000 === 0,
    },
  };
}
