import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FrameSocket, encodeImageFrame, encodeJson, type JsonObject, type JsonValue } from '../../../spec/codec/index.ts';
import { formatDmTimestamp, formatPostTimestamp } from '../../../spec/messages/index.ts';
import type { BenchOptions } from '../bench-entry.ts';
import { freePort } from '../../process/free-port.ts';
import { ServerProcess } from '../../process/server-process.ts';

export const description =
  'reference server vs the Python sample server (fixtures/submissions/correct): requests/s and p50/p99 latency of ' +
  'get_all_users and send_message at 1/10/100/1000 concurrent connections, the time to upload a 2 MiB image, and ' +
  'get_all_users at 1 connection measured in alternating rounds by the Node client and an independent Python client';

const CLI = fileURLToPath(new URL('../../cli/instanet.mjs', import.meta.url));
const PROBE = fileURLToPath(new URL('../get_all_users_probe.py', import.meta.url));
const PROBE_REQUESTS = 3000;
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
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Servers (through the kit's one launcher: own process group, readiness by probe, tree killed)

async function startIn(dir: string, argvFor: (port: number) => string[]): Promise<Spawned> {
  const port = await freePort();
  const proc = new ServerProcess({ argv: argvFor(port), workspace: dir, port, readyMs: 30_000, outputLimitBytes: 64 * 1024, stopGraceMs: 5_000 });
  const failure = await proc.waitListening();
  if (failure) {
    await proc.stop();
    throw new Error(`server not ready (${failure.status}): ${failure.detail} ${proc.stderr.text().slice(-2000)}`);
  }
  return { port, stop: async () => void (await proc.stop()) };
}

function startReference(dir: string): Promise<Spawned> {
  return startIn(dir, (port) => [
    process.execPath, CLI, 'serve', '--port', String(port), '--data', join(dir, 'data'), '--log-level', 'warn',
    '--max-connections', '4096', '--max-connections-per-ip', '4096', '--seed-users', String(USERS),
  ]);
}

async function startPython(dir: string): Promise<Spawned> {
  await cp(PYTHON_SAMPLE, dir, { recursive: true });
  return startIn(dir, (port) => ['python3', 'server.py', '--host', '127.0.0.1', '--port', String(port)]);
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

/**
 * 1-connection get_all_users latency seen by two unrelated load generators: the kit's Node client
 * (the one the levels use) and a plain Python socket loop. If both see the same order between the
 * servers, the difference is the servers'; if only one does, it is that generator's.
 */
async function latencyCrossCheck(port: number): Promise<{ nodeGenerator: { p50Ms: number; p99Ms: number }; pythonGenerator: { p50Ms: number; p99Ms: number } }> {
  const { sockets } = await openMany(port, 1);
  const session = sockets[0];
  if (!session) throw new Error('latency check: could not log in');
  const times: number[] = [];
  for (let i = 0; i < PROBE_REQUESTS + 300; i += 1) {
    const t0 = performance.now();
    await request(session.frames, { action: 'get_all_users' });
    // The first 300 warm up the JIT on both ends, as the probe's own first requests do not count either.
    if (i >= 300) times.push(performance.now() - t0);
  }
  session.frames.destroy();
  const sorted = Float64Array.from(times).sort();
  const { stdout } = await promisify(execFile)('python3', [PROBE, String(port), String(PROBE_REQUESTS)], { timeout: 60_000 });
  const probe = JSON.parse(stdout) as { p50Ms: number; p99Ms: number };
  return { nodeGenerator: { p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99) }, pythonGenerator: { p50Ms: probe.p50Ms, p99Ms: probe.p99Ms } };
}

const middle = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/**
 * The 1-connection get_all_users question, asked so that machine noise cannot answer it: both
 * servers up at once, measured in alternating rounds by both generators; medians of the rounds' p50.
 */
async function latencyAtOne(options: BenchOptions) {
  const rounds = options.quick ? 2 : 5;
  const dirs = await Promise.all(['reference', 'python'].map((n) => mkdtemp(join(tmpdir(), `instanet-bench-c1-${n}-`))));
  const servers = { reference: await startReference(dirs[0] as string), python: await startPython(dirs[1] as string) };
  const seen = { reference: { node: [] as number[], python: [] as number[] }, python: { node: [] as number[], python: [] as number[] } };
  try {
    for (let round = 0; round < rounds; round += 1) {
      for (const name of ['reference', 'python'] as const) {
        const check = await latencyCrossCheck(servers[name].port);
        seen[name].node.push(check.nodeGenerator.p50Ms);
        seen[name].python.push(check.pythonGenerator.p50Ms);
        options.log(`get_all_users c=1 round ${round + 1} ${name}: node generator p50 ${check.nodeGenerator.p50Ms} ms, python generator p50 ${check.pythonGenerator.p50Ms} ms`);
      }
    }
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
  const summary = (name: ServerName) => ({ nodeGeneratorP50Ms: middle(seen[name].node), pythonGeneratorP50Ms: middle(seen[name].python), rounds: seen[name] });
  return { rounds, requestsPerRound: PROBE_REQUESTS, reference: summary('reference'), python: summary('python') };
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
  const c1 = await latencyAtOne(options);
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
      // Medians of alternating rounds (latencyAtOne); two unrelated generators agreeing means the
      // order is the servers' own, not the load generator's.
      getAllUsersAt1P50Ms: {
        nodeGenerator: { reference: c1.reference.nodeGeneratorP50Ms, python: c1.python.nodeGeneratorP50Ms },
        pythonGenerator: { reference: c1.reference.pythonGeneratorP50Ms, python: c1.python.pythonGeneratorP50Ms },
      },
      getAllUsersAt1NotWorseThanPython:
        c1.reference.nodeGeneratorP50Ms <= c1.python.nodeGeneratorP50Ms && c1.reference.pythonGeneratorP50Ms <= c1.python.pythonGeneratorP50Ms,
    },
    getAllUsersAt1: c1,
  };
}
