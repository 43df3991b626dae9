import type { TranscriptEvent } from './format.ts';

// An event stores its exact bytes as `text` when they are valid UTF-8 (readable, greppable) and as
// `base64` otherwise; these two helpers are the only place that decides which.

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function bytesFields(bytes: Buffer): { text: string } | { base64: string } {
  try {
    return { text: strictUtf8.decode(bytes) };
  } catch {
    return { base64: bytes.toString('base64') };
  }
}

/** The exact bytes an event carries, or undefined when it carries none (connect, close, image-bytes...). */
export function eventBytes(event: Pick<TranscriptEvent, 'text' | 'base64'>): Buffer | undefined {
  if (event.text !== undefined) return Buffer.from(event.text, 'utf8');
  if (event.base64 !== undefined) return Buffer.from(event.base64, 'base64');
  return undefined;
}
