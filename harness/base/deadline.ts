// The kit's one wall-clock bound on work it cannot cancel (a file operation on a folder a hand-in
// left, a write to a kit-side socket): past the deadline the caller gets an error and moves on; the
// work finishes (and closes) on its own, and its late outcome is swallowed so it cannot surface.
// A wait on a hand-in's progress is measured in its own time instead (process/own-time.ts).

export async function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  work.catch(() => undefined);
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
