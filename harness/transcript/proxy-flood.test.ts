import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventBytes } from './event-bytes.ts';
import type { Direction, Transcript } from './format.ts';
import { readTranscript } from './read.ts';
import { connectTo, until } from './test-support.ts';
import { waitForLine } from '../testing/wait-for-line.ts';

// Issue 14: a peer flooding the proxy. Before, a 300 MiB server flood ran the proxy out of heap and
// a client flood left a recording with only its header. Here the proxy runs as the real command in
// a child process, a peer floods 300 MiB while the other side first does not read at all, and we
// check that the child's peak RSS (Linux VmHWM) grew by far less than the flood, every byte was
// forwarded, and the recording is valid and accounts for every byte: recorded, or counted as dropped.

const CLI = fileURLToPath(new URL('../cli/instanet.mjs', import.meta.url));
const MiB = 1024 * 1024;
const FLOOD_BYTES = 300 * MiB;
/** A cap small enough that decoding what is recorded stays cheap on a shared machine. */
const CAP = MiB;
/** Far below the flood (the old proxy held all of it, and more); far above a bounded proxy's need. */
const MAX_RSS_GROWTH = 150 * MiB;
const WAIT_MS = 120_000;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'instanet-flood-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function memoryKb(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then((text) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN));
}

/** Writes `total` bytes of `pattern` repeated, respecting back-pressure; resolves once all are flushed. */
async function flood(socket: Socket, pattern: Buffer, total: number): Promise<void> {
  const block = Buffer.alloc(MiB, pattern);
  for (let sent = 0; sent < total && !socket.destroyed; sent += block.length) {
    if (!socket.write(block.subarray(0, Math.min(block.length, total - sent)))) {
      await Promise.race([once(socket, 'drain'), once(socket, 'close')]);
    }
  }
  await new Promise<void>((resolve) => socket.end(resolve));
}

/** Counts what a socket receives; `reading` starts paused so the peer's flood backs up first. */
function counter(socket: Socket): { readonly received: number; readonly ended: Promise<void>; read(): void } {
  let received = 0;
  socket.pause();
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  socket.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    get received() {
      return received;
    },
    ended,
    read: () => socket.resume(),
  };
}

