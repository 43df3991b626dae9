// A submission that prints in a tight loop must neither fill the grader's memory nor block on a
// full pipe: output is always drained, and only the head and the tail are kept.

export class CappedOutput {
  private head = '';
  private tail = '';
  private total = 0;
  constructor(private readonly limitBytes: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    const text = chunk.toString('utf8');
    const half = Math.floor(this.limitBytes / 2);
    if (this.head.length < half) {
      const room = half - this.head.length;
      this.head += text.slice(0, room);
      if (text.length <= room) return;
      this.tail += text.slice(room);
    } else this.tail += text;
    if (this.tail.length > half) this.tail = this.tail.slice(this.tail.length - half);
  }

  get bytes(): number {
    return this.total;
  }

  get truncated(): boolean {
    return this.total > this.head.length + this.tail.length;
  }

  text(): string {
    if (!this.truncated) return this.head + this.tail;
    const dropped = this.total - this.head.length - this.tail.length;
    return `${this.head}\n[... ${dropped} bytes of output dropped ...]\n${this.tail}`;
  }

  /** The last non-empty line: what a crash says, e.g. "NameError: name 'x' is not defined". */
  lastLine(): string | undefined {
    const lines = (this.head + this.tail).split('\n').map((l) => l.trim()).filter(Boolean);
    return lines.at(-1);
  }
}
