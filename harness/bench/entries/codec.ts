import { FrameDecoder, encodeImageHeader, encodeJson, pythonJsonDumps, type JsonObject } from '../../../spec/codec/index.ts';
import { mbPerSecond, median, timeRounds, type BenchOptions } from '../bench-entry.ts';

export const description =
  'spec/codec throughput: image payload decoding, JSON message decoding and python-style encoding (MB/s = 10^6 bytes/s)';

const CHUNK = 64 * 1024;
const TARGETS = { imageDecodeMBps: 500, jsonDecodeMBps: 50 };

function chunked(bytes: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK) chunks.push(bytes.subarray(i, i + CHUNK));
  return chunks;
}

/** Messages shaped like the protocol's real traffic: requests, feed and conversation replies, non-ASCII text. */
function realisticMessages(): JsonObject[] {
  const users = ['user1', 'user2', 'user3', 'user4', 'user5', 'user6'];
  const captions = ['Sunset at the beach', 'مرحبا بالجميع 😀', 'Café ☕ with friends', 'Exam week 📚📚', 'ok'];
  const messages: JsonObject[] = [];
  for (let i = 0; i < 200; i++) {
    const u = users[i % users.length]!;
    const v = users[(i + 1) % users.length]!;
    messages.push({ action: 'login', username: u, password: '123' });
    messages.push({ action: 'send_message', sender: u, receiver: v, message: captions[i % captions.length]!, timestamp: '2025-05-13T21:52:29.123456', is_image: false });
    messages.push({
      status: 'success',
      posts: Array.from({ length: 20 }, (_, k) => ({
        username: users[k % users.length]!,
        image_path: `data/images/${users[k % users.length]}_2025-05-13 21-52-${String(k).padStart(2, '0')}.jpg`,
        caption: captions[k % captions.length]!,
        timestamp: `2025-05-13 21:52:${String(k).padStart(2, '0')}`,
        comments: [{ user: v, text: 'Nice! 👍 "quoted" {braces}' }],
      })),
    });
    messages.push({
      status: 'success',
      messages: Array.from({ length: 15 }, (_, k) => ({
        sender: k % 2 ? u : v,
        receiver: k % 2 ? v : u,
        message: captions[(i + k) % captions.length]!,
        timestamp: `2025-05-13T21:52:${String(k).padStart(2, '0')}.000001`,
        is_image: false,
      })),
    });
    messages.push({ status: 'ready' });
    messages.push({ status: 'error', message: 'Invalid request' });
  }
  return messages;
}

function benchImage(options: BenchOptions): Record<string, number> {
  const size = (options.quick ? 16 : 64) * 1024 * 1024;
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4096) payload[i] = ((i >>> 12) & 0xff) | 1;
  const chunks = chunked(Buffer.concat([encodeImageHeader(size), payload]));
  let check = 0;
  const times = timeRounds(options.quick ? 3 : 7, () => {
    const d = new FrameDecoder({ maxImageBytes: size });
    d.expectImage();
    for (const c of chunks) {
      d.push(c);
      const f = d.next();
      if (f?.kind === 'image') check += f.data[4096]!;
    }
  });
  if (check === 0) throw new Error('image frames were not decoded');
  options.log(`image: ${size} bytes in ${chunks.length} chunks, best ${times[0]!.toFixed(1)} ms`);
  return {
    imageBytes: size,
    chunkBytes: CHUNK,
    rounds: times.length,
    imageDecodeMBps: mbPerSecond(size, times[0]!),
    imageDecodeMedianMBps: mbPerSecond(size, median(times)),
  };
}

function benchJson(options: BenchOptions): Record<string, number> {
  const messages = realisticMessages();
  const one = Buffer.concat(messages.map((m) => encodeJson(m)));
  const repeat = Math.max(1, Math.round((options.quick ? 4 : 16) * 1024 * 1024 / one.length));
  const stream = Buffer.concat(Array.from({ length: repeat }, () => one));
  const chunks = chunked(stream);
  const expected = messages.length * repeat;
  const times = timeRounds(options.quick ? 3 : 5, () => {
    const d = new FrameDecoder();
    let n = 0;
    for (const c of chunks) {
      d.push(c);
      while (d.next()) n++;
    }
    if (n !== expected) throw new Error(`decoded ${n} messages, expected ${expected}`);
  });
  const encodeTimes = timeRounds(options.quick ? 3 : 5, () => {
    for (let r = 0; r < repeat; r++) for (const m of messages) encodeJson(m);
  });
  const compactTimes = timeRounds(options.quick ? 3 : 5, () => {
    for (let r = 0; r < repeat; r++) for (const m of messages) pythonJsonDumps(m, { style: 'compact', ascii: false });
  });
  const compactBytes = repeat * messages.reduce((s, m) => s + Buffer.byteLength(pythonJsonDumps(m, { style: 'compact', ascii: false })), 0);
  options.log(`json: ${stream.length} bytes, ${expected} messages, best ${times[0]!.toFixed(1)} ms`);
  return {
    jsonStreamBytes: stream.length,
    jsonMessages: expected,
    averageMessageBytes: Math.round(stream.length / expected),
    jsonDecodeMBps: mbPerSecond(stream.length, times[0]!),
    jsonDecodeMedianMBps: mbPerSecond(stream.length, median(times)),
    jsonDecodeMessagesPerSecond: Math.round(expected / (times[0]! / 1000)),
    pythonEncodeMBps: mbPerSecond(stream.length, encodeTimes[0]!),
    compactRawEncodeMBps: mbPerSecond(compactBytes, compactTimes[0]!),
  };
}

/** One message near the 8 MiB limit in 4 KiB reads: a re-scanning decoder would be quadratic here. */
function benchLargeMessage(options: BenchOptions): Record<string, number> {
  const text = 'é😀 "x" {y} '.repeat(options.quick ? 20_000 : 100_000);
  const bytes = encodeJson({ action: 'send_message', message: text }, { ascii: false });
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 4096) chunks.push(bytes.subarray(i, i + 4096));
  const times = timeRounds(3, () => {
    const d = new FrameDecoder();
    let got = 0;
    for (const c of chunks) {
      d.push(c);
      if (d.next()) got++;
    }
    if (got !== 1) throw new Error('large message not decoded');
  });
  options.log(`large message: ${bytes.length} bytes in ${chunks.length} reads, best ${times[0]!.toFixed(1)} ms`);
  return { largeMessageBytes: bytes.length, largeMessageChunkBytes: 4096, largeMessageDecodeMBps: mbPerSecond(bytes.length, times[0]!) };
}

export function run(options: BenchOptions): unknown {
  const image = benchImage(options);
  const json = benchJson(options);
  const large = benchLargeMessage(options);
  return {
    ...image,
    ...json,
    ...large,
    targets: TARGETS,
    targetsMet: {
      imageDecode: image.imageDecodeMBps! >= TARGETS.imageDecodeMBps,
      jsonDecode: json.jsonDecodeMBps! >= TARGETS.jsonDecodeMBps,
    },
  };
}
