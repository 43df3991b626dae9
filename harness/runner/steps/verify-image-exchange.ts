import { encodeImageHeader } from '../../../spec/codec/index.ts';
import type { ZodTypeAny } from 'zod';
import type { ImageSource } from '../../scenarios/format.ts';
import { sleep, type ScenarioConnection } from '../connection.ts';
import { imageBytes } from '../images.ts';
import { describePattern, match, splitRaw } from '../matchers.ts';
import { chunks } from '../shaping.ts';
import { StepFailure } from '../step-failure.ts';
import type { StepContext } from '../step-context.ts';
import { check, summary } from './support.ts';

/**
 * The image exchange after a request that carries an image (IMG-1, IMG-3, IMG-4): wait for
 * {"status": "ready"}, send the 8-byte length and the bytes as the step shapes them, then read the
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
  const header = encodeImageHeader(src.announce ?? image.length);
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
