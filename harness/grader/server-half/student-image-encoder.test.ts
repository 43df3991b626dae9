// The server half's image bytes come from the student's own send_image (run by student_runner.py in a
// real python3): the framing found in them, the header length the split points come from, and the
// forged length for `announce`, for the samples' framings. Expected values are worked out from each
// sample's send_image, not read from the code's output.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KitBusyError } from '../../errors.ts';
import { referenceTarget } from '../../targets/reference-target.ts';
import { runSuite } from '../../runner/run-suite.ts';
import { canThrottle, throttledCpuGroup, type ThrottledCpuGroup } from '../../testing/throttled-cpu-group.ts';
import { photo } from '../../runner/test-images.ts';
import { referenceEncoder, splitInsideHeader } from '../../runner/image-framing.ts';
import { STUDENT_RUNNER } from '../client-half/client-half.ts';
import { StudentEncoderError, StudentImageEncoder, boundedLines } from './student-image-encoder.ts';

const SAMPLES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'submissions');
const IMAGE = photo(5000);
const open: StudentImageEncoder[] = [];

/** An encoder over a sample's socket_utils.py; `group` holds its runner to a CPU share (cgroup v1). */
function encoderOf(sample: string, held: { group?: ThrottledCpuGroup; callTimeoutMs?: number; wallCapMs?: number } = {}): StudentImageEncoder {
  const dir = path.join(SAMPLES, sample);
  const argv = ['python3', '-B', STUDENT_RUNNER];
  const { group, callTimeoutMs = 20_000, wallCapMs } = held;
  const encoder = new StudentImageEncoder({ argv: group ? group.wrap(argv) : argv, cwd: dir, submissionDir: dir, callTimeoutMs, ...(wallCapMs !== undefined ? { wallCapMs } : {}) });
  open.push(encoder);
  return encoder;
}

afterAll(async () => {
  await Promise.all(open.map((e) => e.close()));
});

const be8 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};
const le8 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};

describe("the student's send_image frames the server half's images", () => {
  it.each([
    // [sample, header bytes for 5000 bytes, payload, the framing named]
    ['correct', be8(5000), IMAGE, 'an 8-byte big-endian length, then the raw bytes'],
    ['native-order-struct', le8(5000), IMAGE, 'an 8-byte little-endian length, then the raw bytes'],
    ['four-byte-length', Buffer.from([0, 0, 0x13, 0x88]), IMAGE, 'a 4-byte big-endian length, then the raw bytes'],
    // 5000 bytes of Base64 are 4 * ceil(5000 / 3) = 6668 characters; the length is the text's.
    ['base64-image', be8(6668), Buffer.from(IMAGE.toString('base64')), 'an 8-byte big-endian length of the encoded text, then the bytes as Base64'],
    ['decimal-length-line', Buffer.from('5000\n'), IMAGE, 'the length as decimal text, then "\\n", then the raw bytes'],
  ] as const)('%s', async (sample, header, payload, framing) => {
    const encoded = await encoderOf(sample).encode(IMAGE);
    expect(encoded.bytes.equals(Buffer.concat([header, payload]))).toBe(true);
    expect(encoded.headerLength).toBe(header.length);
    expect(encoded.framing).toBe(framing);
  }, 30_000);

  it('forges an announced length in a recognised integer framing, never in an encoded one', async () => {
    const native = await encoderOf('native-order-struct').encode(IMAGE);
    expect(native.withLength?.(2 ** 40)).toEqual(le8(2 ** 40));
    const text = await encoderOf('decimal-length-line').encode(IMAGE);
    expect(text.withLength?.(17)).toEqual(Buffer.from('17\n'));
    // The Base64 header counts characters of text: the kit cannot say "2^40 image bytes" in it.
    expect((await encoderOf('base64-image').encode(IMAGE)).withLength).toBeUndefined();
  }, 30_000);

  it('an empty image: a zero length cannot tell its byte order, and is named without one', async () => {
    const encoded = await encoderOf('correct').encode(Buffer.alloc(0));
    expect(encoded.bytes).toEqual(Buffer.alloc(8));
    expect(encoded.framing).toBe('an 8-byte length, then the raw bytes');
  }, 30_000);

  it("a socket_utils.py that cannot be imported fails the encode (the step then falls back to the reference's framing)", async () => {
    const broken = new StudentImageEncoder({ argv: ['python3', '-B', STUDENT_RUNNER], cwd: SAMPLES, submissionDir: path.join(SAMPLES, 'no-such-sample'), callTimeoutMs: 20_000 });
    open.push(broken);
    await expect(broken.encode(IMAGE)).rejects.toThrow(/could not be imported/);
  }, 30_000);
});

