// A submission that prints in a tight loop must neither fill the grader's memory nor block on a
// full pipe: output is always drained, and only the head and the tail are kept. Each push costs
// O(its own size): the tail is a list of chunks trimmed from the front, never one string re-copied.

export class CappedOutput {
  private head = '';
  private readonly tailChunks: string[] = [];
  private tailChars = 0;
  private total = 0;
  constructor(private readonly limitBytes: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    let text = chunk.toString('utf8');
    const half = Math.floor(this.limitBytes / 2);
    if (this.head.length < half) {
      const room = half - this.head.length;
      this.head += text.slice(0, room);
      if (text.length <= room) return;
      text = text.slice(room);
    }
    if (text.length >= half) {
      this.tailChunks.length = 0;
      this.tailChunks.push(text.slice(text.length - half));
      this.tailChars = Math.min(text.length, half);
      return;
    }
    this.tailChunks.push(text);
    this.tailChars += text.length;
    this.trimTail(half);
    // Many tiny chunks would each cost an array slot: fold them now and then (amortised O(1)).
    if (this.tailChunks.length > 1024) this.fold();
  }

  /** Drops whole chunks from the front while the rest still fills the half, then cuts the first. */
  private trimTail(half: number): void {
    while (this.tailChars - (this.tailChunks[0]?.length ?? 0) >= half && this.tailChunks.length > 1) {
      this.tailChars -= (this.tailChunks.shift() as string).length;
    }
    const over = this.tailChars - half;
    if (over > 0) {
      this.tailChunks[0] = (this.tailChunks[0] as string).slice(over);
      this.tailChars -= over;
    }
  }

  /** The tail as one string (and as the one chunk held). */
  private fold(): string {
    if (this.tailChunks.length > 1) {
      const joined = this.tailChunks.join('');
      this.tailChunks.length = 0;
      this.tailChunks.push(joined);
    }
    return this.tailChunks[0] ?? '';
  }

  get bytes(): number {
    return this.total;
  }

  get truncated(): boolean {
    return this.total > Buffer.byteLength(this.head) + Buffer.byteLength(this.fold());
  }

  text(): string {
    const tail = this.fold();
    const dropped = this.total - Buffer.byteLength(this.head) - Buffer.byteLength(tail);
    if (dropped <= 0) return this.head + tail;
    return `${this.head}\n[... ${dropped} bytes of output dropped ...]\n${tail}`;
  }

  /** The last non-empty line: what a crash says, e.g. "NameError: name 'x' is not defined". */
  lastLine(): string | undefined {
    const lines = (this.head + this.fold()).split('\n').map((l) => l.trim()).filter(Boolean);
    return lines.at(-1);
  }
}
