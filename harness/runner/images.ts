import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ImageSource } from '../scenarios/format.ts';
import { photo } from './test-images.ts';

const cache = new Map<number, Buffer>();

/** The bytes of a scenario image: generated (deterministic, cached per size) or read from a file. */
export async function imageBytes(source: ImageSource, scenarioFile: string): Promise<Buffer> {
  if (source.file !== undefined) return readFile(path.resolve(path.dirname(scenarioFile), source.file));
  const size = source.size ?? 0;
  let bytes = cache.get(size);
  if (!bytes) {
    // photo() needs room for the JPEG markers; tiny sizes get the same pseudo-random filler.
    bytes = size >= 32 ? photo(size) : photo(32).subarray(0, size);
    cache.set(size, bytes);
  }
  return bytes;
}
