import type { Readable } from 'node:stream';

// A server's output is read at most this fast: a hand-in printing in a loop (b"x\n" * 32768, again
// and again) otherwise keeps a grader core busy reading it, and its neighbours' cases wait. Past the
// rate the pipe is left unread for the rest of a 100 ms window, so the flood waits on its own pipe
// (the hand-in slows itself); an honest server prints kilobytes, far below it. Not lower: while the
// pipe is full, Python's stdout lock goes to the flooding thread again and again, and a handler's
// own print() waits behind it (at 2 MiB/s a flooding hand-in's login reply came after 3 s).
export const OUTPUT_BYTES_PER_SECOND = 8 * 1024 * 1024;
const WINDOW_MS = 100;

export function throttleOutput(stream: Readable | null | undefined, bytesPerSecond = OUTPUT_BYTES_PER_SECOND): void {
  if (!stream) return;
  const perWindow = (bytesPerSecond * WINDOW_MS) / 1000;
  let windowStart = performance.now();
  let used = 0;
  stream.on('data', (chunk: Buffer) => {
    const now = performance.now();
    if (now - windowStart >= WINDOW_MS) {
      windowStart = now;
      used = 0;
    }
    used += chunk.length;
    if (used < perWindow || stream.isPaused()) return;
    stream.pause();
    // Unreferenced: a paused pipe must never keep the kit alive by itself.
    setTimeout(() => stream.resume(), Math.max(1, WINDOW_MS - (now - windowStart))).unref();
  });
}