async function listenOn(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

/** Wire bytes of one direction the recording holds, and the bytes its notes say it dropped. */
function accounted(transcript: Transcript, dir: Direction): { recorded: number; dropped: number } {
  let recorded = 0;
  let dropped = 0;
  for (const event of transcript.events) {
    if (event.dir !== dir) continue;
    if (event.kind === 'note') dropped += event.dropped ?? 0;
    else if (event.kind === 'json' || event.kind === 'raw') recorded += event.length ?? eventBytes(event)?.length ?? 0;
  }
  return { recorded, dropped };
}

interface FloodRun {
  file: string;
  transcript: Transcript;
  stdout: string;
  baselineKb: number;
  peakKb: number;
  delivered: number;
}

/**
 * Runs the proxy command between `upstream` and one client, lets `floodFrom` flood, waits until
 * the flood has backed up (the receiving side reads nothing yet), then reads everything.
 */
async function runFlood(floodFrom: 'server' | 'client', pattern: Buffer): Promise<FloodRun> {
  const file = join(dir, `${floodFrom}-flood.jsonl`);
  let upstreamSide: ReturnType<typeof counter> | undefined;
  let upstreamSocket: Socket | undefined;
  const upstream = createServer((socket) => {
    upstreamSocket = socket;
    if (floodFrom === 'server') void flood(socket, pattern, FLOOD_BYTES);
    else upstreamSide = counter(socket);
  });
  const upstreamPort = await listenOn(upstream);
  const child = execa('node', [CLI, 'proxy', '--listen', '0', '--upstream', `127.0.0.1:${upstreamPort}`, '--record', file, '--max-record-bytes', String(CAP)], {
    reject: false,
    timeout: WAIT_MS,
    env: { NO_COLOR: '1' },
  });
  let client: Socket | undefined;
  try {
    const [, port] = await waitForLine(child, /InstaNet proxy listening on 127\.0\.0\.1:(\d+) ->/);
    const pid = child.pid!;
    const baselineKb = await memoryKb(pid, 'VmRSS');
    client = await connectTo(Number(port));
    const clientSide = counter(client);
    const receiving = floodFrom === 'server' ? clientSide : undefined;
    if (floodFrom === 'client') void flood(client, pattern, FLOOD_BYTES);
    await until(() => upstreamSocket !== undefined, 10_000, 'the proxy to connect upstream');
    // Nobody reads: the flood must back up into TCP, not into the proxy. Give it a moment to try.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const reader = receiving ?? upstreamSide!;
    reader.read();
    await until(() => reader.received >= FLOOD_BYTES, WAIT_MS, `all ${FLOOD_BYTES} flood bytes to arrive`);
    const delivered = reader.received;
    const peakKb = await memoryKb(pid, 'VmHWM');
    client.end();
    upstreamSocket?.end();
    await reader.ended.catch(() => undefined);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(0);
    return { file, transcript: await readTranscript(file), stdout: String(result.stdout), baselineKb, peakKb, delivered };
  } finally {
    client?.destroy();
    upstreamSocket?.destroy();
    child.kill('SIGKILL');
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  }
}

describe('instanet proxy under a flood (issue 14)', () => {
  it('a server flooding 300 MiB of replies to a slow client: bounded memory, every byte forwarded, a valid capped recording', { timeout: WAIT_MS * 2 }, async () => {
    const run = await runFlood('server', Buffer.from('{"status": "success"}'));
    expect(run.delivered).toBe(FLOOD_BYTES);
    const growth = (run.peakKb - run.baselineKb) * 1024;
    console.log(`server flood: RSS ${run.baselineKb} kB at start, peak ${run.peakKb} kB (growth ${(growth / MiB).toFixed(1)} MiB for ${FLOOD_BYTES / MiB} MiB)`);
    expect(growth).toBeLessThan(MAX_RSS_GROWTH);
    const { recorded, dropped } = accounted(run.transcript, 's2c');
    expect(recorded + dropped).toBe(FLOOD_BYTES);
    expect(dropped).toBeGreaterThan(0);
    const notes = run.transcript.events.filter((e) => e.kind === 'note' && e.dir === 's2c');
    expect(notes.at(-1)!.note).toMatch(/^\d+ bytes (in \d+ frames |\(\d+ frames, then bytes that are not frames\) )?not recorded: cap reached/);
    // Each unsolicited reply is a violation; only a few lines per second are printed.
    expect(run.stdout).toMatch(/… \d+ more violations suppressed/);
    expect(run.stdout.split('\n').filter((line) => line.includes('✗ violation')).length).toBeLessThan(recorded / 22 / 2);
  });

  it('a client flooding 300 MiB of junk to a slow server: bounded memory, every byte forwarded, a valid capped recording', { timeout: WAIT_MS * 2 }, async () => {
    const run = await runFlood('client', Buffer.from([0xff, 0x00, 0x7b]));
    expect(run.delivered).toBe(FLOOD_BYTES);
    const growth = (run.peakKb - run.baselineKb) * 1024;
    console.log(`client flood: RSS ${run.baselineKb} kB at start, peak ${run.peakKb} kB (growth ${(growth / MiB).toFixed(1)} MiB for ${FLOOD_BYTES / MiB} MiB)`);
    expect(growth).toBeLessThan(MAX_RSS_GROWTH);
    const { recorded, dropped } = accounted(run.transcript, 'c2s');
    expect(recorded + dropped).toBe(FLOOD_BYTES);
    expect(dropped).toBeGreaterThan(0);
    expect(run.transcript.events.some((e) => e.kind === 'raw' && e.error !== undefined)).toBe(true);
    // The existing tools read the capped recording as any other.
    const show = await execa('node', [CLI, 'transcript', 'show', run.file], { reject: false, timeout: 60_000, env: { NO_COLOR: '1' } });
    expect(show.exitCode).toBe(0);
    expect(show.stdout).toMatch(/bytes not recorded: cap reached/);
    const diff = await execa('node', [CLI, 'transcript', 'diff', run.file, run.file], { reject: false, timeout: 60_000, env: { NO_COLOR: '1' } });
    expect(diff.exitCode).toBe(0);
  });
});
