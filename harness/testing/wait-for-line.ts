import type { ResultPromise } from 'execa';

/**
 * Resolves with the first match of `pattern` in what `child` prints on stdout; rejects with what it
 * printed when `timeoutMs` passes first or the child ends without printing it.
 */
export function waitForLine(child: ResultPromise, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; got: ${seen}`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.then(
      () => {
        clearTimeout(timer);
        reject(new Error(`the process ended without a line matching ${pattern}; got: ${seen}`));
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
