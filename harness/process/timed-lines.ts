// A started server's stdout/stderr as lines stamped with when they arrived (performance.now() of
// this process), so the runner can hand each case the lines the server printed while it ran: the
// traceback that explains a closed connection is evidence of that case, not of the whole run.

export interface TimedLine {
  at: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

const MAX_LINES = 5000;
const MAX_LINE_CHARS = 1000;

export class TimedLines {
  readonly #lines: TimedLine[] = [];
  readonly #partial: Record<TimedLine['stream'], { text: string; at: number } | undefined> = { stdout: undefined, stderr: undefined };
  #lastAt = -Infinity;

  push(stream: TimedLine['stream'], chunk: Buffer | string, at = performance.now()): void {
    this.#lastAt = at;
    const pending = this.#partial[stream];
    const text = (pending?.text ?? '') + chunk.toString();
    const started = pending?.at ?? at;
    const parts = text.split('\n');
    const rest = parts.pop() as string;
    // A line is stamped when its first byte came: a traceback printed during a case belongs to it
    // even when its last line is flushed a moment later.
    parts.forEach((line, i) => this.#add({ at: i === 0 ? started : at, stream, text: line.replace(/\r$/, '') }));
    this.#partial[stream] = rest ? { text: rest.slice(0, MAX_LINE_CHARS * 4), at: parts.length ? at : started } : undefined;
  }

  /** When the last output arrived (-Infinity before any). */
  get lastAt(): number {
    return this.#lastAt;
  }

  /** Non-empty lines that began in [from, to], unfinished ones included, oldest first. */
  between(from: number, to: number): string[] {
    const all = [...this.#lines];
    for (const stream of ['stdout', 'stderr'] as const) {
      const p = this.#partial[stream];
      if (p) all.push({ at: p.at, stream, text: p.text });
    }
    return all
      .filter((l) => l.at >= from && l.at <= to && l.text.trim() !== '')
      .sort((a, b) => a.at - b.at)
      .map((l) => l.text);
  }

  #add(line: TimedLine): void {
    this.#lines.push(line.text.length > MAX_LINE_CHARS ? { ...line, text: `${line.text.slice(0, MAX_LINE_CHARS)}…` } : line);
    // A server printing in a loop must not grow the harness without bound; the oldest lines go.
    if (this.#lines.length > MAX_LINES) this.#lines.splice(0, this.#lines.length - MAX_LINES);
  }
}
