import type { Shape } from '../scenarios/format.ts';
import { InstaNetError } from '../errors.ts';

// Cuts a message's bytes into the writes a shaped step makes. Every function returns pieces that
// concatenate back to (a prefix of) the input, so shaping never changes what is sent, only how.

export class ShapeError extends InstaNetError<'INSTANET_ERR_SHAPE'> {
  constructor(message: string) {
    super('INSTANET_ERR_SHAPE', message);
  }
}

/** Offset inside the first multi-byte UTF-8 character (after its lead byte), or undefined. */
export function firstSplitInsideChar(bytes: Buffer): number | undefined {
  for (let i = 0; i < bytes.length; i += 1) if ((bytes[i] as number) >= 0xc0) return i + 1;
  return undefined;
}

export function chunks(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out.length ? out : [bytes];
}

export function shapePieces(bytes: Buffer, shape: Shape | undefined): { pieces: Buffer[]; delayMs: number } {
  if (!shape) return { pieces: [bytes], delayMs: 0 };
  const data = shape.stopAfter !== undefined ? bytes.subarray(0, shape.stopAfter) : bytes;
  let pieces: Buffer[];
  if (shape.splitUtf8) {
    const at = firstSplitInsideChar(data);
    if (at === undefined) throw new ShapeError('splitUtf8: the message has no multi-byte UTF-8 character (send it with encoding: {ascii: false})');
    pieces = [data.subarray(0, at), data.subarray(at)];
  } else if (shape.splitAt !== undefined) {
    if (shape.splitAt >= data.length) throw new ShapeError(`splitAt ${shape.splitAt} is not inside the ${data.length}-byte message`);
    pieces = [data.subarray(0, shape.splitAt), data.subarray(shape.splitAt)];
  } else pieces = [data];
  if (shape.chunk !== undefined) pieces = pieces.flatMap((p) => chunks(p, shape.chunk as number));
  const cut = pieces.length > 1;
  return { pieces: pieces.filter((p) => p.length > 0), delayMs: shape.delayMs ?? (cut ? 5 : 0) };
}
