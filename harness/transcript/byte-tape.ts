// The bytes of one stream direction that the recorder has seen but not yet attributed to an event.
// The codec consumes its own copy; this one lets the recorder store every byte exactly (including
// whitespace between messages and the bytes of a frame that failed to decode), addressed by
// stream offset, without concatenating on every chunk.

export class ByteTape {
  #chunks: Buffer[] = [];
  #start = 0; // stream offset of #chunks[0][0]
  #end = 0; // stream offset one past the last byte pushed

  get start(): number {
    return this.#start;
  }

  get end(): number {
    return this.#end;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#end += chunk.length;
  }

  /** Bytes [from, to) of the stream; both must lie within what is still held. */
  slice(from: number, to: number): Buffer {
    if (from < this.#start || to > this.#end || from > to) {
      throw new RangeError(`byte range ${from}..${to} is outside the held range ${this.#start}..${this.#end}`);
    }
    const parts: Buffer[] = [];
    let offset = this.#start;
    for (const chunk of this.#chunks) {
      const chunkEnd = offset + chunk.length;
      if (chunkEnd > from && offset < to) {
        parts.push(chunk.subarray(Math.max(0, from - offset), Math.min(chunk.length, to - offset)));
      }
      if (chunkEnd >= to) break;
      offset = chunkEnd;
    }
    return parts.length === 1 ? Buffer.from(parts[0]!) : Buffer.concat(parts);
  }

  /** Forget everything before `offset` (bytes already attributed to events). */
  discardBefore(offset: number): void {
    const target = Math.min(offset, this.#end);
    while (this.#chunks.length > 0 && this.#start < target) {
      const first = this.#chunks[0]!;
      const firstEnd = this.#start + first.length;
      if (firstEnd <= target) {
        this.#chunks.shift();
        this.#start = firstEnd;
      } else {
        this.#chunks[0] = first.subarray(target - this.#start);
        this.#start = target;
      }
    }
    if (this.#chunks.length === 0) this.#start = Math.max(this.#start, target);
  }
}
