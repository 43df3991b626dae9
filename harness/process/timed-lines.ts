// A started server's stdout/stderr as lines stamped with when they arrived (performance.now() of
// this process), so the runner can hand each case the lines the server printed while it ran: the
// traceback that explains a closed connection is evidence of that case, not of the whole run.
//
// A server may print without end (a thread writing b"x\n" * 32768 in a loop): every line costs O(1)
// here whatever came before it. The first HEAD_LINES lines are kept (a traceback's start, the
// "listening on" line), then a ring of the last TAIL_LINES; the lines in between are only counted.

export interface TimedLine {
  at: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** What the server printed in all, and what of it was not kept. */
export interface OutputVolume {
  lines: number;
  bytes: number;
  droppedLines: number;
  droppedBytes: number;
  /** When the first and the last output came (performance.now()); -Infinity before any. */
  firstAt: number;
  lastAt: number;
}

export const HEAD_LINES = 50;
export const TAIL_LINES = 2000;
const MAX_LINE_CHARS = 1000;

export class TimedLines {
  readonly #head: TimedLine[] = [];
  /** A fixed-size ring: #ring[(#start + i) % TAIL_LINES] is the i-th oldest kept tail line. */
  readonly #ring: TimedLine[] = [];
  /** Bytes each ring line had as printed (its text may be clipped), to say what an eviction drops. */
  readonly #ringBytes: number[] = [];
  #start = 0;
  readonly #partial: Record<TimedLine['stream'], { text: string; at: number } | undefined> = { stdout: undefined, stderr: undefined };
  #firstAt = -Infinity;
  #lastAt = -Infinity;
  #bytes = 0;
  #lines = 0;
  #droppedLines = 0;
  #droppedBytes = 0;
  /** When the oldest and the newest dropped line began. */
  #droppedFrom = Infinity;
  #droppedTo = -Infinity;

  constructor(
    private readonly headLines = HEAD_LINES,
    private readonly tailLines = TAIL_LINES,
  ) {}

  push(stream: TimedLine['stream'], chunk: Buffer | string, at = performance.now()): void {
    if (this.#firstAt === -Infinity) this.#firstAt = at;
    this.#lastAt = at;
    this.#bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    const rest = this.#skipFlood(stream, typeof chunk === 'string' ? Buffer.from(chunk) : chunk, at);
    this.#split(stream, rest, at);
  }

  /**
   * A chunk holding more whole lines than the ring would keep (a flood of short lines): the lines
   * before its last TAIL_LINES are counted with a native newline search, never made into strings,
   * and so is everything the ring held. Returns what is left to split: the lines the ring keeps.
   */
  #skipFlood(stream: TimedLine['stream'], chunk: Buffer, at: number): Buffer {
    if (this.#head.length < this.headLines) return chunk;
    let cut = chunk.length;
    for (let n = 0; n <= this.tailLines; n += 1) {
      cut = cut > 0 ? chunk.lastIndexOf(0x0a, cut - 1) : -1;
      if (cut === -1) return chunk;
    }
    // chunk[0..cut] ends the last line the ring will not keep: count its lines, drop the ring's.
    let lines = 0;
    // A plain loop over the bytes: a native search per line costs more than it saves on short lines.
    for (let i = 0; i <= cut; i += 1) if (chunk[i] === 0x0a) lines += 1;
    const pending = this.#partial[stream];
    this.#droppedFrom = Math.min(this.#droppedFrom, pending?.at ?? at, this.#ring[this.#start]?.at ?? at);
    this.#droppedTo = at;
    this.#droppedLines += lines + this.#ring.length;
    this.#droppedBytes += cut + 1 + Buffer.byteLength(pending?.text ?? '') + this.#ringBytes.reduce((a, b) => a + b, 0);
    this.#lines += lines;
    this.#partial[stream] = undefined;
    this.#ring.length = 0;
    this.#ringBytes.length = 0;
    this.#start = 0;
    return chunk.subarray(cut + 1);
  }

  #split(stream: TimedLine['stream'], chunk: Buffer, at: number): void {
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

  get volume(): OutputVolume {
    return {
      lines: this.#lines,
      bytes: this.#bytes,
      droppedLines: this.#droppedLines,
      droppedBytes: this.#droppedBytes,
      firstAt: this.#firstAt,
      lastAt: this.#lastAt,
    };
  }

  /** Lines kept now (head and ring, not the unfinished ones): never more than head + tail. */
  get kept(): number {
    return this.#head.length + this.#ring.length;
  }

  /**
   * Non-empty lines that began in [from, to], unfinished ones included, oldest first. Where lines
   * of the range were not kept, one line says how many were not, so the gap is never silent.
   */
  between(from: number, to: number): string[] {
    const all: TimedLine[] = [...this.#head, ...this.#tail()];
    for (const stream of ['stdout', 'stderr'] as const) {
      const p = this.#partial[stream];
      if (p) all.push({ at: p.at, stream, text: p.text });
    }
    const picked = all.filter((l) => l.at >= from && l.at <= to && l.text.trim() !== '').sort((a, b) => a.at - b.at);
    if (this.#droppedLines === 0 || to < this.#droppedFrom || from > this.#droppedTo) return picked.map((l) => l.text);
    // The range reaches lines dropped between the head and the ring's oldest line.
    const firstTail = picked.findIndex((l) => !this.#head.includes(l));
    const gap = `[… ${notKept(this.#droppedLines, this.#droppedBytes)} …]`;
    const texts = picked.map((l) => l.text);
    texts.splice(firstTail === -1 ? texts.length : firstTail, 0, gap);
    return texts;
  }

  #tail(): TimedLine[] {
    return [...this.#ring.slice(this.#start), ...this.#ring.slice(0, this.#start)];
  }

  #add(line: TimedLine): void {
    this.#lines += 1;
    const printed = Buffer.byteLength(line.text) + 1;
    const kept = line.text.length > MAX_LINE_CHARS ? { ...line, text: `${line.text.slice(0, MAX_LINE_CHARS)}…` } : line;
    if (this.#head.length < this.headLines) {
      this.#head.push(kept);
      return;
    }
    if (this.#ring.length < this.tailLines) {
      this.#ring.push(kept);
      this.#ringBytes.push(printed);
      return;
    }
    // Overwrite the oldest: O(1), where splicing the front of an array copied the whole tail each time.
    const evicted = this.#ring[this.#start] as TimedLine;
    this.#droppedLines += 1;
    this.#droppedBytes += this.#ringBytes[this.#start] as number;
    this.#droppedFrom = Math.min(this.#droppedFrom, evicted.at);
    this.#droppedTo = evicted.at;
    this.#ring[this.#start] = kept;
    this.#ringBytes[this.#start] = printed;
    this.#start = (this.#start + 1) % this.tailLines;
  }
}

/** "812,000 lines / 1.6 MiB not kept" */
export function notKept(lines: number, bytes: number): string {
  return `${lines.toLocaleString('en-US')} line(s) / ${formatBytes(bytes)} not kept`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
