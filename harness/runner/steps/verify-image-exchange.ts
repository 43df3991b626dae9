import { encodeImageHeader } from '../../../spec/codec/index.ts';
import type { ZodTypeAny } from 'zod';
import type { ImageSource } from '../../scenarios/format.ts';
import { sleep, type ScenarioConnection } from '../connection.ts';
import { imageBytes } from '../images.ts';
import { referenceEncoder, splitInsideHeader, type EncodedImage } from '../image-framing.ts';
import { describePattern, match, splitRaw } from '../matchers.ts';
import { chunks } from '../shaping.ts';
import { KitBusyError } from '../../errors.ts';
import { StepFailure } from '../step-failure.ts';
import type { StepContext } from '../step-context.ts';
import { check, summary } from './support.ts';

/**
 * The image exchange after a request that carries an image (IMG-1, IMG-3, IMG-4): wait for
 * {"status": "ready"}, send the image as the sender's framing writes it (the student's own send_image
 * when the run has it, else the reference's 8-byte big-endian length and raw bytes), shaped as the
 * step asks at points found in those bytes (image-framing.ts), then read the
 * {"status": "success"} acknowledgement. 'done' when the exchange itself gave the step's outcome (a
 * refusal or an error acknowledgement the step expected, or a disconnect on purpose); 'reply-next'
 * when the action's final reply is still to come.
 */
export async function verifyImageExchange(
  exchange: {
    src: ImageSource;
    ctx: StepContext;
    conn: ScenarioConnection;
    index: string;
    client: string;
    timeoutMs: number;
    expected: unknown;
    schema: ZodTypeAny | undefined;
    what: string;
  },
): Promise<'done' | 'reply-next'> {
  const { src, ctx, conn, index, client, timeoutMs, expected, schema, what } = exchange;
  const image = await imageBytes(src, ctx.scenario.file);
  ctx.lastImage = image;
  const first = await conn.readJson(timeoutMs, `{"status": "ready"} before the image bytes (IMG-1)`);
  if (first.value.status !== 'ready') {
    // A server may refuse the request before the exchange starts; that is the final reply then.
    if (expected !== undefined && match(splitRaw(expected).json, first.value).length === 0) {
      check(first, expected, schema, `the reply to ${what}`);
      ctx.log.push(`${index}: refused before the image exchange: ${summary(first.value)}`);
      return 'done';
    }
    throw new StepFailure('mismatch', `{"status": "ready"} before the image bytes (IMG-1)`, summary(first.value), match({ status: 'ready' }, first.value));
  }
  const encoded = await encodedImage(ctx, image, index);
  const header = src.announce !== undefined ? announcedHeader(encoded, src.announce, ctx, index) : encoded.bytes.subarray(0, encoded.headerLength);
  const split = src.splitHeader !== undefined ? splitInsideHeader(header.length, src.splitHeader) : undefined;
  if (src.splitHeader !== undefined && split === undefined) ctx.log.push(`${index}: the ${header.length}-byte header of this framing cannot be split inside; sent whole, then the payload apart`);
  const headerPieces = split !== undefined ? [header.subarray(0, split), header.subarray(split)] : [header];
  const pieceDelay = src.delayMs ?? (src.splitHeader !== undefined || src.chunk !== undefined ? 5 : 0);
  if (header.length > 0) await conn.write(headerPieces, pieceDelay, 'image-length', `the ${header.length}-byte image header (${encoded.framing})`);
  if (headerPieces.length > 1 || src.splitHeader !== undefined) await sleep(pieceDelay);
  // The payload (and any trailer) as the sender wrote it; announce sends only the forged header.
  const payload = src.announce !== undefined ? image : encoded.bytes.subarray(encoded.headerLength);
  const body = src.disconnectAfter !== undefined ? payload.subarray(0, src.disconnectAfter) : payload;
  const bodyPieces = src.chunk !== undefined ? chunks(body, src.chunk) : [body];
  if (body.length > 0) await conn.write(bodyPieces, pieceDelay, 'image-bytes', 'the image bytes');
  if (src.disconnectAfter !== undefined) {
    conn.destroy(`client disconnected after ${body.length} of ${payload.length} image bytes`);
    ctx.conns.delete(client);
    ctx.log.push(`${index}: ${client} disconnected mid-image after ${body.length} of ${payload.length} bytes`);
    return 'done';
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
      return 'done';
    }
    throw new StepFailure('mismatch', `{"status": "success"} once all ${image.length} image bytes arrived (IMG-4)`, summary(ack.value), match({ status: 'success' }, ack.value));
  }
  return 'reply-next';
}

/**
 * The image as the run's encoder writes it. A send_image that fails is the client half's to charge
 * (client.5.*, client.6.*): here the server's receive_image is judged, so the reference framing stands in.
 */
async function encodedImage(ctx: StepContext, image: Buffer, index: string): Promise<EncodedImage> {
  const encoder = ctx.imageEncoder;
  if (!encoder) return referenceEncoder.encode(image);
  try {
    const encoded = await encoder.encode(image);
    ctx.log.push(`${index}: image framing (${encoder.source}): ${encoded.framing}`);
    return encoded;
  } catch (error) {
    // A machine too busy to run the student's send_image is the kit's failure (the case ends ERROR):
    // the reference framing would charge their receive_image for bytes their client never writes.
    if (error instanceof KitBusyError) throw error;
    ctx.log.push(`${index}: ${encoder.source} could not frame a ${image.length}-byte image (${(error as Error).message}); the reference framing stands in`);
    return referenceEncoder.encode(image);
  }
}

/** A header declaring `length` in the sender's framing; the reference's when the kit cannot forge theirs. */
function announcedHeader(encoded: EncodedImage, length: number, ctx: StepContext, index: string): Buffer {
  if (encoded.withLength) return encoded.withLength(length);
  ctx.log.push(`${index}: the kit cannot write a length of ${length} in this framing (${encoded.framing}); the reference header stands in`);
  return encodeImageHeader(length);
}