// A CI machine once starved the runner past a 20 s wall-clock limit on its import: the reference
// framing stood in, and two samples whose pair agrees on another framing failed every image case.
const throttled = canThrottle();
describe.runIf(throttled)('a runner the machine starves (held to a few % of a CPU)', () => {
  let slow: ThrottledCpuGroup;
  let starved: ThrottledCpuGroup;
  beforeAll(() => {
    slow = throttledCpuGroup('encoder-slow', 4);
    starved = throttledCpuGroup('encoder-starved', 1);
  });
  afterAll(async () => {
    await Promise.all(open.splice(0).map((e) => e.close()));
    await Promise.all([slow.remove(), starved.remove()]);
  });

  it("is waited for in its own time: the image comes in the student's framing though the wall clock blew the budget", async () => {
    const started = performance.now();
    const encoded = await encoderOf('native-order-struct', { group: slow, callTimeoutMs: 1000 }).encode(IMAGE);
    // The precondition that makes the test mean something: by the wall clock the 1 s budget was blown.
    expect(performance.now() - started).toBeGreaterThan(1000);
    expect(encoded.bytes.equals(Buffer.concat([le8(5000), IMAGE]))).toBe(true);
  }, 120_000);

  it("starved past the clock's cap is the kit's failure (KitBusyError), never the student's send_image failing", async () => {
    const encoder = encoderOf('native-order-struct', { group: starved, callTimeoutMs: 1000, wallCapMs: 300 });
    const error = await encoder.encode(IMAGE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KitBusyError);
    expect((error as Error).message).toMatch(/^the student runner \(import\): the machine gave it too little CPU to finish \(\d+ ms of its own time, \d+ ms on the clock\)$/);
  }, 60_000);
});

describe("a framing the student's send_image cannot give", () => {
  /** An encoder that always fails with `error`, as a runner would. */
  const failing = (error: Error) => ({ source: "the student's send_image", encode: () => Promise.reject(error) });

  it("when send_image itself failed, the reference framing stands in (the client half charges send_image)", async () => {
    const report = await runSuite({ target: referenceTarget(), cases: ['5.1.1'], imageEncoder: failing(new StudentEncoderError('send_image failed: ValueError: x')) });
    expect(report.cases[0]).toMatchObject({ id: '5.1.1', verdict: 'PASSED' });
    expect(report.cases[0]?.log.join('\n')).toMatch(/could not frame a \d+-byte image \(send_image failed: ValueError: x\); the reference framing stands in/);
  }, 60_000);

  it("when the machine was too busy to run it, the case is the kit's ERROR, not a run in a framing the student never wrote", async () => {
    const report = await runSuite({ target: referenceTarget(), cases: ['5.1.1'], imageEncoder: failing(new KitBusyError('the student runner (import): the machine gave it too little CPU to finish')) });
    expect(report.cases[0]).toMatchObject({ id: '5.1.1', verdict: 'ERROR' });
    expect(report.cases[0]?.reason).toMatch(/^the harness failed: KitBusyError: the student runner \(import\)/);
  }, 60_000);
});

describe('split points inside a header', () => {
  it("the scenario's offset when it is inside the header, else the header's middle; none in a header too short to split", () => {
    expect(splitInsideHeader(8, 3)).toBe(3);
    expect(splitInsideHeader(4, 5)).toBe(2);
    expect(splitInsideHeader(5, 3)).toBe(3);
    expect(splitInsideHeader(1, 3)).toBeUndefined();
  });

  it('the reference framing is 8 bytes big-endian, raw', async () => {
    const encoded = await referenceEncoder.encode(IMAGE);
    expect(encoded.bytes.equals(Buffer.concat([be8(5000), IMAGE]))).toBe(true);
    expect(encoded.headerLength).toBe(8);
  });
});

describe("the runner's answer pipe", () => {
  it('gives whole lines across chunks and drops a line longer than the bound without holding it', () => {
    const lines: string[] = [];
    const feed = boundedLines(10, (l) => lines.push(l));
    feed(Buffer.from('{"a":'));
    feed(Buffer.from('1}\n0123456789ABC'));
    feed(Buffer.from('DEF\nok\n'));
    expect(lines).toEqual(['{"a":1}', 'ok']);
  });
});
