const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Finds where a JSON object ends without parsing it, so the decoder can hand JSON.parse exactly one
 * object. State survives between calls: each byte of the stream is looked at once (linear time).
 * It only tracks strings, escapes and nesting; validity is JSON.parse's job once the end is found.
 */
export class JsonObjectScanner {
  /** Kind of each open container (1 = object, 2 = array), so a mismatched close ends the scan at once. */
  #kinds = new Uint8Array(64);
  #depth = 0;
  #inString = false;
  #escaped = false;

  /** Call at the opening `{` (which the scanner then sees as its first byte). */
  reset(): void {
    this.#depth = 0;
    this.#inString = false;
    this.#escaped = false;
  }

  /** Scans bytes[from, to). Returns the index just past the closing brace, or -1 if not reached yet. */
  scan(bytes: Uint8Array, from: number, to: number): number {
    let depth = this.#depth;
    let inString = this.#inString;
    let escaped = this.#escaped;
    let i = from;
    while (i < to) {
      if (inString) {
        // Inner loop: strings are most of a message, and only two byte values matter inside them.
        while (i < to) {
          const b = bytes[i++]!;
          if (escaped) escaped = false;
          else if (b === BACKSLASH) escaped = true;
          else if (b === QUOTE) {
            inString = false;
            break;
          }
        }
        continue;
      }
      const b = bytes[i++]!;
      if (b === QUOTE) inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        if (depth === this.#kinds.length) {
          const grown = new Uint8Array(depth * 2);
          grown.set(this.#kinds);
          this.#kinds = grown;
        }
        this.#kinds[depth++] = b === OPEN_BRACE ? 1 : 2;
      } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        // A mismatched close ({"a": [1}) ends the value here, so JSON.parse reports it now instead of
        // the decoder waiting forever for a bracket that will never come.
        const kind = this.#kinds[--depth];
        if (depth === 0 || kind !== (b === CLOSE_BRACE ? 1 : 2)) {
          this.#depth = 0;
          this.#inString = false;
          this.#escaped = false;
          return i;
        }
      }
    }
    this.#depth = depth;
    this.#inString = inString;
    this.#escaped = escaped;
    return -1;
  }
}
